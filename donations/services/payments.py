"""A card gift's state, derived from Stripe's facts under the donation's row lock."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction

from donations.models import Donation, LedgerEntry
from donations.services.ledger import _ledger, _ledger_settle, _net_cents
from donations.services.receipts import _receipt_queue
from donations.services.states import DISPUTE_LOST, DISPUTE_OPEN, TRANSITIONS, S

logger = logging.getLogger(__name__)


# --- Facts from Stripe, and the state they imply ------------------------------------------------


@dataclass
class Facts:
    """What one Stripe object tells about a payment; merged into the donation monotonically."""

    paid: bool = False
    failed: bool = False
    expired: bool = False
    refunded_cents: int = 0
    dispute_status: str = ""
    charge_id: str = ""
    payment_intent_id: str = ""  # learned from a Checkout payment's first event
    amount_cents: int | None = None  # what Stripe says was charged, checked against ours
    currency: str = ""


def _status_derive(donation: Donation, facts: Facts) -> str:
    paid = donation.succeeded_at is not None or facts.paid
    dispute = donation.dispute_status
    if paid:
        if dispute in DISPUTE_LOST:
            return S.DISPUTE_LOST
        if dispute in DISPUTE_OPEN:
            return S.DISPUTED
        if donation.refunded_cents >= donation.total_cents:
            return S.REFUNDED
        if donation.refunded_cents > 0:
            return S.PARTIALLY_REFUNDED
        return S.SUCCEEDED
    if facts.expired or donation.status == S.CANCELED:
        return S.CANCELED
    if facts.failed or donation.status == S.FAILED:
        return S.FAILED
    return S.PENDING


def _dispute_merge(current: str, seen: str) -> str:
    """A closed dispute (won, lost) is final; an open one replaces nothing closed."""
    if not seen:
        return current
    closed = {"won", "lost", "warning_closed"}
    if current in closed:
        return current
    return seen


def donation_observe(*, donation_id: int, facts: Facts, now: dt.datetime) -> Donation:
    """Merge Stripe's facts into a donation under its row lock; ledger and receipt follow."""
    with transaction.atomic():
        donation = Donation.objects.select_for_update().select_related("event").get(pk=donation_id)
        if (
            facts.paid
            and facts.amount_cents is not None
            and (
                facts.amount_cents != donation.total_cents
                or facts.currency.lower() != donation.currency
            )
        ):
            logger.error(
                "donation %s: Stripe charged %s %s, we expected %s %s; not marked paid",
                donation.pk, facts.amount_cents, facts.currency,
                donation.total_cents, donation.currency,
            )  # fmt: skip
            return donation
        before = donation.status
        was_paid = donation.succeeded_at is not None
        if facts.paid and not was_paid:
            donation.succeeded_at = now
        donation.refunded_cents = min(
            max(donation.refunded_cents, facts.refunded_cents), donation.total_cents
        )
        donation.dispute_status = _dispute_merge(donation.dispute_status, facts.dispute_status)
        if facts.charge_id and not donation.stripe_charge_id:
            donation.stripe_charge_id = facts.charge_id
        if facts.payment_intent_id and not donation.stripe_payment_intent_id:
            donation.stripe_payment_intent_id = facts.payment_intent_id
        after = _status_derive(donation, facts)
        if after != before and after not in TRANSITIONS[before]:
            logger.error("donation %s: refusing %s -> %s", donation.pk, before, after)
            return Donation.objects.get(pk=donation.pk)
        donation.status = after
        donation.save()
        if donation.succeeded_at is not None:
            if not was_paid:
                net = _net_cents(donation)
                _ledger(donation, kind=LedgerEntry.Kind.GIFT, key="gift", amount_cents=net, now=now)
                _receipt_queue(donation)
            _ledger_settle(donation, now=now)
        return donation
