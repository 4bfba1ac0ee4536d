"""Delivering Stripe-shaped, Stripe-signed events to the real webhook view, and reading back
what they did to a gift."""

from __future__ import annotations

from django.db.models import Sum
from django.test import Client

from donations.models import Donation, LedgerEntry
from tests.donations import stripe_shapes as shapes

URL = "/stripe/webhook/"


def deliver(client: Client, payload: object, **sign: object) -> tuple[int, str]:
    """POST the event as Stripe would (signed); returns the status and the body."""
    body, signature = shapes.signed(payload, **sign)  # type: ignore[arg-type]
    response = client.post(
        URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    return response.status_code, response.content.decode()


def fresh(donation: Donation) -> Donation:
    return Donation.objects.get(pk=donation.pk)


def ledger_sum(donation: Donation) -> int:
    return LedgerEntry.objects.filter(donation=donation).aggregate(s=Sum("amount_cents"))["s"] or 0


def succeeded(donation: Donation, **fields: object) -> dict:
    return shapes.event("payment_intent.succeeded", shapes.payment_intent(donation, **fields))


def refunded(donation: Donation, *refund_amounts: int) -> dict:
    """charge.refunded listing the gift's refunds so far (each amount one refund)."""
    return shapes.event("charge.refunded", shapes.charge(donation, *refund_amounts))
