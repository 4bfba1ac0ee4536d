"""Celery tasks of the volunteer side: an id in, one service call, nothing else."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from volunteers import services


@shared_task(
    name="volunteers.tasks.signup_promoted_notify",
    ignore_result=True,
    autoretry_for=(OSError,),  # SMTP and network errors are transient; retry with backoff
    retry_backoff=True,
    max_retries=6,
)
def signup_promoted_notify(signup_id: int) -> bool:
    return services.signup_promoted_notify(signup_id=signup_id, now=timezone.now())
