"""The ledger: what each gift brings to (or takes from) the pool, written exactly once."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Sum

from donations.models import Donation, LedgerEntry
from donations.services.states import DISPUTE_LOST
from events.money import fee_estimate_cents

logger = logging.getLogger(__name__)


def _ledger(
    donation: Donation, *, kind: str, key: str, amount_cents: int, now: dt.datetime
) -> None:
    """Write a ledger entry once (the unique key makes a repeat a no-op)."""
    try:
        with transaction.atomic():
            LedgerEntry.objects.create(
                donation=donation, kind=kind, key=key, amount_cents=amount_cents, created_at=now
            )
    except IntegrityError:
        pass


def _ledger_target(donation: Donation) -> int:
    """What the ledger must add up to for a paid gift, from its merged state alone.

    The net, less every refunded cent; a lost dispute takes back whatever was not refunded.
    Facts only grow, so the target only falls, and each adjustment is keyed by the target it
    reaches: any order of events writes the same entries.
    """
    target = _net_cents(donation) - donation.refunded_cents
    if donation.dispute_status in DISPUTE_LOST:
        target -= donation.total_cents - donation.refunded_cents
    return target


def _ledger_settle(donation: Donation, *, now: dt.datetime) -> None:
    recorded = LedgerEntry.objects.filter(donation=donation).aggregate(s=Sum("amount_cents"))["s"]
    change = _ledger_target(donation) - (recorded or 0)
    if change == 0:
        return
    lost = donation.dispute_status in DISPUTE_LOST
    _ledger(
        donation,
        kind=LedgerEntry.Kind.DISPUTE if lost else LedgerEntry.Kind.REFUND,
        key=f"settle-to-{_ledger_target(donation)}",
        amount_cents=change,
        now=now,
    )


def _net_cents(donation: Donation) -> int:
    """What reaches the pool: the charge less the processor's fee (estimated from the event)."""
    if donation.method != Donation.Method.CARD:
        return donation.total_cents
    event = donation.event
    fee = fee_estimate_cents(
        donation.total_cents, fee_bp=event.card_fee_bp, fixed_cents=event.card_fee_fixed_cents
    )
    return donation.total_cents - fee
