"""A volunteer may keep their name off public leaderboards (minors never appear there)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0004_auto_assign_runs"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="leaderboard_opt_out",
            field=models.BooleanField(
                default=False, verbose_name="keep my name off public leaderboards"
            ),
        ),
    ]
