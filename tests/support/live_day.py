"""A pledge day under way, for the live pages' tests and screenshots: partners, corners with
shifts under way and their checked-in pairs, buckets out (one back and not counted yet), paid
gifts credited to the pairs (through the money path's own services, so the tallies are real),
a cash count, a check, and matching pledges (one running, one run out)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from donations import services
from donations.models import Donation, MatchPledge
from donations.services.payments import Facts
from events import services as event_services
from events.models import Bucket, Corner, Event, Organization, Shift
from tests.factories import (
    BucketFactory,
    CardDonationFactory,
    CornerFactory,
    EventFactory,
    OrganizationFactory,
    ShiftFactory,
    UserFactory,
    volunteer,
)
from volunteers import services as volunteer_services
from volunteers.models import AgeBand, BucketAssignment, User

PARTNERS = [
    ("Central Valley Justice Coalition", 4000),
    ("Fresno EOC Street Saints", 2500),
    ("Marjaree Mason Center", 2000),
    ("Valley Crisis Center", 1500),
]
CORNERS = [
    ("Blackstone & Shaw", "Fresno"),
    ("Shaw & Clovis", "Clovis"),
    ("Herndon & Fowler", "Clovis"),
    ("Kings Canyon & Chestnut", "Fresno"),
    ("Olive & Palm", "Fresno"),
    ("Cedar & Ashlan", "Fresno"),
    ("Tower District (Olive & Wishon)", "Fresno"),
    ("Sierra Vista Mall entrance", "Clovis"),
]
PAIRS = [
    ("Ana García", "Luis Martínez"),
    ("Mai Vang", "Tou Xiong"),
    ("Harpreet Kaur", "Jasmine Lee"),
    ("Rosa Hernández", "Daniel Ortiz"),
    ("Sophia Nguyen", "Marcus Brown"),
    ("Lupe Ramírez", "Kenji Tanaka"),
    ("Priya Singh", "Carlos Mendoza"),
]


def credit_key(people: list[User]) -> str:
    return "-".join(str(pk) for pk in sorted(person.pk for person in people))


def paid_gift(
    event: Event,
    amount_cents: int,
    *,
    corner: Corner | None = None,
    shift: Shift | None = None,
    bucket: Bucket | None = None,
    people: list[User] | None = None,
    designated_to: Organization | None = None,
    donor_name: str = "",
    donor_email: str = "",
) -> Donation:
    """A card gift as a bucket's QR page starts it, then paid (the webhook's own service)."""
    people = people or []
    gift = CardDonationFactory(
        event=event,
        amount_cents=amount_cents,
        corner=corner,
        shift=shift,
        bucket=bucket,
        designated_to=designated_to,
        credit_key=credit_key(people),
        donor_name=donor_name,
        donor_email=donor_email,
    )
    gift.volunteers.set(people)
    services.donation_observe(donation_id=gift.pk, facts=Facts(paid=True), now=timezone.now())
    gift.refresh_from_db()
    return gift


@dataclass
class LiveDay:
    event: Event
    partners: list[Organization]
    corners: list[Corner]
    shifts: list[Shift]
    pairs: list[list[User]]
    buckets: list[Bucket]
    lead: User
    gifts: list[Donation] = field(default_factory=list)


LONG_NAMES = [
    "Central Valley Justice Coalition for Survivors of Human Trafficking",
    "Fresno Economic Opportunities Commission Street Saints Youth Program",
    "Marjaree Mason Center for Survivors of Domestic Violence",
    "Valley Crisis Center of Merced County",
    "Comprehensive Youth Services of Fresno County",
    "Centro Binacional para el Desarrollo Indígena Oaxaqueño",
    "Hmong Innovating Politics and Community Advocates",
    "Clovis Unified School District Family Resource Center",
    "Catholic Charities of the Diocese of Fresno",
    "Tulare-Kings Coalition Against Human Trafficking",
]


def _partners(count: int) -> list[tuple[str, int]]:
    if count <= len(PARTNERS):
        return PARTNERS[:count]
    share, rest = divmod(10_000, count)
    return [(name, share + (rest if i == 0 else 0)) for i, name in enumerate(LONG_NAMES[:count])]


def live_day(*, gifts: bool = True, partners: int = 4) -> LiveDay:
    """A live pledge day, three hours in, with its figures (about 40 gifts). With more than four
    partners, a large coalition with long names (the big screen must still fit)."""
    shares = _partners(partners)
    now = timezone.now()
    lead = UserFactory(name="Maria Lopez")
    event = EventFactory(
        title="Central Valley Pledge Day",
        starts_at=now - dt.timedelta(hours=3),
        ends_at=now + dt.timedelta(hours=6),
        goal_cents=2_500_000,
        fiscal_host=OrganizationFactory(name="Central Valley Justice Coalition Fund"),
    )
    organizations = [OrganizationFactory(name=name) for name, _bp in shares]
    event_services.event_partners_replace(
        event=event,
        shares=[(org, bp) for org, (_n, bp) in zip(organizations, shares, strict=True)],
    )
    event_services.event_publish(event=event)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.LIVE)
    event.refresh_from_db()
    corners = [CornerFactory(event=event, name=name, city=city) for name, city in CORNERS]
    start = now - dt.timedelta(hours=1)
    shifts = [
        ShiftFactory(corner=corner, starts_at=start, ends_at=start + dt.timedelta(hours=3))
        for corner in corners
    ]
    day = LiveDay(event, organizations, corners, shifts, pairs=[], buckets=[], lead=lead)
    for index, (shift, names) in enumerate(zip(shifts, PAIRS, strict=False)):
        pair = [volunteer(user__name=name) for name in names]
        for person in pair:
            signup = volunteer_services.signup_create(
                user=person, shift=shift, now=shift.starts_at - dt.timedelta(days=1)
            )
            volunteer_services.signup_check_in(signup=signup, now=shift.starts_at)
        bucket = BucketFactory(event=event, label=f"B-{index + 1:02d}")
        volunteer_services.bucket_hand_out(bucket=bucket, shift=shift, by=lead, now=now)
        day.pairs.append(pair)
        day.buckets.append(bucket)
    # The last corner has one volunteer on it: below the buddy minimum.
    alone = volunteer(user__name="Tomás Rivera")
    signup = volunteer_services.signup_create(
        user=alone, shift=shifts[-1], now=shifts[-1].starts_at - dt.timedelta(days=1)
    )
    volunteer_services.signup_check_in(signup=signup, now=shifts[-1].starts_at)
    services.match_pledge_save(
        pledge=MatchPledge(
            event=event,
            sponsor="Valley Community Bank",
            cap_cents=1_500_000,
            ends_at=now + dt.timedelta(hours=3),
        ),
        now=now - dt.timedelta(hours=2),
    )
    services.match_pledge_save(
        pledge=MatchPledge(event=event, sponsor="Tower District Rotary", cap_cents=5_000),
        now=now - dt.timedelta(hours=2),
    )
    if gifts:
        _give(day)
    return day


def _give(day: LiveDay) -> None:
    amounts = [2500, 10000, 5000, 2000, 20000, 1500, 7500, 500, 4000]
    for index, (pair, shift, bucket) in enumerate(
        zip(day.pairs, day.shifts, day.buckets, strict=False)
    ):
        for turn in range(6 - index % 4):
            day.gifts.append(
                paid_gift(
                    day.event,
                    amounts[(index + turn) % len(amounts)] * (3 if index == 0 else 1),
                    corner=shift.corner,
                    shift=shift,
                    bucket=bucket,
                    people=pair,
                    designated_to=day.partners[turn % 4] if turn % 3 == 0 else None,
                    donor_name=f"Donor {index}-{turn}",
                    donor_email=f"donor{index}{turn}@example.org",
                )
            )
    # One bucket back and counted, one back and not counted yet.
    counted, waiting = BucketAssignment.objects.filter(bucket__in=day.buckets[:2])
    now = timezone.now()
    for assignment in (counted, waiting):
        volunteer_services.bucket_return(assignment=assignment, by=day.lead, now=now)
    witness = UserFactory(name="Grace Kim")
    count, _new = services.cash_count_record(
        assignment=counted, amount_cents=18_650, counted_by=day.lead, witnessed_by=witness, now=now
    )
    assert count.donation is not None
    day.gifts.append(count.donation)
    check, _new = services.check_record(
        event=day.event,
        amount_cents=50_000,
        donor_name="Fresno Lions Club",
        check_number="1042",
        donor_email="",
        designated_to=day.partners[2],
        by=day.lead,
        now=now,
    )
    day.gifts.append(check)


def minor_and_opted_out(day: LiveDay) -> tuple[User, User]:
    """Two volunteers credited with the day's best gifts whom public pages must not name."""
    minor = volunteer(user__name="Yesenia Minor", age_band=AgeBand.MINOR)
    private = volunteer(user__name="Oscar Private", leaderboard_opt_out=True)
    paid_gift(day.event, 900_000, corner=day.corners[0], people=[minor, private])
    return minor, private
