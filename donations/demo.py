"""The demo's money: the gifts, cash counts and matching pledge of the live demo day, and the
random donors that `manage.py simulate_gifts` sends through the give page's service.

Demo data only, and only on a site without Stripe keys (the local gateway). Every write goes
through `donations.services`; the people side of the live day is `volunteers.demo`.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

from django.db import transaction
from django.utils import timezone

from donations import services
from donations.models import MatchPledge
from events.models import Event, Organization
from volunteers.demo import LiveDay, demo_live_day_seed
from volunteers.models import BucketAssignment, User

SPONSOR = "Valley Community Bank"
SPONSOR_CAP_CENTS = 2_500_00
# Round amounts people type on the give page besides the presets.
CUSTOM_AMOUNTS_CENTS = [500, 700, 1200, 1500, 2000, 3000, 4000, 7500, 15000, 20000]
FIRST_NAMES = [
    "Ana", "Beatriz", "Bao", "Carlos", "Chris", "Diana", "Ethan", "Gabriela", "Gurdeep", "Hannah",
    "Jasmine", "Jorge", "Kevin", "Lee", "Linda", "Manpreet", "Mai", "Miguel", "Nora", "Pa",
    "Ricardo", "Sandra", "Tom", "Veronica", "Yer",
]  # fmt: skip
LAST_NAMES = [
    "Aguilar", "Brown", "Castillo", "Chang", "Dhaliwal", "Flores", "Her", "Johnson", "Lor",
    "Martínez", "Nguyen", "Pérez", "Rodríguez", "Singh", "Smith", "Thao", "Torres", "Yang",
]  # fmt: skip


@dataclass(frozen=True)
class GiftChoice:
    """What one donor chooses on the give page."""

    amount_cents: int
    cover_fee: bool
    designated_to: Organization | None
    split_among: tuple[Organization, ...]
    donor_name: str
    donor_email: str
    anonymous: bool
    language: str

    def as_gift(self) -> dict[str, Any]:
        """The choices as the give page's services take them (donation_start and the demo's
        donation_demo_record): the same names."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


class Donors:
    """Random donors of a pledge day, as the give page meets them: mostly its preset amounts
    (the smaller ones more often), some amounts typed in, some gifts designated to a partner or
    split among two or three, some covering the card fee, some anonymous, some in Spanish."""

    def __init__(self, *, event: Event, rng: random.Random) -> None:
        self.rng = rng
        self.partners = [
            partner.organization
            for partner in event.partners.select_related("organization").order_by("pk")
        ]
        lowest = services.gift_minimum_cents(event)
        usable = [
            a for a in event.suggested_amounts_cents if lowest <= a <= event.maximum_gift_cents
        ]
        self.presets = sorted(usable)
        self.custom = [
            a for a in CUSTOM_AMOUNTS_CENTS if lowest <= a <= event.maximum_gift_cents
        ] or [lowest]

    def _amount(self) -> int:
        rng = self.rng
        if self.presets and rng.random() < 0.75:
            weights = [len(self.presets) - place for place in range(len(self.presets))]
            return rng.choices(self.presets, weights=weights)[0]
        return rng.choice(self.custom)

    def pick(self) -> GiftChoice:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        named = rng.random() < 0.85
        email = ""
        if named and rng.random() < 0.6:
            login = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
            email = f"{login.decode().lower()}{rng.randrange(10, 1000)}@example.com"
        designated_to: Organization | None = None
        split_among: tuple[Organization, ...] = ()
        draw = rng.random()
        if self.partners and draw < 0.18:
            designated_to = rng.choice(self.partners)
        elif len(self.partners) >= 2 and draw < 0.24:
            split_among = tuple(
                rng.sample(self.partners, min(len(self.partners), rng.choice((2, 3))))
            )
        return GiftChoice(
            amount_cents=self._amount(),
            cover_fee=rng.random() < 0.4,
            designated_to=designated_to,
            split_among=split_among,
            donor_name=f"{first} {last}" if named else "",
            donor_email=email,
            anonymous=named and rng.random() < 0.12,
            language="es" if rng.random() < 0.35 else "en",
        )


def _arrivals(
    rng: random.Random, *, start: dt.datetime, end: dt.datetime, per_hour: float
) -> Iterator[dt.datetime]:
    """Moments gifts are started between start and end, at random (a Poisson stream)."""
    moment = start
    while True:
        moment += dt.timedelta(seconds=rng.expovariate(per_hour / 3600))
        if moment >= end:
            return
        yield moment


def _gifts(
    *,
    live: LiveDay,
    donors: Donors,
    assignment: BucketAssignment,
    until: dt.datetime,
    per_hour: float,
) -> None:
    """Card gifts from the bucket's QR code while its pair held it, paid a minute later."""
    attribution = services.attribution_for_bucket(assignment.bucket)
    for started_at in _arrivals(
        donors.rng, start=assignment.handed_out_at, end=until, per_hour=per_hour
    ):
        choice = donors.pick()
        services.donation_demo_record(
            event=live.event,
            **choice.as_gift(),
            attribution=attribution,
            started_at=started_at,
            paid_at=started_at + dt.timedelta(seconds=donors.rng.randrange(20, 90)),
        )


COUNTED = 3  # of the five buckets back from the first shift; the others wait at the table


def _live_money(live: LiveDay, *, now: dt.datetime) -> None:
    event = live.event
    rng = random.Random(event.slug)  # noqa: S311 (demo data: the same day gets the same gifts)
    donors = Donors(event=event, rng=rng)
    organizer = User.objects.get(email="organizer@pledgeday.test")
    services.match_pledge_save(
        pledge=MatchPledge(
            event=event,
            sponsor=SPONSOR,
            ratio_percent=100,
            cap_cents=SPONSOR_CAP_CENTS,
            starts_at=live.second_shift_starts_at,
            ends_at=event.ends_at - dt.timedelta(hours=1),
            card_only=True,  # cash is counted after the fact: its time says nothing
        ),
        now=event.starts_at - dt.timedelta(days=1),
    )
    for assignment in live.returned:
        _gifts(
            live=live,
            donors=donors,
            assignment=assignment,
            until=assignment.shift.ends_at,
            per_hour=2.0,
        )
    for number, assignment in enumerate(live.returned[:COUNTED]):
        services.cash_count_record(
            assignment=assignment,
            amount_cents=rng.randrange(14_000, 42_000),
            counted_by=organizer,
            witnessed_by=assignment.holders.order_by("pk").first() or organizer,
            now=assignment.shift.ends_at + dt.timedelta(minutes=25 + 7 * number),
        )
    for assignment in live.out:
        _gifts(
            live=live,
            donors=donors,
            assignment=assignment,
            until=now - dt.timedelta(minutes=2),
            per_hour=2.5,
        )


@transaction.atomic
def demo_live_seed(*, now: dt.datetime | None = None) -> Event:
    """The demo's pledge day under way now, with its money so far: card gifts on every corner,
    cash counts of buckets back from the first shift, and a matching pledge running now.
    Running it again while that day has more than an hour to go adds nothing."""
    now = now or timezone.now()
    live = demo_live_day_seed(now=now)
    if live.created:
        _live_money(live, now=now)
    return live.event
