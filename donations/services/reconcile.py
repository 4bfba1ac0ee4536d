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


def _seen_paid(intent: dict[str, Any]) -> bool:
    """Whether the gift of this payment was ever seen paid (bound by the PaymentIntent, or named
    by our metadata while a Checkout Session has not bound it yet)."""
    named = Q(stripe_payment_intent_id=intent["id"])
    donation_id = str((intent.get("metadata") or {}).get(stripe_api.METADATA_DONATION, ""))
    if donation_id.isdigit():
        named |= Q(pk=int(donation_id), stripe_payment_intent_id="")
    return Donation.objects.filter(named, succeeded_at__isnull=False).exists()


def payments_reconcile(*, now: dt.datetime, hours: int | None = None) -> Reconciliation:
    """Record the succeeded payments of the last `hours` (STRIPE_RECONCILE_HOURS) that no
    webhook reported. Stripe errors propagate (the task retries)."""
    window = settings.STRIPE_RECONCILE_HOURS if hours is None else hours
    result = Reconciliation()
    for intent in stripe_api.payment_intents_since(now - dt.timedelta(hours=window)):
        metadata = intent.get("metadata") or {}
        if intent.get("status") != "succeeded":
            continue
        if metadata.get(stripe_api.METADATA_INSTANCE) != settings.PLEDGEDAY_INSTANCE:
            continue  # another site's payment on the same Stripe account, or not ours at all
        result.seen += 1
        if _seen_paid(intent):
            result.known += 1
            continue
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
        if record is None:  # an earlier run recorded it, and it is final
            continue
        outcome = stripe_event_process(record=record, now=now)
        result.recorded.append(f"{intent['id']}: {outcome}")
    return result
