"""Celery tasks of notices: the beat's scan plans and queues; a send task sends one row.

No task relies on a countdown or an ETA: the scan runs every minute, and every row is claimed
before it is sent, so a redelivered message, a retried task or two beats send nothing twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from notices import services


@shared_task(name="notices.tasks.notice_send", ignore_result=True)
def notice_send(notice_id: int) -> str:
    return services.notice_send(notice_id=notice_id, now=timezone.now())


@shared_task(name="notices.tasks.notices_scan", ignore_result=True)
def notices_scan() -> int:
    """Beat, every minute: new sign-ups' confirmations, reminders whose moment came and the
    thank-yous of days that closed and invitations to days that opened are planned; due rows
    are queued."""
    now = timezone.now()
    services.confirmations_plan(now=now)
    services.reminders_plan(now=now)
    services.thanks_plan(now=now)
    services.invites_plan(now=now)
    services.organizer_notices_plan(now=now)
    due = services.notices_due(now=now)
    services.notices_queued(due, now=now)
    for notice_id in due:
        notice_send.delay(notice_id)
    return len(due)
