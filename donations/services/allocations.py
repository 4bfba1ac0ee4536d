"""Allocations: what each partner organization gets of every ledger entry.

`split_cents` is the one function that splits money: the largest-remainder method in whole cents,
deterministic (the same inputs give the same cents; a tie goes to the earlier partner, partners
being ordered by id). A gift's weights are its designation (one partner), the partners the donor
chose (equal parts), or the event's partner shares (basis points; frozen once a gift exists).
Every ledger entry of a gift — the net, a fee adjustment, a refund, a lost dispute, a void — is
split with the same weights, so reversals go back in the gift's proportions and the allocations
of a gift always add up to its net.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Value

from donations.models import Allocation, Donation, LedgerEntry
from donations.services.states import MoneyInvariantError
from events.models import EventPartner


def split_cents(amount_cents: int, weights: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Split amount_cents in proportion to the weights: [(key, weight)] → [(key, cents)].

    The parts add up to amount_cents exactly; each is the floor of its exact share, and the
    cents left go one each to the largest remainders (ties to the earlier item). A negative
    amount is split as its opposite, negated, so a reversal mirrors what it reverses.
    """
    total_weight = sum(weight for _key, weight in weights)
    if not weights or total_weight <= 0 or any(weight < 0 for _key, weight in weights):
        raise ValueError("weights must be non-negative and add up to more than zero")
    sign, amount = (-1, -amount_cents) if amount_cents < 0 else (1, amount_cents)
    parts = [amount * weight // total_weight for _key, weight in weights]
    remainders = [amount * weight % total_weight for _key, weight in weights]
    left = amount - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    return [(key, sign * part) for (key, _weight), part in zip(weights, parts, strict=True)]


@dataclass(frozen=True)
class Split:
    """How a gift is shared among partner organizations."""

    weights: tuple[tuple[int, int], ...]  # (organization id, weight), ordered by id
    designated: bool  # designated to one partner, or split among partners the donor chose


def gift_split(donation: Donation) -> Split:
    """The gift's weights, read in one query (it runs on every webhook that writes the ledger)."""
    if donation.designated_to_id:
        return Split(((donation.designated_to_id, 1),), designated=True)
    chosen = (
        Donation.split_among.through.objects.filter(donation_id=donation.pk)
        .order_by()
        .values_list("organization_id", Value(1), Value(True))
    )
    shares = (
        EventPartner.objects.filter(event_id=donation.event_id)
        .order_by()
        .values_list("organization_id", "share_bp", Value(False))
    )
    rows = sorted(chosen.union(shares, all=True))
    picked = tuple((pk, weight) for pk, weight, was_chosen in rows if was_chosen)
    if picked:
        return Split(picked, designated=True)
    if not rows:
        raise MoneyInvariantError(f"gift {donation.pk}: its pledge day has no partner shares")
    return Split(tuple((pk, weight) for pk, weight, _chosen in rows), designated=False)


def allocations_write(
    entries: Sequence[LedgerEntry], *, donation: Donation, split: Split, now: dt.datetime
) -> list[Allocation]:
    """Write the allocations of new ledger entries (the caller holds the gift's row lock)."""
    rows = [
        Allocation(
            entry=entry,
            donation=donation,
            event_id=donation.event_id,
            organization_id=organization_id,
            kind=entry.kind,
            designated=split.designated,
            amount_cents=cents,
            created_at=now,
        )
        for entry in entries
        for organization_id, cents in split_cents(entry.amount_cents, split.weights)
        if cents
    ]
    return Allocation.objects.bulk_create(rows)
