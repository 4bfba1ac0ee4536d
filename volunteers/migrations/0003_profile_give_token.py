"""A personal give link per volunteer: added empty, filled row by row, then made unique."""

from django.db import migrations, models

import volunteers.models


def fill(apps, schema_editor):
    Profile = apps.get_model("volunteers", "Profile")
    for profile in Profile.objects.filter(give_token__isnull=True):
        profile.give_token = volunteers.models.give_token_new()
        profile.save(update_fields=["give_token"])


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0002_volunteering")]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="give_token",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="profile",
            name="give_token",
            field=models.CharField(
                default=volunteers.models.give_token_new, editable=False, max_length=32, unique=True
            ),
        ),
    ]
