"""Celery tasks of the money path: fetch by id, call one function, idempotent."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from donations.models import Donation
from donations.receipts import receipt_email_send

RECEIPTED_STATUSES = (Donation.Status.SUCCEEDED, Donation.Status.PARTIALLY_REFUNDED)


@shared_task(
    name="donations.tasks.donation_receipt_send",
    ignore_result=True,
    autoretry_for=(OSError,),  # SMTP and network errors are transient
    retry_backoff=True,
    max_retries=8,
)
def donation_receipt_send(donation_id: int) -> bool:
    """Email the receipt once. The task claims it (receipt_sent_at) in a short transaction and
    sends after, so a slow mail server never holds the donation's lock; a failed send releases
    the claim for the retry. No receipt for a gift refunded or lost to a dispute before it went."""
    claimed = (
        Donation.objects.filter(
            pk=donation_id,
            receipt_sent_at__isnull=True,
            status__in=RECEIPTED_STATUSES,
        )
        .exclude(donor_email="")
        .update(receipt_sent_at=timezone.now())
    )
    if not claimed:
        return False
    donation = Donation.objects.select_related("event__fiscal_host").get(pk=donation_id)
    try:
        receipt_email_send(donation=donation)
    except Exception:
        Donation.objects.filter(pk=donation_id).update(receipt_sent_at=None)
        raise
    return True
