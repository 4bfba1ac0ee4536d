"""Celery tasks of the shared core: thin wrappers that call a service."""

from celery import shared_task
from django.utils import timezone

from events.services import events_advance_status as _events_advance_status


@shared_task(name="events.tasks.events_advance_status", ignore_result=True)
def events_advance_status() -> int:
    """Beat scan: published pledge days whose window has begun become live."""
    return _events_advance_status(now=timezone.now())
