"""CSV exports for finance (issue 9): gifts, allocations and the volunteer roster of a pledge day.

Streamed (`StreamingHttpResponse`): on PostgreSQL the gifts and allocations are written by the
database (`COPY ... TO STDOUT`, below); elsewhere, and for the roster, row by row (`CHUNK` at a
time with `.iterator()` and `values_list`, no model objects). Either way a million gifts take no
more memory than a thousand.

Spreadsheet-safe: a cell of text people typed (a donor's name, a check number, a corner) that
begins with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so a spreadsheet
shows it as text and never runs it as a formula (OWASP's CSV injection advice). Figures we write
ourselves (amounts in currency units with two decimals, ids, ISO times) are left as they are.
Times are in the pledge day's time zone; the file starts with a byte-order mark so that
spreadsheets read its UTF-8 (Spanish names) correctly.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from donations.models import Allocation, Donation
from events.models import Bucket, Corner, Event, Organization
from volunteers.models import Signup

CHUNK = 2000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text(value: object) -> str:
    """A cell of typed text, never read as a formula."""
    if value is None:
        return ""
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def money(cents: int | None) -> str:
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def when(moment: dt.datetime | None, event: Event) -> str:
    return timezone.localtime(moment, event.tzinfo).isoformat() if moment else ""


def file_stamp(event: Event) -> str:
    """The moment in a download's file name, in the day's zone: 20261123-1705."""
    return timezone.localtime(timezone.now(), event.tzinfo).strftime("%Y%m%d-%H%M")


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: list[str], rows: Iterable[list[Any] | str]
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo(), lineterminator="\n")

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for row in rows:  # a row, or a block of CSV lines PostgreSQL wrote (COPY)
            yield row if isinstance(row, str) else writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _rows(queryset: QuerySet[Any], *fields: str) -> Iterator[tuple[Any, ...]]:
    return queryset.values_list(*fields).iterator(chunk_size=CHUNK)


# --- PostgreSQL: COPY ----------------------------------------------------------------------------
#
# On PostgreSQL the gifts and the allocations are written by the database itself, `COPY (SELECT
# ...) TO STDOUT WITH CSV`, streamed block by block (psycopg): a million rows in seconds, where
# the rows below cost Python about 20 us each. The SELECT formats every cell as the rows below
# do: text guarded against formulas, amounts in currency units, times in the day's zone (ISO
# 8601, always with microseconds). The tests run both paths (SQLite here, PostgreSQL in CI).

QUOTE = "'"
BLOCK = 256 * 1024


def sql_text(column: str) -> str:
    return (
        f"CASE WHEN left({column}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
        f"THEN {QUOTE * 4} || {column} ELSE coalesce({column}, '') END"
    )


def sql_money(column: str) -> str:
    return f"(({column}) / 100.0)::numeric(20, 2)::text"


def sql_when(column: str) -> str:
    return f"""to_char({column}, 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM')"""


def copy_rows(event: Event, select: str, params: list[Any]) -> Iterator[str]:
    """The rows of one SELECT as CSV blocks written by PostgreSQL, times in the day's zone."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [event.timezone])
        with cursor.cursor.copy(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            # PostgreSQL sends a row a message: gathered into blocks of about BLOCK bytes, so
            # that the server writes a few large chunks rather than a million small ones.
            gathered: list[bytes] = []
            size = 0
            for message in copy:
                gathered.append(bytes(message))
                size += len(message)
                if size >= BLOCK:
                    yield b"".join(gathered).decode()
                    gathered, size = [], 0
            if gathered:
                yield b"".join(gathered).decode()
        # Within an outer transaction the setting would outlive this one (a savepoint keeps it):
        # the connection's own zone back, as Django expects it when it reads times.
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [connection.timezone_name])


def copies() -> bool:
    return connection.vendor == "postgresql"


# --- Gifts -------------------------------------------------------------------------------------

GIFT_HEADER = [
    "gift", "created", "succeeded", "method", "status", "currency", "gift_amount",
    "fee_covered_by_donor", "total", "processor_fee", "refunded", "designated_to", "corner",
    "bucket", "check_number", "donor_name", "donor_email", "anonymous", "receipt",
]  # fmt: skip


def gift_rows(event: Event) -> Iterator[list[Any] | str]:
    if copies():
        return copy_rows(event, _gifts_sql(), [event.pk])
    return _gift_rows(event)


def _gifts_sql() -> str:
    d, o = Donation._meta.db_table, Organization._meta.db_table
    c, b = Corner._meta.db_table, Bucket._meta.db_table
    return f"""
        SELECT d.id, {sql_when("d.created_at")}, {sql_when("d.succeeded_at")}, d.method,
            d.status, d.currency, {sql_money("d.amount_cents")}, {sql_money("d.fee_cents")},
            {sql_money("d.amount_cents + d.fee_cents")}, {sql_money("d.processor_fee_cents")},
            {sql_money("d.refunded_cents")}, {sql_text("o.name")}, {sql_text("c.name")},
            {sql_text("b.label")}, {sql_text("d.check_number")}, {sql_text("d.donor_name")},
            {sql_text("d.donor_email")}, CASE WHEN d.anonymous THEN 'yes' ELSE 'no' END,
            d.receipt_status
        FROM {d} d
        LEFT JOIN {o} o ON o.id = d.designated_to_id
        LEFT JOIN {c} c ON c.id = d.corner_id
        LEFT JOIN {b} b ON b.id = d.bucket_id
        WHERE d.event_id = %s
        ORDER BY d.id
    """  # noqa: S608 (table names from the models; the one value is a parameter)


def _gift_rows(event: Event) -> Iterator[list[Any]]:
    gifts = Donation.objects.filter(event=event).order_by("pk")
    for (
        pk, created, succeeded, method, status, currency, amount, fee, processor_fee, refunded,
        designated, corner, bucket, check, name, email, anonymous, receipt,
    ) in _rows(
        gifts, "pk", "created_at", "succeeded_at", "method", "status", "currency",
        "amount_cents", "fee_cents", "processor_fee_cents", "refunded_cents",
        "designated_to__name", "corner__name", "bucket__label", "check_number", "donor_name",
        "donor_email", "anonymous", "receipt_status",
    ):  # fmt: skip
        yield [
            pk, when(created, event), when(succeeded, event), method, status, currency,
            money(amount), money(fee), money(amount + fee), money(processor_fee),
            money(refunded), text(designated), text(corner), text(bucket), text(check),
            text(name), text(email), "yes" if anonymous else "no", receipt,
        ]  # fmt: skip


# --- Allocations -------------------------------------------------------------------------------

ALLOCATION_HEADER = [
    "allocation", "created", "gift", "entry", "kind", "organization", "designated", "amount",
]  # fmt: skip


def allocation_rows(event: Event) -> Iterator[list[Any] | str]:
    if copies():
        return copy_rows(event, _allocations_sql(), [event.pk])
    return _allocation_rows(event)


def _allocations_sql() -> str:
    a, o = Allocation._meta.db_table, Organization._meta.db_table
    return f"""
        SELECT a.id, {sql_when("a.created_at")}, a.donation_id, a.entry_id, a.kind,
            {sql_text("o.name")}, CASE WHEN a.designated THEN 'yes' ELSE 'no' END,
            {sql_money("a.amount_cents")}
        FROM {a} a JOIN {o} o ON o.id = a.organization_id
        WHERE a.event_id = %s
        ORDER BY a.id
    """  # noqa: S608 (table names from the models; the one value is a parameter)


def _allocation_rows(event: Event) -> Iterator[list[Any]]:
    allocations = Allocation.objects.filter(event=event).order_by("pk")
    for pk, created, gift, entry, kind, organization, designated, amount in _rows(
        allocations, "pk", "created_at", "donation_id", "entry_id", "kind",
        "organization__name", "designated", "amount_cents",
    ):  # fmt: skip
        yield [
            pk, when(created, event), gift, entry, kind, text(organization),
            "yes" if designated else "no", money(amount),
        ]  # fmt: skip


# --- The volunteer roster ----------------------------------------------------------------------

ROSTER_HEADER = [
    "volunteer", "email", "corner", "city", "shift_starts", "shift_ends", "status",
    "checked_in", "checked_out", "hours_served",
]  # fmt: skip


def hours_served(
    checked_in: dt.datetime | None, checked_out: dt.datetime | None, shift_ends: dt.datetime,
    now: dt.datetime,
) -> str:  # fmt: skip
    """From check-in to check-out; a volunteer never checked out served until the shift's end
    (or until now, while it is under way). Two decimals of an hour."""
    if checked_in is None:
        return "0.00"
    until = checked_out or min(shift_ends, now)
    seconds = max(0.0, (until - checked_in).total_seconds())
    return f"{seconds / 3600:.2f}"


def roster_rows(event: Event, *, now: dt.datetime) -> Iterator[list[Any]]:
    signups = Signup.objects.filter(shift__corner__event=event).order_by(
        "shift__starts_at", "shift__corner__name", "user__name", "pk"
    )
    for name, email, corner, city, starts, ends, status, checked_in, checked_out in _rows(
        signups, "user__name", "user__email", "shift__corner__name", "shift__corner__city",
        "shift__starts_at", "shift__ends_at", "status", "checked_in_at", "checked_out_at",
    ):  # fmt: skip
        yield [
            text(name), text(email), text(corner), text(city), when(starts, event),
            when(ends, event), status, when(checked_in, event), when(checked_out, event),
            hours_served(checked_in, checked_out, ends, now),
        ]  # fmt: skip
