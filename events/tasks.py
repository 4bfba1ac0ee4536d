"""Celery tasks of the shared core: thin wrappers that call a service."""

from celery import shared_task
from django.core.mail import mail_admins
from django.utils import timezone

from events.services import events_advance_status as _events_advance_status


@shared_task(name="events.tasks.events_advance_status", ignore_result=True)
def events_advance_status() -> dict[str, int]:
    """Beat scan: pledge days whose window began become live; those past their grace close."""
    return _events_advance_status(now=timezone.now())


@shared_task(
    name="events.tasks.alert_mail",
    ignore_result=True,
    autoretry_for=(OSError,),  # the mail server is unreachable: try again later
    retry_backoff=True,
    max_retries=5,
)
def alert_mail(subject: str, detail: str) -> None:
    """Mail an alert to the site's ADMINS (nothing to do when none are configured)."""
    mail_admins(subject, detail)
