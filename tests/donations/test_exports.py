"""Finance's CSV exports (issue 9): gifts, allocations, the volunteer roster with hours served;
streamed, spreadsheet-safe, adding up to the cent."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db.models import Sum
from django.test import Client

from donations import exports
from donations.models import Allocation, LedgerEntry
from events.models import Event, Membership
from tests.factories import MembershipFactory
from tests.support.live_day import LiveDay, live_day, paid_gift

pytestmark = pytest.mark.django_db


@pytest.fixture
def day() -> LiveDay:
    return live_day()


def download(client: Client, event: Event, what: str) -> list[list[str]]:
    response = client.get(f"/organize/{event.slug}/export/{what}.csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{event.slug}-{what}-' in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # spreadsheets then read the UTF-8 as UTF-8
    return list(csv.reader(io.StringIO(body[1:])))


def finance(client: Client, event: Event) -> None:
    client.force_login(MembershipFactory(event=event, role=Membership.Role.FINANCE).user)


@pytest.mark.parametrize("what", ["gifts", "allocations", "roster"])
def test_only_leads_and_finance_download_the_exports(client: Client, day: LiveDay, what: str):
    url = f"/organize/{day.event.slug}/export/{what}.csv"
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(MembershipFactory(event=day.event, role=Membership.Role.ORGANIZER).user)
    assert client.get(url).status_code == 403
    finance(client, day.event)
    assert client.get(url).status_code == 200


def test_the_gifts_export_lists_every_gift_of_the_day(client: Client, day: LiveDay) -> None:
    finance(client, day.event)
    header, *rows = download(client, day.event, "gifts")
    assert header == exports.GIFT_HEADER
    assert len(rows) == day.event.donations.count()
    assert [int(row[0]) for row in rows] == sorted(int(row[0]) for row in rows)


def test_the_allocations_add_up_to_the_ledger_to_the_cent(client: Client, day: LiveDay) -> None:
    finance(client, day.event)
    header, *rows = download(client, day.event, "allocations")
    assert header == exports.ALLOCATION_HEADER
    assert len(rows) == Allocation.objects.filter(event=day.event).count()
    cents = sum(round(float(row[-1]) * 100) for row in rows)
    ledger = LedgerEntry.objects.filter(donation__event=day.event).aggregate(s=Sum("amount_cents"))
    assert cents == ledger["s"]
    partners = {row[5] for row in rows}
    assert partners <= {p.name for p in day.partners}


@pytest.mark.parametrize(
    ("typed", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+1 559 555 0100", "'+1 559 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tTab", "'\tTab"),
        ("Ana García", "Ana García"),
    ],
)
def test_donor_typed_text_is_never_a_formula(
    client: Client, day: LiveDay, typed: str, cell: str
) -> None:
    gift = paid_gift(day.event, 1000, donor_name=typed)
    finance(client, day.event)
    _header, *rows = download(client, day.event, "gifts")
    (row,) = [r for r in rows if r[0] == str(gift.pk)]
    assert row[exports.GIFT_HEADER.index("donor_name")] == cell
    assert row[exports.GIFT_HEADER.index("gift_amount")] == "10.00"


def test_amounts_are_in_currency_units_to_the_cent() -> None:
    assert [exports.money(c) for c in (0, 5, 100, 123456, -1, -1250, None)] == [
        "0.00", "0.05", "1.00", "1234.56", "-0.01", "-12.50", "",
    ]  # fmt: skip


def test_rows_are_read_in_chunks_without_losing_or_repeating_one(
    client: Client, day: LiveDay, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries
) -> None:
    monkeypatch.setattr(exports, "CHUNK", 7)
    finance(client, day.event)
    expected = sorted(day.event.donations.values_list("pk", flat=True))
    with django_assert_max_num_queries(8):  # sign-in, the event, its roles, then the rows
        _header, *rows = download(client, day.event, "gifts")
    assert [int(row[0]) for row in rows] == expected


def test_the_roster_says_who_served_where_and_for_how_long(client: Client, day: LiveDay) -> None:
    finance(client, day.event)
    header, *rows = download(client, day.event, "roster")
    assert header == exports.ROSTER_HEADER
    served = [row for row in rows if row[header.index("checked_in")]]
    assert served
    assert all(float(row[-1]) > 0 for row in served)
    assert all(row[-1] == "0.00" for row in rows if not row[header.index("checked_in")])


def test_hours_served() -> None:
    start = dt.datetime(2026, 4, 18, 9, tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=3)
    later = end + dt.timedelta(hours=5)
    assert exports.hours_served(None, None, end, later) == "0.00"
    out = start + dt.timedelta(hours=2, minutes=15)
    assert exports.hours_served(start, out, end, later) == "2.25"
    assert exports.hours_served(start, None, end, later) == "3.00"  # never checked out
    now = start + dt.timedelta(hours=1, minutes=30)
    assert exports.hours_served(start, None, end, now) == "1.50"  # still on the corner


def _same_cells(copied: list[list[str]], python: list[list[object]], times: set[int]) -> None:
    assert len(copied) == len(python)
    for left, right in zip(copied, python, strict=True):
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            if index in times and a:
                assert dt.datetime.fromisoformat(a) == dt.datetime.fromisoformat(str(b))
                assert a[-6:] == str(b)[-6:]  # the same offset: the day's zone
            else:
                assert a == str(b), (index, a, b)


@pytest.mark.postgres
def test_postgresql_copy_writes_the_cells_the_python_rows_write(day: LiveDay) -> None:
    """The gifts and allocations come from COPY on PostgreSQL: cell for cell what the row by
    row path writes elsewhere (times compared as instants, with the same offset)."""
    paid_gift(day.event, 1234, donor_name="=cmd|' /C calc'!A0", donor_email="-x@example.org")
    for rows, python, times in (
        (exports.gift_rows, exports._gift_rows, {1, 2}),
        (exports.allocation_rows, exports._allocation_rows, {1}),
    ):
        copied = list(csv.reader(io.StringIO("".join(rows(day.event)))))  # type: ignore[arg-type]
        _same_cells(copied, list(python(day.event)), times)
