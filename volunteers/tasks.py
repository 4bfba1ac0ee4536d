"""Celery tasks of the volunteer side: fetch by id, call a service, nothing else."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from volunteers.emails import promotion_email_send
from volunteers.models import Signup, SignupNotice


@shared_task(
    name="volunteers.tasks.signup_promoted_notify",
    ignore_result=True,
    autoretry_for=(OSError,),  # SMTP and network errors are transient; retry with backoff
    retry_backoff=True,
    max_retries=6,
)
def signup_promoted_notify(signup_id: int) -> bool:
    """Email the volunteer moved up from the waitlist; a second run sends nothing."""
    signup = (
        Signup.objects.select_related("user", "shift__corner__event")
        .filter(pk=signup_id, status=Signup.Status.CONFIRMED)
        .first()
    )
    if signup is None:
        return False
    try:
        with transaction.atomic():
            SignupNotice.objects.create(
                signup=signup, kind=SignupNotice.Kind.PROMOTED, sent_at=timezone.now()
            )
            promotion_email_send(signup=signup, site_url=settings.SITE_URL)
    except IntegrityError:  # already sent
        return False
    return True
