"""The ledger: what each gift brings to (or takes from) the pool.

`ledger_settle` is the only writer; with each entry it writes the entry's allocations per partner
organization (services.allocations) and adds it to the tallies (services.tallies). Under the
donation's row lock (the caller holds it) it computes, from the donation's merged state alone,
what each kind of entry must add up to — the net when paid (fee adjustments when Stripe's actual
fee replaces the estimate), minus every refunded cent, minus what a lost dispute took back, minus
a voided gift — and writes one entry for each difference. Facts only grow, so every order of
Stripe's events ends with the same sums. Keys are "gift", then "<kind>-<n>" (n counts the
donation's entries): unique per donation, so the database refuses a repeat, and nothing here
swallows that refusal.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Sum

from donations.models import Donation, LedgerEntry
from donations.services.allocations import allocations_write, gift_split
from donations.services.matching import match_settle
from donations.services.states import DISPUTE_LOST, S
from donations.services.tallies import ledger_change_record
from events.money import fee_estimate_cents

K = LedgerEntry.Kind


def processor_fee_estimate(donation: Donation) -> int:
    """The processor's fee on a card charge, from the rule the gift was given under."""
    if donation.method != Donation.Method.CARD:
        return 0
    return fee_estimate_cents(
        donation.total_cents, fee_bp=donation.fee_bp, fixed_cents=donation.fee_fixed_cents
    )


def net_cents(donation: Donation) -> int:
    """What reaches the pool from a gift: the charge less the processor's fee (Stripe's actual
    fee once known, else the estimate); cash and checks arrive whole."""
    if donation.method != Donation.Method.CARD:
        return donation.total_cents
    fee = donation.processor_fee_cents
    return donation.total_cents - (processor_fee_estimate(donation) if fee is None else fee)


def ledger_targets(donation: Donation) -> dict[str, int]:
    """What each kind of entry must add up to for the donation as it now stands."""
    if donation.succeeded_at is None:
        return {}
    lost = donation.dispute_status in DISPUTE_LOST
    return {
        K.GIFT: net_cents(donation),  # the first entry; later differences are K.FEE
        K.REFUND: -donation.refunded_cents,
        K.DISPUTE: -(donation.total_cents - donation.refunded_cents) if lost else 0,
        K.VOID: -net_cents(donation) if donation.status == S.VOIDED else 0,
    }


def ledger_settle(donation: Donation, *, now: dt.datetime) -> list[LedgerEntry]:
    """Bring the donation's ledger to what its state says; returns the entries written."""
    rows = (
        LedgerEntry.objects.filter(donation=donation)
        .values("kind")
        .annotate(total=Sum("amount_cents"), n=Count("id"))
    )
    recorded = {row["kind"]: row["total"] for row in rows}
    count = sum(row["n"] for row in rows)
    written: list[LedgerEntry] = []

    def write(kind: str, key: str, amount_cents: int) -> None:
        nonlocal count
        count += 1
        written.append(
            LedgerEntry.objects.create(
                donation=donation, kind=kind, key=key, amount_cents=amount_cents, created_at=now
            )
        )

    for kind, target in ledger_targets(donation).items():
        if kind == K.GIFT:
            if K.GIFT not in recorded:
                write(K.GIFT, "gift", target)
                recorded[K.GIFT] = target
            change = target - recorded[K.GIFT] - recorded.get(K.FEE, 0)
            kind = K.FEE
        else:
            change = target - recorded.get(kind, 0)
        if change:
            write(kind, f"{kind}-{count + 1}", change)
    if written:
        split = gift_split(donation)
        allocations = allocations_write(written, donation=donation, split=split, now=now)
        ledger_change_record(
            written, donation=donation, allocations=allocations, designated=split.designated
        )
        newly_given = any(entry.kind == K.GIFT for entry in written)
        match_settle(donation, split=split, newly_given=newly_given, now=now)
    return written
