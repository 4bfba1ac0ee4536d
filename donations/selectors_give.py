"""Reads of the donor's pages (issue 11): whether a bucket is out right now with checked-in
volunteers (the give page's "official bucket" line, or its caution), and the amounts the give
page shows while the donor chooses (gift, card fee and total), the same figures the service
charges."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from donations.services import OPEN_FOR_GIFTS, bucket_hand_out_latest, donation_total_cents
from events.models import Bucket, Corner, Event
from events.money import SYMBOL_CHARACTERS, currency_symbol, fee_cover_cents
from volunteers.models import BucketAssignment, Signup


@dataclass(frozen=True)
class BucketOut:
    """A bucket as a donor in front of it may check: out now, where, since when, with whom."""

    NOT_HANDED_OUT = "not_handed_out"  # never handed out for this pledge day
    RETURNED = "returned"  # back at the staging table
    NOT_LIVE = "not_live"  # the pledge day is over (or not open for gifts)
    NOBODY_CHECKED_IN = "nobody_checked_in"  # out, but its volunteers have checked out

    bucket: Bucket
    corner: Corner | None
    since: dt.datetime | None  # when it was handed out (aware; shown in the event's time zone)
    volunteers_here: int  # its holders still checked in on its shift
    problem: str = ""  # empty when the bucket is out now
    assignment: BucketAssignment | None = None  # the hand-out read (the gift's attribution)

    @property
    def is_out(self) -> bool:
        return not self.problem


def bucket_out_status(*, bucket: Bucket, now: dt.datetime) -> BucketOut:
    """Whether `bucket` is out right now (two queries): handed out and not returned, on a
    pledge day open for gifts and not over, with at least one of the volunteers it was handed to
    still checked in on that shift."""
    event: Event = bucket.event
    assignment = bucket_hand_out_latest(bucket)
    corner = assignment.shift.corner if assignment else None
    if event.status not in OPEN_FOR_GIFTS or event.ends_at <= now:
        return BucketOut(bucket, corner, None, 0, BucketOut.NOT_LIVE, assignment)
    if assignment is None:
        return BucketOut(bucket, None, None, 0, BucketOut.NOT_HANDED_OUT)
    if assignment.returned_at is not None:
        return BucketOut(bucket, corner, None, 0, BucketOut.RETURNED, assignment)
    here = Signup.objects.filter(
        shift=assignment.shift_id,
        user__buckets_held=assignment,
        status=Signup.Status.CONFIRMED,
        checked_in_at__isnull=False,
        checked_out_at__isnull=True,
    ).count()
    problem = "" if here else BucketOut.NOBODY_CHECKED_IN
    return BucketOut(bucket, corner, assignment.handed_out_at, here, problem, assignment)


# --- The amounts the give page shows ------------------------------------------------------------


@dataclass(frozen=True)
class GiveFigures:
    """What the give page needs to show the donor's gift, card fee and total, and what its
    script needs (as data- attributes) to compute the same to the cent."""

    currency: str
    symbol: str
    fee_bp: int
    fee_fixed_cents: int
    strip: str  # the characters the money parser drops before an amount ("$", "CA$", "€"...)
    amount_cents: int | None = None  # the amount chosen (a form shown again), else None
    cover_fee: bool = False
    fee_cents: int = 0  # the card fee on that amount (whether or not the donor covers it)
    total_cents: int | None = None  # what Give charges: the gift, plus the fee if covered


def give_figures(
    *, event: Event, amount_cents: int | None = None, cover_fee: bool = False
) -> GiveFigures:
    """The give page's figures for `event`, with the amount a submitted form chose (as the form
    read it) if any. The total is the service's (donation_total_cents): what the page shows is
    what is charged."""
    amount, cover = amount_cents, cover_fee
    figures = GiveFigures(
        currency=event.currency,
        symbol=currency_symbol(event.currency),
        fee_bp=event.card_fee_bp,
        fee_fixed_cents=event.card_fee_fixed_cents,
        strip=SYMBOL_CHARACTERS,
    )
    if not amount:
        return figures
    return replace(
        figures,
        amount_cents=amount,
        cover_fee=cover,
        fee_cents=fee_cover_cents(
            amount, fee_bp=event.card_fee_bp, fixed_cents=event.card_fee_fixed_cents
        ),
        total_cents=donation_total_cents(event=event, amount_cents=amount, cover_fee=cover),
    )
