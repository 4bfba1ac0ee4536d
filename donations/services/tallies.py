"""Tallies: running totals per pledge day, partner organization, corner, shift, volunteers and
bucket, written in the ledger's transaction, read in constant time.

A ledger entry (and its allocations) becomes counter deltas (`entry_deltas`, the one place that
says what an entry adds to each counter); the deltas of a gift's change are added in one
statement, `INSERT … ON CONFLICT DO UPDATE SET counter = counter + excluded.counter`, into the
slot of the gift's id, so concurrent webhooks of one pledge day rarely touch the same row and
never read a counter to write it back. `tallies_reconcile` recomputes every tally from the ledger
with the same arithmetic and reports (or repairs) any drift.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet

from donations.models import Allocation, Donation, LedgerEntry, MatchCredit, Tally
from events.alerts import alert
from events.models import Event

K = LedgerEntry.Kind
Sc = Tally.Scope
Deltas = dict[tuple[str, str], Counter[str]]


@dataclass(frozen=True)
class GiftFacts:
    """What a ledger entry's tallies depend on, about its gift."""

    pk: int
    method: str
    total_cents: int
    designated: bool
    corner_id: int | None
    shift_id: int | None
    bucket_id: int | None
    credit_key: str

    @classmethod
    def of(cls, donation: Donation, *, designated: bool) -> GiftFacts:
        return cls(
            pk=donation.pk,
            method=donation.method,
            total_cents=donation.total_cents,
            designated=designated,
            corner_id=donation.corner_id,
            shift_id=donation.shift_id,
            bucket_id=donation.bucket_id,
            credit_key=donation.credit_key,
        )


def entry_deltas(kind: str, amount_cents: int, gift: GiftFacts) -> Counter[str]:
    """What one ledger entry adds to the counters of every tally its gift counts in."""
    deltas: Counter[str] = Counter(raised_cents=amount_cents)
    method = gift.method
    if kind == K.GIFT:
        deltas.update(
            {"gross_cents": gift.total_cents, "gifts": 1, f"{method}_gifts": 1,
             f"{method}_cents": gift.total_cents}
        )  # fmt: skip
    elif kind in (K.REFUND, K.DISPUTE):
        deltas.update({"gross_cents": amount_cents, f"{method}_cents": amount_cents})
    elif kind == K.VOID:
        deltas.update(
            {"gross_cents": -gift.total_cents, "gifts": -1, f"{method}_gifts": -1,
             f"{method}_cents": -gift.total_cents}
        )  # fmt: skip
    if gift.designated:
        deltas["designated_cents"] += amount_cents
    return deltas


def allocation_deltas(kind: str, amount_cents: int, *, designated: bool) -> Counter[str]:
    """What one allocation adds to its organization's tally."""
    deltas: Counter[str] = Counter(raised_cents=amount_cents)
    if designated:
        deltas["designated_cents"] += amount_cents
    if kind == K.GIFT:
        deltas["gifts"] += 1
    elif kind == K.VOID:
        deltas["gifts"] -= 1
    return deltas


def attribution_keys(gift: GiftFacts) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = [(Sc.EVENT, "")]
    for scope, value in (
        (Sc.CORNER, gift.corner_id),
        (Sc.SHIFT, gift.shift_id),
        (Sc.BUCKET, gift.bucket_id),
        (Sc.PAIR, gift.credit_key),
    ):
        if value:
            keys.append((scope, str(value)))
    return keys


def ledger_deltas(
    entries: Sequence[LedgerEntry], allocations: Sequence[Allocation], gift: GiftFacts
) -> Deltas:
    deltas: Deltas = defaultdict(Counter)
    for entry in entries:
        change = entry_deltas(entry.kind, entry.amount_cents, gift)
        for key in attribution_keys(gift):
            deltas[key].update(change)
    for allocation in allocations:
        deltas[(Sc.ORGANIZATION, str(allocation.organization_id))].update(
            allocation_deltas(
                allocation.kind, allocation.amount_cents, designated=allocation.designated
            )
        )
    return deltas


def tallies_add(*, event_id: int, slot: int, deltas: Deltas) -> None:
    """Add the deltas to the event's tallies in one statement (the caller's transaction)."""
    rows = [
        (scope, key, change)
        for (scope, key), change in sorted(deltas.items())  # one order: no deadlocks
        if any(change.values())
    ]
    if not rows:
        return
    table, quote = Tally._meta.db_table, connection.ops.quote_name
    counters = Tally.COUNTERS
    columns = ", ".join(quote(c) for c in ("event_id", "scope", "key", "slot", *counters))
    one_row = "(" + ", ".join(["%s"] * (4 + len(counters))) + ")"
    updates = ", ".join(
        f"{quote(c)} = {quote(table)}.{quote(c)} + excluded.{quote(c)}" for c in counters
    )
    params: list[int | str] = []
    for scope, key, change in rows:
        params += [event_id, scope, key, slot, *(change[c] for c in counters)]
    # Only the model's own table and column names are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(table)} ({columns}) VALUES {', '.join([one_row] * len(rows))} "  # noqa: S608
        f"ON CONFLICT (event_id, scope, {quote('key')}, slot) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tally_slot(donation_id: int) -> int:
    return donation_id % Tally.SLOTS


def match_deltas(credits: Sequence[tuple[int, int]], gift: GiftFacts) -> Deltas:
    """Matched money: [(organization id, cents)] of one gift, in every tally it counts in."""
    deltas: Deltas = defaultdict(Counter)
    for organization_id, cents in credits:
        for key in attribution_keys(gift):
            deltas[key]["match_cents"] += cents
        deltas[(Sc.ORGANIZATION, str(organization_id))]["match_cents"] += cents
    return deltas


