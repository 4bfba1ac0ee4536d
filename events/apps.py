"""The shared core of a pledge day: organizations, events, partners, corners, shifts and buckets."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Pledge days")
    default_auto_field = "django.db.models.BigAutoField"
