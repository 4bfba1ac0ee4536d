# The constraints that need the data fixed by 0007: a separate migration, so that PostgreSQL runs
# them in their own transaction (ALTER TABLE refuses a table with pending trigger events, which
# 0007's updates of events leave behind).

from django.db import migrations, models

from events import triggers


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0007_money_settings_and_closing'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='event',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('currency', 'usd'), ('minimum_gift_cents__gte', 50)), models.Q(('currency', 'cad'), ('minimum_gift_cents__gte', 50)), models.Q(('currency', 'mxn'), ('minimum_gift_cents__gte', 1000)), models.Q(('currency', 'eur'), ('minimum_gift_cents__gte', 50)), _connector='OR'), name='event_minimum_gift_at_least_stripes'),
        ),
        migrations.AddConstraint(
            model_name='event',
            constraint=models.CheckConstraint(condition=models.Q(('maximum_gift_cents__gte', models.F('minimum_gift_cents'))), name='event_maximum_gift_above_minimum'),
        ),
        migrations.AddConstraint(
            model_name='event',
            constraint=models.CheckConstraint(condition=models.Q(('maximum_offline_cents__gte', 1)), name='event_maximum_offline_positive'),
        ),
        # SQLite rebuilt events_event above, dropping its triggers: put them back.
        migrations.RunPython(triggers.install, migrations.RunPython.noop),
    ]
