"""Celery tasks of the money path: an id in, one service call, nothing else."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from donations import services


@shared_task(
    name="donations.tasks.donation_receipt_send",
    ignore_result=True,
    autoretry_for=(OSError,),  # SMTP and network errors are transient
    retry_backoff=True,
    max_retries=8,
)
def donation_receipt_send(donation_id: int) -> bool:
    return services.donation_receipt_send(donation_id=donation_id, now=timezone.now())
