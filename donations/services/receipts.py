"""Receipts: claimed, sent, and never for a refunded gift."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction

from donations import emails
from donations.models import Donation
from donations.services.states import S

logger = logging.getLogger(__name__)


RECEIPTED_STATUSES = (S.SUCCEEDED, S.PARTIALLY_REFUNDED)


def donation_receipt_send(*, donation_id: int, now: dt.datetime) -> bool:
    """Email the receipt once; True if this call sent it.

    The receipt is claimed (receipt_sent_at) by one short UPDATE and sent after it, so a slow
    mail server never holds the donation's lock; a failed send releases the claim for the retry.
    A gift refunded or lost to a dispute before its receipt went out gets none.
    """
    claimed = (
        Donation.objects.filter(
            pk=donation_id, receipt_sent_at__isnull=True, status__in=RECEIPTED_STATUSES
        )
        .exclude(donor_email="")
        .update(receipt_sent_at=now)
    )
    if not claimed:
        return False
    donation = Donation.objects.select_related("event__fiscal_host").get(pk=donation_id)
    try:
        emails.receipt_email_send(donation=donation)
    except Exception:
        Donation.objects.filter(pk=donation_id).update(receipt_sent_at=None)
        raise
    return True


def _receipt_queue(donation: Donation) -> None:
    if not donation.donor_email:
        return
    from donations.tasks import donation_receipt_send

    donation_id = donation.pk
    transaction.on_commit(lambda: donation_receipt_send.delay(donation_id))
