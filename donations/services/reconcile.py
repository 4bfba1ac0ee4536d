"""Payments no webhook reported (issue 9): a missed or lost webhook loses no gift.

A beat task asks Stripe for the PaymentIntents of the last hours (paged) and, for each one of
this site's that succeeded while its gift has never been seen paid, records what the webhook
would have said — a `payment_intent.succeeded` event built from the PaymentIntent itself, stored
under the id `reconcile_<payment intent>` with `pledgeday_origin: reconciliation` — and applies
it through the webhook's own path (`stripe_event_process`). So everything the webhook guarantees
holds: the gift is applied once whatever arrives later (the real event converges), and a payment
that cannot be applied (another amount, no gift known) is parked where finance sees it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q

from donations import stripe_api
from donations.models import Donation
from donations.services.webhook import stripe_event_process, stripe_event_record

ORIGIN = "reconciliation"


@dataclass
class Reconciliation:
    seen: int = 0  # this site's succeeded PaymentIntents in the window
    known: int = 0  # their gifts had been seen paid
    recorded: list[str] = field(default_factory=list)  # what applying each missed one did


BATCH = 500  # PaymentIntents whose gifts are looked up in one query


def _named_donation(intent: dict[str, Any]) -> int | None:
    donation_id = str((intent.get("metadata") or {}).get(stripe_api.METADATA_DONATION, ""))
    return int(donation_id) if donation_id.isdigit() else None


def _seen_paid(intents: list[dict[str, Any]]) -> set[str]:
    """Which of these payments' gifts were ever seen paid (one query): bound by the
    PaymentIntent, or named by our metadata while a Checkout Session has not bound it yet."""
    ids = [intent["id"] for intent in intents]
    named = {d: intent["id"] for intent in intents if (d := _named_donation(intent)) is not None}
    paid = Donation.objects.filter(
        Q(stripe_payment_intent_id__in=ids)
        | Q(pk__in=named)
        & (Q(stripe_payment_intent_id__isnull=True) | Q(stripe_payment_intent_id="")),
        succeeded_at__isnull=False,
    ).values_list("pk", "stripe_payment_intent_id")
    return {intent_id or named[pk] for pk, intent_id in paid}


def _record(intent: dict[str, Any], now: dt.datetime) -> str | None:
    """The event the webhook would have sent, stored once and applied through its path; None
    when an earlier run recorded it and it is final."""
    payload = {
        "id": f"reconcile_{intent['id']}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "livemode": intent.get("livemode"),
        "created": intent.get("created"),
        "pledgeday_origin": ORIGIN,
        "data": {"object": intent},
    }
    record = stripe_event_record(payload=payload, now=now)
    if record is None:
        return None
    return f"{intent['id']}: {stripe_event_process(record=record, now=now)}"


def _settle(batch: list[dict[str, Any]], result: Reconciliation, now: dt.datetime) -> None:
    seen = _seen_paid(batch)
    result.seen += len(batch)
    result.known += sum(1 for intent in batch if intent["id"] in seen)
    for intent in batch:
        if intent["id"] not in seen and (outcome := _record(intent, now)) is not None:
            result.recorded.append(outcome)


def payments_reconcile(*, now: dt.datetime, hours: int | None = None) -> Reconciliation:
    """Record the succeeded payments of the last `hours` (STRIPE_RECONCILE_HOURS) that no
    webhook reported. Stripe errors propagate (the task retries)."""
    window = settings.STRIPE_RECONCILE_HOURS if hours is None else hours
    result = Reconciliation()
    batch: list[dict[str, Any]] = []
    for intent in stripe_api.payment_intents_since(now - dt.timedelta(hours=window)):
        metadata = intent.get("metadata") or {}
        if intent.get("status") != "succeeded":
            continue
        if metadata.get(stripe_api.METADATA_INSTANCE) != settings.PLEDGEDAY_INSTANCE:
            continue  # another site's payment on the same Stripe account, or not ours at all
        batch.append(intent)
        if len(batch) == BATCH:
            _settle(batch, result, now)
            batch = []
    if batch:
        _settle(batch, result, now)
    return result
