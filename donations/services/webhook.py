"""Stripe's events: stored once, then applied to their donation."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction

from donations.models import Donation, StripeEvent
from donations.services.payments import Facts, donation_observe

logger = logging.getLogger(__name__)


# --- Stripe events ------------------------------------------------------------------------------

HANDLED_TYPES = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
    "checkout.session.expired",
)


def _id(value: Any) -> str:
    """An expandable Stripe field: either an id string or an object with an id."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return ""


def _facts_and_keys(event_type: str, obj: dict[str, Any]) -> tuple[Facts, dict[str, str]]:
    """The facts an event's object states, and the keys that find its donation."""
    metadata = obj.get("metadata") or {}
    keys = {"donation_id": str(metadata.get("donation_id") or "")}
    if event_type.startswith("payment_intent."):
        keys["payment_intent"] = obj.get("id", "")
        if event_type == "payment_intent.succeeded":
            facts = Facts(
                paid=True,
                charge_id=_id(obj.get("latest_charge")),
                amount_cents=obj.get("amount_received") or obj.get("amount"),
                currency=obj.get("currency", ""),
            )
        else:
            facts = Facts(failed=True)
    elif event_type == "charge.refunded":
        keys["payment_intent"] = _id(obj.get("payment_intent"))
        facts = Facts(
            paid=bool(obj.get("paid")) and obj.get("status") == "succeeded",
            refunded_cents=int(obj.get("amount_refunded") or 0),
            charge_id=obj.get("id", ""),
            amount_cents=obj.get("amount"),
            currency=obj.get("currency", ""),
        )
    elif event_type.startswith("charge.dispute."):
        keys["payment_intent"] = _id(obj.get("payment_intent"))
        # A dispute says nothing about whether we were paid: only the payment's own events do.
        facts = Facts(dispute_status=obj.get("status", ""), charge_id=_id(obj.get("charge")))
    else:  # checkout.session.expired
        keys["checkout_session"] = obj.get("id", "")
        keys["payment_intent"] = _id(obj.get("payment_intent"))
        facts = Facts(expired=obj.get("payment_status") != "paid")
    return facts, keys


def _donation_find(keys: dict[str, str]) -> Donation | None:
    if keys.get("payment_intent"):
        found = Donation.objects.filter(stripe_payment_intent_id=keys["payment_intent"]).first()
        if found:
            return found
    if keys.get("checkout_session"):
        found = Donation.objects.filter(stripe_checkout_session_id=keys["checkout_session"]).first()
        if found:
            return found
    if keys.get("donation_id", "").isdigit():
        return Donation.objects.filter(pk=int(keys["donation_id"]), method="card").first()
    return None


def stripe_event_record(*, payload: dict[str, Any], now: dt.datetime) -> StripeEvent | None:
    """Store a verified event once; None when it was already received and processed."""
    try:
        with transaction.atomic():
            return StripeEvent.objects.create(
                stripe_id=payload["id"], type=payload["type"], payload=payload, received_at=now
            )
    except IntegrityError:
        existing = StripeEvent.objects.get(stripe_id=payload["id"])
        return None if existing.processed_at else existing


def stripe_event_process(*, record: StripeEvent, now: dt.datetime) -> str:
    """Apply one stored event; returns what happened. Errors propagate (the view answers 5xx)."""
    with transaction.atomic():
        record = StripeEvent.objects.select_for_update().get(pk=record.pk)
        if record.processed_at:
            return "already processed"
        outcome = "ignored type"
        if record.type in HANDLED_TYPES:
            obj = record.payload["data"]["object"]
            facts, keys = _facts_and_keys(record.type, obj)
            donation = _donation_find(keys)
            if donation is None:
                outcome = "no matching donation"
            else:
                facts.payment_intent_id = keys.get("payment_intent", "")
                donation = donation_observe(donation_id=donation.pk, facts=facts, now=now)
                outcome = f"donation {donation.pk} is {donation.status}"
        record.processed_at, record.outcome = now, outcome[:200]
        record.save(update_fields=["processed_at", "outcome"])
        return outcome
