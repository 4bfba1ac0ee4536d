"""Celery tasks of the money path: an id in, one service call, nothing else.

Every task is idempotent (the service checks the row's state), so acks_late redelivery and the
beat scans queueing something twice are harmless.
"""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from donations import services
from donations.stripe_api import TRANSIENT_ERRORS
from events.alerts import alert


@shared_task(
    name="donations.tasks.donation_receipt_send",
    ignore_result=True,
    # The mail server is down or slow (the receipt went back to "pending"): retry with backoff;
    # the beat scan is the backstop, and a permanent refusal is never retried.
    autoretry_for=(OSError, SoftTimeLimitExceeded),
    retry_backoff=30,
    max_retries=4,
)
def donation_receipt_send(donation_id: int) -> str:
    return services.donation_receipt_send(donation_id=donation_id, now=timezone.now())


@shared_task(name="donations.tasks.donation_receipts_scan", ignore_result=True)
def donation_receipts_scan() -> int:
    """Beat: queue the receipts no task took (broker down at commit, worker killed)."""
    due = services.donation_receipts_due(now=timezone.now())
    for donation_id in due:
        donation_receipt_send.delay(donation_id)
    return len(due)


@shared_task(
    name="donations.tasks.donation_processor_fee_fetch",
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=60,
    max_retries=3,
)
def donation_processor_fee_fetch(donation_id: int) -> str:
    return services.donation_processor_fee_fetch(donation_id=donation_id, now=timezone.now())


@shared_task(
    name="donations.tasks.stripe_events_retry",
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=30,
    max_retries=3,
)
def stripe_events_retry(donation_id: int) -> int:
    """Apply the parked events of a payment whose gift just became known."""
    return services.stripe_events_retry(donation_id=donation_id, now=timezone.now())


@shared_task(
    name="donations.tasks.stripe_event_process",
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=30,
    max_retries=3,
)
def stripe_event_process(record_id: int) -> str:
    return services.stripe_event_process_by_id(record_id=record_id, now=timezone.now())


@shared_task(name="donations.tasks.stripe_scan", ignore_result=True)
def stripe_scan() -> int:
    """Beat: parked events of unknown payments are tried again; Stripe's actual fees fetched."""
    now = timezone.now()
    parked = services.stripe_events_parked_unknown(now=now)
    for record_id in parked:
        stripe_event_process.delay(record_id)
    due = services.donations_fee_due(now=now)
    for donation_id in due:
        donation_processor_fee_fetch.delay(donation_id)
    return len(parked) + len(due)


@shared_task(name="donations.tasks.tallies_reconcile", ignore_result=True)
def tallies_reconcile() -> int:
    """Beat, nightly: every tally checked against the ledger; drift is alerted."""
    return services.tallies_reconcile_all(now=timezone.now())


@shared_task(
    name="donations.tasks.payments_reconcile",
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=60,
    max_retries=3,
)
def payments_reconcile() -> int:
    """Beat: succeeded payments no webhook reported are recorded; the admins are told, since a
    missed webhook means Stripe's endpoint or its secret needs a look."""
    result = services.payments_reconcile(now=timezone.now())
    if result.recorded:
        alert(
            subject=f"Stripe payments that arrived without their webhook: {len(result.recorded)}",
            detail="The reconciliation recorded them from Stripe's list of payments: "
            + "; ".join(result.recorded[:20])
            + ". Check the webhook endpoint and its signing secret in Stripe's dashboard.",
        )
    return len(result.recorded)
