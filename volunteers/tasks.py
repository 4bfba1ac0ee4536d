"""Celery tasks of the volunteer side: an id in, one service call, nothing else."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from volunteers import services


@shared_task(
    name="volunteers.tasks.signup_promoted_notify",
    ignore_result=True,
    # SMTP and network errors, and a send cut by the soft time limit, are transient: the notice
    # row is written only with a successful send, so the retry sends it once.
    autoretry_for=(OSError, SoftTimeLimitExceeded),
    retry_backoff=True,
    max_retries=6,
)
def signup_promoted_notify(signup_id: int) -> bool:
    return services.signup_promoted_notify(signup_id=signup_id, now=timezone.now())


@shared_task(
    name="volunteers.tasks.auto_assign_run",
    ignore_result=True,
    # A big pool takes a while; the service records a soft time-out as a failed run, and
    # services.AUTO_ASSIGN_STALE_AFTER (10 minutes) is longer than the hard limit.
    soft_time_limit=240,
    time_limit=300,
)
def auto_assign_run(run_id: int) -> str:
    return services.auto_assign_run_execute(run_id=run_id, now=timezone.now())
