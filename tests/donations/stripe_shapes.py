"""Stripe-shaped objects and events, built from Stripe's published fixtures, signed like Stripe."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
from functools import cache
from pathlib import Path
from typing import Any

from donations import stripe_api
from donations.models import Donation
from donations.stripe_api import LOCAL_WEBHOOK_SECRET

FIXTURES = Path(__file__).parent / "stripe_fixtures" / "fixtures3.json"
_ids = itertools.count(1)


@cache
def _resources() -> dict[str, Any]:
    return json.loads(FIXTURES.read_text())["resources"]


def shape(kind: str, **fields: Any) -> dict[str, Any]:
    """A copy of Stripe's example object of this kind, with the given fields replaced."""
    obj = copy.deepcopy(_resources()[kind])
    obj.update(fields)
    return obj


def ours(donation: Donation) -> dict[str, str]:
    """The metadata this site puts on a gift's PaymentIntent (Stripe copies it to the charge)."""
    return stripe_api.metadata(donation_id=donation.pk, event_slug=donation.event.slug)


def payment_intent(donation: Donation, *, status: str = "succeeded", **fields: Any) -> dict:
    values: dict[str, Any] = {
        "id": donation.stripe_payment_intent_id,
        "amount": donation.total_cents,
        "amount_received": donation.total_cents if status == "succeeded" else 0,
        "currency": donation.currency,
        "status": status,
        "latest_charge": f"ch_{donation.pk}",
        "metadata": ours(donation),
    }
    return shape("payment_intent", **{**values, **fields})


def refund(
    donation: Donation,
    amount_cents: int,
    *,
    number: int = 1,
    status: str = "succeeded",
    **fields: Any,
) -> dict:
    """Stripe's refund object: the donation's refund number `number` of amount_cents."""
    values: dict[str, Any] = {
        "id": f"re_{donation.pk}_{number}",
        "amount": amount_cents,
        "charge": f"ch_{donation.pk}",
        "payment_intent": donation.stripe_payment_intent_id,
        "currency": donation.currency,
        "status": status,
        "metadata": ours(donation),
    }
    return shape("refund", **{**values, **fields})


def charge(donation: Donation, *refund_amounts: int, **fields: Any) -> dict:
    """The gift's charge, with its refunds (each amount one refund, numbered from 1) listed."""
    refunds = [refund(donation, amount, number=n) for n, amount in enumerate(refund_amounts, 1)]
    refunded = sum(refund_amounts)
    values: dict[str, Any] = {
        "id": f"ch_{donation.pk}",
        "amount": donation.total_cents,
        "amount_captured": donation.total_cents,
        "amount_refunded": refunded,
        "refunded": refunded >= donation.total_cents,
        "refunds": {"object": "list", "data": refunds, "has_more": False, "url": "/v1/refunds"},
        "currency": donation.currency,
        "paid": True,
        "captured": True,
        "status": "succeeded",
        "payment_intent": donation.stripe_payment_intent_id,
        "metadata": ours(donation),
    }
    return shape("charge", **{**values, **fields})


def dispute(donation: Donation, *, status: str) -> dict:
    return shape(
        "dispute",
        id=f"dp_{donation.pk}",
        amount=donation.total_cents,
        charge=f"ch_{donation.pk}",
        payment_intent=donation.stripe_payment_intent_id,
        currency=donation.currency,
        status=status,
    )


def checkout_session_expired(donation: Donation) -> dict:
    return shape(
        "checkout.session",
        id=donation.stripe_checkout_session_id,
        status="expired",
        payment_status="unpaid",
        payment_intent=None,
        metadata=ours(donation),
    )


def event(event_type: str, obj: dict, *, event_id: str = "") -> dict:
    """A Stripe Event wrapping obj, as Stripe would deliver it."""
    return shape(
        "event",
        id=event_id or f"evt_test_{next(_ids)}",
        type=event_type,
        created=int(time.time()),
        data={"object": obj},
    )


def sign_bytes(body: bytes, *, secret: str = LOCAL_WEBHOOK_SECRET, at: int | None = None) -> str:
    """The Stripe-Signature header for a raw body (HMAC-SHA256 of "t.body")."""
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def signed(
    payload: dict, *, secret: str = LOCAL_WEBHOOK_SECRET, at: int | None = None
) -> tuple[bytes, str]:
    """The body and Stripe-Signature header Stripe would send (HMAC-SHA256 of "t.body")."""
    body = json.dumps(payload).encode()
    return body, sign_bytes(body, secret=secret, at=at)
