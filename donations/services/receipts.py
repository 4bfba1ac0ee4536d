"""Receipts, sent once and never lost: the donation row is the outbox.

The transaction that records a payment (or a check) marks the receipt "pending"; a task queued
on commit claims it with one UPDATE (a lease that expires by itself), sends it outside any lock,
and marks it "sent" or, for a permanent refusal or after the last attempt, "failed" (shown on
the organizer's attention page, with a way to send it again). A beat scan queues what no task
took: receipts whose task was never queued (broker down at commit) and claims whose worker died
mid-send (lease expired). A gift refunded or lost to a dispute before its receipt went out gets
none. Delivery is at least once: a worker killed after the mail server accepted the message but
before the row says "sent" sends it again when its lease expires.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from donations import emails
from donations.models import Donation
from donations.services.states import S
from events.alerts import alert

logger = logging.getLogger(__name__)
R = Donation.ReceiptStatus

RECEIPTED_STATUSES = (S.SUCCEEDED, S.PARTIALLY_REFUNDED)
# Longer than the task's hard time limit (CELERY_TASK_TIME_LIMIT, 120 s) plus EMAIL_TIMEOUT:
# a lease only expires once its worker can no longer be sending.
RECEIPT_LEASE = dt.timedelta(minutes=5)
RECEIPT_MAX_ATTEMPTS = 6
# The beat scan leaves fresh receipts to the task queued on commit.
RECEIPT_SCAN_AFTER = dt.timedelta(minutes=2)


def receipt_state_follow(donation: Donation) -> None:
    """Keep the receipt's state in step with the gift's (the caller holds the row lock and
    saves): a paid gift with an email, in a receipted state, whose receipt never went out, has
    one due — when it is paid, and again if it comes back (a refund that failed, a dispute won);
    one still pending is dropped when the gift leaves those states (refunded in full, disputed,
    voided) before it went out. A failed or sent receipt is left as it is."""
    receipted = donation.status in RECEIPTED_STATUSES and donation.succeeded_at is not None
    if donation.receipt_status == R.PENDING and not receipted:
        donation.receipt_status = R.NONE
    elif (
        donation.receipt_status == R.NONE
        and receipted
        and donation.donor_email
        and donation.receipt_sent_at is None
    ):
        donation.receipt_status = R.PENDING


def receipt_queue(donation: Donation) -> None:
    """Queue the receipt's task once the transaction that made it due commits. robust: a broker
    that is down must not break the page; the beat scan sends what no task took."""
    from donations import tasks

    donation_id = donation.pk
    transaction.on_commit(lambda: tasks.donation_receipt_send.delay(donation_id), robust=True)


def donation_receipt_send(*, donation_id: int, now: dt.datetime) -> str:
    """Send the receipt if it is due; returns "sent", "not due" or "refused".

    A transient failure (mail server down, timeout, the task's soft time limit) puts the
    receipt back to "pending" and re-raises, so that the task retries with backoff.
    """
    claimed = (
        Donation.objects.filter(pk=donation_id, status__in=RECEIPTED_STATUSES)
        .exclude(donor_email="")
        .filter(
            Q(receipt_status=R.PENDING) | Q(receipt_status=R.SENDING, receipt_claimed_until__lt=now)
        )
        .update(
            receipt_status=R.SENDING,
            receipt_claimed_until=now + RECEIPT_LEASE,
            receipt_attempts=F("receipt_attempts") + 1,
        )
    )
    if not claimed:
        return "not due"
    donation = Donation.objects.select_related("event__fiscal_host").get(pk=donation_id)
    try:
        emails.receipt_email_send(donation=donation)
    except Exception as error:  # recorded below, then re-raised or reported as refused
        permanent = emails.is_permanent_refusal(error)
        last = permanent or donation.receipt_attempts >= RECEIPT_MAX_ATTEMPTS
        Donation.objects.filter(pk=donation_id, receipt_status=R.SENDING).update(
            receipt_status=R.FAILED if last else R.PENDING,
            receipt_claimed_until=None,
            receipt_error=f"{type(error).__name__}: {error}"[:300],
        )
        if last:
            alert(
                subject=f"Receipt of gift {donation_id} was not sent",
                detail=f"{'refused' if permanent else 'gave up after retries'}: {error}",
            )
        if permanent:
            return "refused"
        raise
    Donation.objects.filter(pk=donation_id, receipt_status=R.SENDING).update(
        receipt_status=R.SENT, receipt_sent_at=now, receipt_claimed_until=None, receipt_error=""
    )
    return "sent"


def donation_receipts_due(*, now: dt.datetime) -> list[int]:
    """The gifts whose receipt no task is taking care of: the beat scan queues them."""
    return list(
        Donation.objects.filter(status__in=RECEIPTED_STATUSES)
        .filter(
            Q(receipt_status=R.PENDING, succeeded_at__lt=now - RECEIPT_SCAN_AFTER)
            | Q(receipt_status=R.SENDING, receipt_claimed_until__lt=now)
        )
        .values_list("pk", flat=True)[:500]
    )


def donation_receipt_retry(*, donation: Donation, donor_email: str = "") -> Donation:
    """An organizer sends a failed receipt again (to a corrected address, if given)."""
    fields: dict[str, object] = {
        "receipt_status": R.PENDING,
        "receipt_attempts": 0,
        "receipt_error": "",
    }
    if donor_email:
        fields["donor_email"] = donor_email
    updated = Donation.objects.filter(
        pk=donation.pk, receipt_status=R.FAILED, status__in=RECEIPTED_STATUSES
    ).update(**fields)
    if not updated:
        raise ValidationError(_("This receipt is not waiting to be sent again."), code="not_failed")
    receipt_queue(donation)
    return Donation.objects.get(pk=donation.pk)
