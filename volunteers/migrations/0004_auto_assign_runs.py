"""Auto-assign runs: requested on the dashboard, run by a Celery task, one active per event."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0007_money_settings_and_closing'),
        ('volunteers', '0003_profile_give_token'),
    ]

    operations = [
        migrations.CreateModel(
            name='AutoAssignRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=10)),
                ('placed_count', models.PositiveIntegerField(default=0)),
                ('waiting_count', models.PositiveIntegerField(default=0)),
                ('requested_at', models.DateTimeField()),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('error', models.TextField(blank=True)),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='auto_assign_runs', to='events.event')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'auto-assign run',
                'verbose_name_plural': 'auto-assign runs',
                'ordering': ['-requested_at', '-id'],
                'indexes': [models.Index(fields=['event', '-requested_at'], name='auto_assign_latest_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status__in', ('queued', 'running'))), fields=('event',), name='auto_assign_one_active_run_per_event'), models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'running', 'done', 'failed'])), name='auto_assign_status_known'), models.CheckConstraint(condition=models.Q(models.Q(('finished_at__isnull', True), ('status__in', ('queued', 'running'))), models.Q(('finished_at__isnull', False), ('status__in', ['done', 'failed'])), _connector='OR'), name='auto_assign_finished_when_done_or_failed')],
            },
        ),
    ]
