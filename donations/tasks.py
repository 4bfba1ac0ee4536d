"""Celery tasks of the money path: fetch by id, call one function, idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from donations.models import Donation
from donations.receipts import receipt_email_send


@shared_task(
    name="donations.tasks.donation_receipt_send",
    ignore_result=True,
    autoretry_for=(OSError,),  # SMTP and network errors are transient
    retry_backoff=True,
    max_retries=8,
)
def donation_receipt_send(donation_id: int) -> bool:
    """Email the receipt once: the row lock and receipt_sent_at make a second run send nothing."""
    with transaction.atomic():
        donation = (
            Donation.objects.select_for_update()
            .select_related("event__fiscal_host")
            .filter(pk=donation_id, receipt_sent_at__isnull=True, succeeded_at__isnull=False)
            .exclude(donor_email="")
            .first()
        )
        if donation is None:
            return False
        receipt_email_send(donation=donation)
        donation.receipt_sent_at = timezone.now()
        donation.save(update_fields=["receipt_sent_at"])
    return True
