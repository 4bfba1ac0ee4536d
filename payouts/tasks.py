"""Celery tasks of closing and paying: an id in, one service call, nothing else.

Each is idempotent (computing again with nothing changed writes nothing; a transfer is claimed
and sent under one idempotency key), so acks_late redelivery, a retried task and the beat's scan
running alongside are harmless.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from payouts import services


@shared_task(name="payouts.tasks.payouts_compute", ignore_result=True)
def payouts_compute(event_id: int) -> int | None:
    """Closing queued this: compute the day's payouts (None: nothing changed)."""
    run = services.payouts_compute(event_id=event_id, now=timezone.now())
    return run.number if run else None


@shared_task(name="payouts.tasks.payouts_send", ignore_result=True)
def payouts_send(run_id: int) -> dict[str, int]:
    """Approval queued this: send the run's Stripe transfers."""
    return services.payouts_send(run_id=run_id, now=timezone.now())


@shared_task(name="payouts.tasks.payouts_scan", ignore_result=True)
def payouts_scan() -> dict[str, int]:
    """Beat: first runs of days that closed by themselves, follow-ups of days whose ledger
    changed, and transfers nobody is sending (a worker killed mid-send)."""
    return services.payouts_scan(now=timezone.now())
