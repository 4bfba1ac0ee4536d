"""CSV files of closing and paying (donations.exports' rules: streamed, spreadsheet-safe, amounts
in currency units, times in the day's zone): every payout of a day, the grant disbursement
report of a run, and a partner's statement (its shares of each gift, donor names only where the
donor did not ask to give anonymously, never an email address)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from donations.exports import (
    CHUNK,
    copies,
    copy_rows,
    money,
    sql_money,
    sql_text,
    sql_when,
    text,
    when,
)
from donations.models import Allocation, Donation
from events.models import Corner, Event, Organization
from payouts.models import Payout, PayoutRun

PAYOUT_HEADER = [
    "run", "computed", "approved", "organization", "method", "status", "designated", "pooled",
    "matched", "refunds_disputes_voids", "fees", "owed", "previously", "amount", "stripe_transfer",
    "paid_at", "paid_on", "paid_how", "reference",
]  # fmt: skip


def _payout_row(line: Payout, event: Event) -> list[Any]:
    run = line.run
    return [
        run.number, when(run.computed_at, event), when(run.approved_at, event),
        text(line.organization.name), line.method, line.status, money(line.designated_cents),
        money(line.pooled_cents), money(line.matched_cents), money(line.reversed_cents),
        money(line.fees_cents), money(line.owed_cents), money(line.previously_cents),
        money(line.amount_cents), line.stripe_transfer_id or "", when(line.paid_at, event),
        line.paid_on.isoformat() if line.paid_on else "", line.paid_method,
        text(line.paid_reference),
    ]  # fmt: skip


def payout_rows(event: Event) -> Iterator[list[Any]]:
    lines = (
        Payout.objects.filter(event=event)
        .select_related("run", "organization")
        .order_by("run__number", "organization__name")
    )
    for line in lines.iterator(chunk_size=CHUNK):
        yield _payout_row(line, event)


GRANT_HEADER = [
    "run", "organization", "legal_name", "tax_id", "designated", "pooled", "matched",
    "refunds_disputes_voids", "fees", "owed", "previously", "grant", "status", "paid_on",
    "paid_how", "reference",
]  # fmt: skip


def grant_rows(run: PayoutRun) -> Iterator[list[Any]]:
    for line in run.payouts.filter(method=Payout.Method.GRANT).select_related("organization"):
        organization = line.organization
        yield [
            run.number, text(organization.name), text(organization.legal_name),
            text(organization.tax_id), money(line.designated_cents), money(line.pooled_cents),
            money(line.matched_cents), money(line.reversed_cents), money(line.fees_cents),
            money(line.owed_cents), money(line.previously_cents), money(line.amount_cents),
            line.status, line.paid_on.isoformat() if line.paid_on else "", line.paid_method,
            text(line.paid_reference),
        ]  # fmt: skip


STATEMENT_HEADER = [
    "date", "gift", "method", "corner", "donor", "kind", "designated", "gift_amount", "your_share",
]  # fmt: skip


def statement_queryset(event: Event, organization: Organization) -> Any:
    return Allocation.objects.filter(event=event, organization=organization).order_by("pk")


def statement_rows(event: Event, organization: Organization) -> Iterator[list[Any] | str]:
    """A partner's share of each gift; written by PostgreSQL itself (COPY, as finance's
    exports) where it runs: a partner of a million pooled gifts has a million rows."""
    if copies():
        return copy_rows(event, _statement_sql(), [event.pk, organization.pk])
    return _statement_rows(event, organization)


def _statement_sql() -> str:
    a, d = Allocation._meta.db_table, Donation._meta.db_table
    c = Corner._meta.db_table
    return f"""
        SELECT {sql_when("a.created_at")}, a.donation_id, d.method, {sql_text("c.name")},
            CASE WHEN d.anonymous THEN '' ELSE {sql_text("d.donor_name")} END, a.kind,
            CASE WHEN a.designated THEN 'yes' ELSE 'no' END,
            {sql_money("d.amount_cents + d.fee_cents")}, {sql_money("a.amount_cents")}
        FROM {a} a
        JOIN {d} d ON d.id = a.donation_id
        LEFT JOIN {c} c ON c.id = d.corner_id
        WHERE a.event_id = %s AND a.organization_id = %s
        ORDER BY a.id
    """  # noqa: S608 (table names from the models; the values are parameters)


def _statement_rows(event: Event, organization: Organization) -> Iterator[list[Any]]:
    rows = statement_queryset(event, organization).values_list(
        "created_at", "donation_id", "donation__method", "donation__corner__name",
        "donation__donor_name", "donation__anonymous", "kind", "designated",
        "donation__amount_cents", "donation__fee_cents", "amount_cents",
    )  # fmt: skip
    for (
        created,
        gift,
        method,
        corner,
        donor,
        anonymous,
        kind,
        designated,
        amount,
        fee,
        share,
    ) in rows.iterator(chunk_size=CHUNK):
        yield [
            when(created, event), gift, method, text(corner), "" if anonymous else text(donor),
            kind, "yes" if designated else "no", money(amount + fee), money(share),
        ]  # fmt: skip
