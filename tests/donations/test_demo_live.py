"""The demo's live day: a pledge day under way now, with pairs on the corners, buckets out, gifts
already in, cash counted from a returned bucket and a matching pledge running, all written by the
services; seeded once, and again as a new day once the old one is nearly over."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import Client, override_settings
from django.utils import timezone

from donations import services
from donations.demo import SPONSOR, SPONSOR_CAP_CENTS, demo_live_seed
from donations.models import CashCount, Donation, LedgerEntry, MatchPledge, Tally
from events.models import Bucket, Event, Shift
from volunteers import services as volunteer_services
from volunteers.demo import LIVE_SLUG_PREFIX, live_day_under_way
from volunteers.models import BucketAssignment, Signup, User

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MOMENTS = [
    pytest.param(dt.datetime(2031, 5, 14, 18, 20, tzinfo=UTC), id="11:20 in Fresno"),
    pytest.param(dt.datetime(2031, 11, 2, 10, 30, tzinfo=UTC), id="the night clocks go back"),
    pytest.param(dt.datetime(2031, 5, 15, 7, 5, tzinfo=UTC), id="just after midnight"),
]


MODELS = [
    Event, Shift, Bucket, User, Signup, BucketAssignment, Donation, CashCount, MatchPledge,
    LedgerEntry,
]  # fmt: skip


def live_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def shift_under_way(event: Event, corner_name: str, now: dt.datetime) -> Shift:
    return Shift.objects.get(
        corner__event=event, corner__name=corner_name, starts_at__lte=now, ends_at__gt=now
    )


@pytest.mark.parametrize("now", MOMENTS)
def test_the_live_day_is_live_with_a_shift_under_way_on_every_corner(now: dt.datetime) -> None:
    event = demo_live_seed(now=now)
    assert event.status == Event.Status.LIVE
    assert event.slug.startswith(LIVE_SLUG_PREFIX)
    assert event.starts_at <= now < event.ends_at
    local_today = now.astimezone(event.tzinfo).date()
    assert f"{local_today:%B} {local_today.day}" in event.title
    shifts = Shift.objects.filter(corner__event=event).order_by("starts_at")
    assert shifts.count() == 5 * 4
    assert {shift.ends_at - shift.starts_at for shift in shifts} == {dt.timedelta(hours=3)}
    for corner in event.corners.all():
        under_way = shift_under_way(event, corner.name, now)
        assert under_way.starts_at == event.starts_at + dt.timedelta(hours=3)


def test_at_1120_in_fresno_the_day_runs_from_7_to_7_and_the_bank_matches_until_6() -> None:
    event = demo_live_seed(now=dt.datetime(2031, 5, 14, 18, 20, tzinfo=UTC))
    local = event.starts_at.astimezone(event.tzinfo), event.ends_at.astimezone(event.tzinfo)
    assert (local[0].hour, local[1].hour) == (7, 19)
    pledge = MatchPledge.objects.get(event=event)
    assert pledge.ends_at.astimezone(event.tzinfo).hour == 18
    assert pledge.starts_at.astimezone(event.tzinfo).hour == 10


def test_each_corner_has_a_checked_in_pair_holding_a_bucket_now() -> None:
    now = timezone.now()
    event = demo_live_seed(now=now)
    for corner in event.corners.all():
        shift = shift_under_way(event, corner.name, now)
        checked_in = shift.signups.filter(
            status=Signup.Status.CONFIRMED, checked_in_at__lte=now, checked_out_at__isnull=True
        )
        assert checked_in.count() == 2
        (out,) = BucketAssignment.objects.filter(shift=shift, returned_at__isnull=True)
        assert set(out.holders.all()) == {signup.user for signup in checked_in}
        attribution = services.attribution_for_bucket(out.bucket)
        assert attribution.corner == corner
    blackstone = services.attribution_for_bucket(Bucket.objects.get(event=event, label="B-01"))
    assert {user.email for user in blackstone.volunteers} == {
        "maria.lopez@pledgeday.test",
        "jose.hernandez@pledgeday.test",
    }


def test_the_first_shift_is_over_its_buckets_back_and_three_of_them_counted() -> None:
    now = timezone.now()
    event = demo_live_seed(now=now)
    first = Shift.objects.filter(corner__event=event, starts_at=event.starts_at)
    assert first.count() == 5
    assert not Signup.objects.filter(shift__in=first, checked_out_at__isnull=True).exists()
    returned = BucketAssignment.objects.filter(shift__in=first)
    assert returned.count() == 5
    assert all(a.returned_at is not None and a.returned_at <= now for a in returned)
    counts = CashCount.objects.filter(assignment__in=returned)
    assert counts.count() == 3
    for count in counts:
        assert count.counted_by != count.witnessed_by
        assert count.donation is not None
        assert count.donation.method == Donation.Method.CASH
        assert count.donation.amount_cents == count.amount_cents > 0
        assert set(count.donation.volunteers.all()) == set(count.assignment.holders.all())


def test_card_gifts_came_in_on_every_corner_paid_and_credited_to_their_pair() -> None:
    now = timezone.now()
    event = demo_live_seed(now=now)
    cards = Donation.objects.filter(event=event, method=Donation.Method.CARD)
    assert cards.count() >= 25
    assert set(cards.values_list("status", flat=True)) == {Donation.Status.SUCCEEDED}
    assert set(cards.values_list("corner__name", flat=True)) == set(
        event.corners.values_list("name", flat=True)
    )
    for gift in cards:
        assert gift.bucket is not None
        assert gift.succeeded_at is not None
        assert gift.created_at < gift.succeeded_at <= now
        assert gift.amount_cents >= event.minimum_gift_cents
        assert gift.volunteers.count() == 2
    assert cards.filter(fee_cents__gt=0).exists()
    assert cards.filter(designated_to__isnull=False).exists()
    assert cards.filter(fee_cents=0, designated_to__isnull=True).exists()
    assert len(set(cards.values_list("amount_cents", flat=True))) >= 4  # not one amount
    ledger = LedgerEntry.objects.filter(donation__event=event).aggregate(total=Sum("amount_cents"))
    assert ledger["total"] > 0


def test_valley_community_bank_doubles_gifts_now_and_has_room_left() -> None:
    now = timezone.now()
    event = demo_live_seed(now=now)
    pledge = MatchPledge.objects.get(event=event)
    assert (pledge.sponsor, pledge.ratio_percent, pledge.cap_cents) == (
        SPONSOR,
        100,
        SPONSOR_CAP_CENTS,
    )
    assert pledge.starts_at <= now < pledge.ends_at
    assert 0 < pledge.allotted_cents < pledge.cap_cents


def test_the_tallies_agree_with_the_ledger_after_seeding() -> None:
    event = demo_live_seed(now=timezone.now())
    assert Tally.objects.filter(event=event).exists()
    assert services.tallies_reconcile(event=event, repair=False) == []


def test_the_live_days_totals_show_its_gifts_and_the_match(client: Client) -> None:
    event = demo_live_seed(now=timezone.now())
    figures = client.get(f"/events/{event.slug}/totals.json").json()
    assert figures["status"] == "live"
    assert figures["gifts"] == Donation.objects.filter(event=event).count()
    assert 0 < figures["raised_cents"] < figures["goal_cents"]
    assert figures["match_cents"] > 0
    assert [match["active"] for match in figures["matches"]] == [True]


def test_seeding_again_the_same_day_adds_nothing() -> None:
    call_command("seed_demo", "--force", "--live-day", stdout=StringIO())
    first = live_counts()
    tokens = set(Bucket.objects.values_list("token", flat=True))
    call_command("seed_demo", "--force", "--live-day", stdout=StringIO())
    assert live_counts() == first
    assert set(Bucket.objects.values_list("token", flat=True)) == tokens


def test_six_hours_later_the_same_day_is_still_the_live_one() -> None:
    now = dt.datetime(2031, 5, 14, 18, 20, tzinfo=UTC)
    event = demo_live_seed(now=now)
    first = live_counts()
    assert demo_live_seed(now=now + dt.timedelta(hours=6)) == event
    assert live_counts() == first


@pytest.mark.parametrize(
    "later",
    [
        pytest.param(dt.timedelta(hours=7, minutes=5), id="in its last hour"),
        pytest.param(dt.timedelta(days=1), id="the next day"),
        pytest.param(dt.timedelta(days=9, hours=5), id="a week later"),
    ],
)
def test_a_later_run_seeds_a_new_day_under_way_then_with_the_same_volunteers(
    later: dt.timedelta,
) -> None:
    now = dt.datetime(2031, 5, 14, 18, 20, tzinfo=UTC)
    old = demo_live_seed(now=now)
    new = demo_live_seed(now=now + later)
    assert new != old
    assert new.starts_at <= now + later < new.ends_at
    assert live_day_under_way(now=now + later) == new
    for corner in new.corners.all():
        shift = shift_under_way(new, corner.name, now + later)
        assert shift.signups.filter(checked_in_at__isnull=False).count() == 2
    assert services.tallies_reconcile(event=new, repair=False) == []
    assert Donation.objects.filter(event=new).count() > 0
    # The old day keeps its gifts: nothing moved or was deleted.
    assert Donation.objects.filter(event=old).count() > 0


def test_a_volunteer_someone_signed_up_meanwhile_does_not_stop_the_next_day() -> None:
    now = dt.datetime(2031, 5, 14, 18, 20, tzinfo=UTC)
    old = demo_live_seed(now=now)
    last_shift = Shift.objects.filter(corner__event=old).latest("starts_at")
    maria = User.objects.get(email="maria.lopez@pledgeday.test")
    volunteer_services.signup_create(user=maria, shift=last_shift, now=now)  # trying the demo
    later = now + dt.timedelta(hours=7, minutes=5)

    new = demo_live_seed(now=later)

    assert new != old
    blackstone = shift_under_way(new, "Blackstone & Shaw", later)
    assert not blackstone.signups.exists()  # her pair stays home: her shifts would overlap
    others = BucketAssignment.objects.filter(
        shift__corner__event=new, returned_at__isnull=True
    ).exclude(shift=blackstone)
    assert others.count() == 4
    assert services.tallies_reconcile(event=new, repair=False) == []


def test_the_live_day_refuses_a_site_with_stripe_keys_and_leaves_nothing_behind() -> None:
    with (
        override_settings(STRIPE_SECRET_KEY="sk_test_pledgeday_real_account"),
        pytest.raises(CommandError, match="without Stripe keys"),
    ):
        call_command("seed_demo", "--force", "--live-day", stdout=StringIO())
    assert not Event.objects.filter(slug__startswith=LIVE_SLUG_PREFIX).exists()
    assert not Donation.objects.exists()


def test_the_command_names_the_live_day_for_the_launcher() -> None:
    out = StringIO()
    call_command("seed_demo", "--force", "--live-day", stdout=out)
    event = Event.objects.get(slug__startswith=LIVE_SLUG_PREFIX)
    assert f"Live today: {event.title} (/events/{event.slug}/)" in out.getvalue()


def test_without_the_option_the_demo_has_only_its_upcoming_day() -> None:
    call_command("seed_demo", "--force", stdout=StringIO())
    assert not Event.objects.filter(slug__startswith=LIVE_SLUG_PREFIX).exists()
    assert not Donation.objects.exists()
