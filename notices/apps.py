"""Notices: shift reminders and every other message a volunteer, donor or organizer gets,
each sent once, on time, in the person's language."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Notices")
    default_auto_field = "django.db.models.BigAutoField"
