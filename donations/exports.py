"""CSV exports for finance (issue 9): gifts, allocations and the volunteer roster of a pledge day.

Streamed row by row (`StreamingHttpResponse`, the rows read `CHUNK` at a time with `.iterator()`
and `values_list`, no model objects), so a million gifts take no more memory than a thousand.

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

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from donations.models import Allocation, Donation
from events.models import Event
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


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: list[str], rows: Iterable[list[Any]]
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _rows(queryset: QuerySet[Any], *fields: str) -> Iterator[tuple[Any, ...]]:
    return queryset.values_list(*fields).iterator(chunk_size=CHUNK)


# --- Gifts -------------------------------------------------------------------------------------

GIFT_HEADER = [
    "gift", "created", "succeeded", "method", "status", "currency", "gift_amount",
    "fee_covered_by_donor", "total", "processor_fee", "refunded", "designated_to", "corner",
    "bucket", "check_number", "donor_name", "donor_email", "anonymous", "receipt",
]  # fmt: skip


def gift_rows(event: Event) -> Iterator[list[Any]]:
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


def allocation_rows(event: Event) -> Iterator[list[Any]]:
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