def match_change_record(credits: Sequence[MatchCredit], *, gift: GiftFacts) -> None:
    tallies_add(
        event_id=credits[0].event_id,
        slot=tally_slot(gift.pk),
        deltas=match_deltas([(c.organization_id, c.amount_cents) for c in credits], gift),
    )


# --- Reconciling -------------------------------------------------------------------------------


def tallies_expected(*, event: Event) -> Deltas:
    """Every tally of the event recomputed from its ledger and allocations."""
    designated = Exists(
        Donation.split_among.through.objects.filter(donation_id=OuterRef("donation_id"))
    )
    expected: Deltas = defaultdict(Counter)
    entries = (
        LedgerEntry.objects.filter(donation__event=event)
        .annotate(chosen=designated)
        .values_list(
            "kind",
            "amount_cents",
            "chosen",
            "donation_id",
            "donation__method",
            "donation__amount_cents",
            "donation__fee_cents",
            "donation__designated_to_id",
            "donation__corner_id",
            "donation__shift_id",
            "donation__bucket_id",
            "donation__credit_key",
        )
    )
    for (
        kind,
        amount,
        chosen,
        pk,
        method,
        gift,
        fee,
        to,
        corner,
        shift,
        bucket,
        pair,
    ) in entries.iterator(chunk_size=5000):
        facts = GiftFacts(pk, method, gift + fee, bool(to or chosen), corner, shift, bucket, pair)
        change = entry_deltas(kind, amount, facts)
        for key in attribution_keys(facts):
            expected[key].update(change)
    matched = (
        MatchCredit.objects.filter(event=event)
        .values_list(
            "organization_id",
            "amount_cents",
            "donation_id",
            "donation__method",
            "donation__amount_cents",
            "donation__fee_cents",
            "donation__corner_id",
            "donation__shift_id",
            "donation__bucket_id",
            "donation__credit_key",
        )
        .iterator(chunk_size=5000)
    )
    for organization_id, cents, pk, method, gift, fee, corner, shift, bucket, pair in matched:
        facts = GiftFacts(pk, method, gift + fee, False, corner, shift, bucket, pair)
        for key, change in match_deltas([(organization_id, cents)], facts).items():
            expected[key].update(change)
    for organization_id, kind, amount, was_designated in (
        Allocation.objects.filter(event=event)
        .values_list("organization_id", "kind", "amount_cents", "designated")
        .iterator(chunk_size=5000)
    ):
        expected[(Sc.ORGANIZATION, str(organization_id))].update(
            allocation_deltas(kind, amount, designated=was_designated)
        )
    return expected


def tallies_current(*, event: Event) -> Deltas:
    current: Deltas = defaultdict(Counter)
    for row in Tally.objects.filter(event=event).values("scope", "key", *Tally.COUNTERS):
        current[(row.pop("scope"), row.pop("key"))].update(row)
    return current


@dataclass(frozen=True)
class Drift:
    scope: str
    key: str
    counter: str
    expected: int
    actual: int


def _drifts(expected: Deltas, current: Deltas) -> list[Drift]:
    drifts = []
    for scope, key in sorted(set(expected) | set(current)):
        for counter in Tally.COUNTERS:
            want, have = expected[(scope, key)][counter], current[(scope, key)][counter]
            if want != have:
                drifts.append(Drift(scope, key, counter, want, have))
    return drifts


def tallies_reconcile(*, event: Event, repair: bool) -> list[Drift]:
    """Compare the event's tallies with its ledger; with repair, add the differences.

    The repair locks the event's tally rows first, so a gift being recorded at that moment
    waits and then adds its own change on top.
    """
    with transaction.atomic():
        if repair:
            list(Tally.objects.select_for_update().filter(event=event).values_list("pk"))
        drifts = _drifts(tallies_expected(event=event), tallies_current(event=event))
        if repair and drifts:
            fixes: Deltas = defaultdict(Counter)
            for drift in drifts:
                fixes[(drift.scope, drift.key)][drift.counter] += drift.expected - drift.actual
            tallies_add(event_id=event.pk, slot=0, deltas=fixes)
    return drifts


def events_to_reconcile() -> QuerySet[Event]:
    return Event.objects.exclude(status=Event.Status.DRAFT).order_by("pk")


def tallies_reconcile_all(*, now: dt.datetime) -> int:
    """The nightly beat: every pledge day reconciled; drift is alerted (never repaired blind).
    Returns the number of pledge days with drift."""
    drifted = 0
    for event in events_to_reconcile():
        drifts = tallies_reconcile(event=event, repair=False)
        if drifts:
            drifted += 1
            alert(
                subject=f"Tallies of {event.slug} drifted from the ledger",
                detail=f"{len(drifts)} counters differ at {now:%Y-%m-%d %H:%M} UTC, for example "
                f"{drifts[0]}. Run: manage.py tallies_reconcile --event {event.slug} --repair",
            )
    return drifted


def ledger_change_record(
    entries: Sequence[LedgerEntry],
    *,
    donation: Donation,
    allocations: Sequence[Allocation],
    designated: bool,
) -> None:
    """The tallies of a gift's new ledger entries and allocations, in one statement."""
    if not entries:
        return
    gift = GiftFacts.of(donation, designated=designated)
    tallies_add(
        event_id=donation.event_id,
        slot=tally_slot(donation.pk),
        deltas=ledger_deltas(entries, allocations, gift),
    )
