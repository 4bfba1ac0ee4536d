"""Partner-share triggers; the SQL and its reasons are in events/triggers.py."""

from django.db import migrations

from events import triggers


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(triggers.install, triggers.uninstall)]
