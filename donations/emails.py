"""Donation receipts by email, in the donor's language: the one module that sends them."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from config.mail import is_permanent_refusal
from donations.models import Donation

__all__ = ["is_permanent_refusal", "receipt_email_send"]


def receipt_email_send(*, donation: Donation) -> None:
    event = donation.event
    with translation.override(donation.language or "en"):
        context = {
            "donation": donation,
            "event": event,
            "host": event.fiscal_host,
            "partners": [
                partner.organization.name
                for partner in event.partners.select_related("organization").order_by(
                    "organization__name"
                )
            ],
            "split_among": list(
                donation.split_among.order_by("name").values_list("name", flat=True)
            ),
            "site_url": settings.SITE_URL,
        }
        subject = render_to_string("donations/email/receipt_subject.txt", context).strip()
        body = render_to_string("donations/email/receipt.txt", context)
    send_mail(
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [donation.donor_email],
    )
