"""Volunteers: accounts (email login), profiles, corner-shift sign-ups, check-in and check-out."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("Volunteers")
    default_auto_field = "django.db.models.BigAutoField"
