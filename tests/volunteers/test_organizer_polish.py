"""Organizer pages, first use polished (issue 11): check-in on the shift's day only, times that
say their day, one bucket per pair unless confirmed, the counted amount on the roster, plural
forms, the bucket labels sheet, a no-show in the demo's live day, the laptop's width."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from donations import services as donation_services
from events.models import Event, Membership, Shift
from tests.factories import (
    BucketFactory,
    CornerFactory,
    MembershipFactory,
    ShiftFactory,
    published_event,
    volunteer,
)
from tests.support.volunteering import signed_up, text
from volunteers import services
from volunteers.models import BucketAssignment, Signup, User

pytestmark = pytest.mark.django_db

PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")


def organizer_of(event: Event) -> User:
    return MembershipFactory(event=event, role=Membership.Role.ORGANIZER).user


@pytest.fixture
def shift() -> Shift:
    return ShiftFactory(corner=CornerFactory(event=published_event()), min_volunteers=2)


def roster_url(shift: Shift) -> str:
    return reverse("volunteers:organize_shift", args=[shift.pk])


def checked_in(shift: Shift, count: int) -> list[User]:
    people = [volunteer() for _ in range(count)]
    for person in people:
        services.signup_check_in(signup=signed_up(person, shift), now=shift.starts_at)
    return people


# --- 1. Check-in on the day of the shift only ----


def test_a_volunteer_can_check_in_on_the_morning_of_their_shift(shift: Shift) -> None:
    signup = signed_up(volunteer(), shift)
    early = shift.starts_at - dt.timedelta(hours=1)
    assert services.signup_check_in(signup=signup, now=early).checked_in_at == early


def test_checking_in_the_day_before_the_shift_is_refused_with_a_clear_message(
    shift: Shift,
) -> None:
    signup = signed_up(volunteer(), shift)
    with pytest.raises(ValidationError) as refused:
        services.signup_check_in(signup=signup, now=shift.starts_at - dt.timedelta(days=1))
    assert refused.value.code == "not_today"
    assert "on the day of their shift" in refused.value.messages[0]
    signup.refresh_from_db()
    assert signup.checked_in_at is None


def test_checking_in_the_day_after_the_shift_is_refused(shift: Shift) -> None:
    signup = signed_up(volunteer(), shift)
    with pytest.raises(ValidationError):
        services.signup_check_in(signup=signup, now=shift.starts_at + dt.timedelta(days=1))


def test_the_shift_day_is_the_events_not_utcs(shift: Shift) -> None:
    # 23:30 in Los Angeles the evening before is already the shift's day in UTC: still refused.
    signup = signed_up(volunteer(), shift)
    evening_before = dt.datetime(2031, 1, 10, 23, 30, tzinfo=PACIFIC)
    assert evening_before.astimezone(dt.UTC).date() == shift.starts_at.date()
    with pytest.raises(ValidationError):
        services.signup_check_in(signup=signup, now=evening_before)


def test_the_roster_offers_no_check_in_before_the_shifts_day(client: Client, shift: Shift) -> None:
    signed_up(volunteer(), shift)
    client.force_login(organizer_of(shift.corner.event))
    page = text(client.get(roster_url(shift)))
    assert "/check-in/" not in page
    assert "Check-in is open on the day of the shift only" in page


def test_the_roster_offers_check_in_on_the_shifts_day(client: Client, shift: Shift) -> None:
    signed_up(volunteer(), shift)
    with time_machine.travel(shift.starts_at - dt.timedelta(minutes=30)):
        client.force_login(organizer_of(shift.corner.event))
        page = text(client.get(roster_url(shift)))
    assert "/check-in/" in page
    assert "Check-in is open on the day of the shift only" not in page


def test_a_check_in_posted_on_another_day_changes_nothing_and_says_why(
    client: Client, shift: Shift
) -> None:
    signup = signed_up(volunteer(), shift)
    client.force_login(organizer_of(shift.corner.event))
    url = reverse("volunteers:signup_action", args=[signup.pk, "check-in"])
    page = text(client.post(url, follow=True))
    assert "Volunteers check in on the day of their shift" in page
    signup.refresh_from_db()
    assert signup.checked_in_at is None


# --- 2. Times show their date when not today ----


def render_when(value: dt.datetime, filter_: str = "when") -> str:
    template = Template(
        "{% load tz organizing %}{% timezone 'America/Los_Angeles' %}{{ value|"
        + filter_
        + " }}{% endtimezone %}"
    )
    return template.render(Context({"value": value}))


def test_a_time_today_shows_only_the_clock() -> None:
    with time_machine.travel(dt.datetime(2031, 1, 11, 9, 0, tzinfo=PACIFIC)):
        shown = render_when(dt.datetime(2031, 1, 11, 10, 2, tzinfo=PACIFIC))
    assert shown == "10:02 a.m."


def test_a_time_on_another_day_shows_its_date() -> None:
    with time_machine.travel(dt.datetime(2031, 1, 11, 9, 0, tzinfo=PACIFIC)):
        shown = render_when(dt.datetime(2031, 1, 12, 10, 2, tzinfo=PACIFIC))
    assert shown == "Sun, Jan 12, 10:02 a.m."


def test_today_is_the_events_day_not_utcs() -> None:
    # 20:00 in Los Angeles is the next day in UTC; a time at 19:00 that evening is still today.
    with time_machine.travel(dt.datetime(2031, 1, 11, 20, 0, tzinfo=PACIFIC)):
        assert render_when(dt.datetime(2031, 1, 11, 19, 0, tzinfo=PACIFIC)) == "7 p.m."


def test_a_date_not_today_is_in_spanish_on_spanish_pages() -> None:
    with (
        time_machine.travel(dt.datetime(2031, 1, 11, 9, 0, tzinfo=PACIFIC)),
        translation.override("es"),
    ):
        shown = render_when(dt.datetime(2031, 1, 12, 10, 2, tzinfo=PACIFIC))
    assert "ene" in shown.lower()
    assert "10:02" in shown


def test_the_dashboard_gives_the_date_of_shifts_on_another_day(
    client: Client, shift: Shift
) -> None:
    client.force_login(organizer_of(shift.corner.event))
    page = text(client.get(reverse("volunteers:organize", args=[shift.corner.event.slug])))
    assert "Sat, Jan 11, 7 a.m. – 10 a.m." in page


def test_the_dashboard_gives_only_the_clock_for_shifts_today(client: Client, shift: Shift) -> None:
    with time_machine.travel(shift.starts_at - dt.timedelta(hours=1)):
        client.force_login(organizer_of(shift.corner.event))
        page = text(client.get(reverse("volunteers:organize", args=[shift.corner.event.slug])))
    assert "7 a.m. – 10 a.m." in page
    assert "Jan 11, 7 a.m." not in page


def test_the_roster_gives_the_date_of_a_bucket_handed_out_another_day(
    client: Client, shift: Shift
) -> None:
    checked_in(shift, 2)
    services.bucket_hand_out(
        bucket=BucketFactory(event=shift.corner.event, label="B-07"),
        shift=shift,
        by=volunteer(),
        now=shift.starts_at,
    )
    client.force_login(organizer_of(shift.corner.event))
    page = text(client.get(roster_url(shift)))
    assert "Out Sat, Jan 11, 7 a.m." in page


# --- 3. One bucket per pair unless the organizer confirms ----


def test_a_second_bucket_for_the_same_shift_is_refused_without_confirmation(
    shift: Shift,
) -> None:
    checked_in(shift, 2)
    organizer = organizer_of(shift.corner.event)
    first = BucketFactory(event=shift.corner.event, label="B-01")
    services.bucket_hand_out(bucket=first, shift=shift, by=organizer, now=shift.starts_at)
    with pytest.raises(ValidationError) as refused:
        services.bucket_hand_out(
            bucket=BucketFactory(event=shift.corner.event),
            shift=shift,
            by=organizer,
            now=shift.starts_at,
        )
    assert refused.value.code == "second_bucket"
    assert "Bucket B-01 is already out with this shift" in refused.value.messages[0]
    assert BucketAssignment.objects.filter(shift=shift).count() == 1


def test_a_second_bucket_is_handed_out_when_the_organizer_confirms(shift: Shift) -> None:
    checked_in(shift, 4)
    organizer = organizer_of(shift.corner.event)
    for _ in range(2):
        services.bucket_hand_out(
            bucket=BucketFactory(event=shift.corner.event),
            shift=shift,
            by=organizer,
            now=shift.starts_at,
            confirm_second=True,
        )
    assert BucketAssignment.objects.filter(shift=shift, returned_at__isnull=True).count() == 2


def test_a_new_bucket_after_the_first_is_back_needs_no_confirmation(shift: Shift) -> None:
    checked_in(shift, 2)
    organizer = organizer_of(shift.corner.event)
    first = services.bucket_hand_out(
        bucket=BucketFactory(event=shift.corner.event), shift=shift, by=organizer,
        now=shift.starts_at,
    )  # fmt: skip
    services.bucket_return(assignment=first, by=organizer, now=shift.starts_at)
    services.bucket_hand_out(
        bucket=BucketFactory(event=shift.corner.event), shift=shift, by=organizer,
        now=shift.starts_at,
    )  # fmt: skip
    assert BucketAssignment.objects.filter(shift=shift).count() == 2


def hand_out(client: Client, shift: Shift, bucket: object, **extra: str) -> str:
    url = reverse("volunteers:bucket_hand_out", args=[shift.pk])
    return text(client.post(url, {"bucket": bucket.pk, **extra}, follow=True))  # type: ignore[attr-defined]


def test_the_roster_asks_before_handing_out_a_second_bucket_and_a_second_post_confirms(
    client: Client, shift: Shift
) -> None:
    checked_in(shift, 4)
    client.force_login(organizer_of(shift.corner.event))
    hand_out(client, shift, BucketFactory(event=shift.corner.event, label="B-01"))
    second = BucketFactory(event=shift.corner.event, label="B-02")
    asked = hand_out(client, shift, second)
    assert "Bucket B-01 is already out with this shift." in asked
    assert "Yes, hand out B-02 as a second bucket" in asked
    assert 'name="confirm_second" value="yes"' in asked
    assert not BucketAssignment.objects.filter(bucket=second).exists()
    done = hand_out(client, shift, second, confirm_second="yes")
    assert "Bucket B-02 handed out." in done
    assert BucketAssignment.objects.filter(bucket=second, shift=shift).exists()


def test_the_hand_out_form_offers_the_confirmation_box_only_while_a_bucket_is_out(
    client: Client, shift: Shift
) -> None:
    checked_in(shift, 2)
    client.force_login(organizer_of(shift.corner.event))
    assert 'id="id_confirm_second"' not in text(client.get(roster_url(shift)))
    hand_out(client, shift, BucketFactory(event=shift.corner.event))
    assert 'id="id_confirm_second"' in text(client.get(roster_url(shift)))


# --- 4. The counted amount on the roster; plural forms ----


def counted(shift: Shift, cents: int) -> BucketAssignment:
    pair = checked_in(shift, 2)
    organizer = organizer_of(shift.corner.event)
    assignment = services.bucket_hand_out(
        bucket=BucketFactory(event=shift.corner.event), shift=shift, by=organizer,
        now=shift.starts_at,
    )  # fmt: skip
    services.bucket_return(assignment=assignment, by=organizer, now=shift.ends_at)
    donation_services.cash_count_record(
        assignment=assignment, amount_cents=cents, counted_by=organizer, witnessed_by=pair[0],
        now=shift.ends_at,
    )  # fmt: skip
    return assignment


def test_the_roster_shows_the_counted_amount_after_a_cash_count(
    client: Client, shift: Shift
) -> None:
    counted(shift, 8450)
    client.force_login(organizer_of(shift.corner.event))
    page = text(client.get(roster_url(shift)))
    assert "Counted: $84.50" in page
    assert "Correct the count" in page
    assert "cash count" not in page  # one count: nothing to explain


def test_after_a_correction_the_roster_shows_the_corrected_amount_and_two_counts(
    client: Client, shift: Shift
) -> None:
    assignment = counted(shift, 8450)
    first = assignment.cash_counts.get()
    organizer = organizer_of(shift.corner.event)
    donation_services.cash_count_record(
        assignment=assignment, amount_cents=9000, counted_by=organizer,
        witnessed_by=assignment.holders.first(), corrects=first, now=shift.ends_at,
    )  # fmt: skip
    client.force_login(organizer)
    page = text(client.get(roster_url(shift)))
    assert "Counted: $90.00" in page
    assert "$84.50" not in page
    assert "(2 cash counts)" in page


def test_the_gifts_page_counts_in_the_singular_and_the_plural(client: Client, shift: Shift) -> None:
    counted(shift, 1000)
    client.force_login(organizer_of(shift.corner.event))
    page = text(client.get(reverse("donations:organize_list", args=[shift.corner.event.slug])))
    assert "0 card gifts · 1 cash count · 0 checks" in page


def test_the_dashboard_says_1_of_1_volunteer(client: Client) -> None:
    shift = ShiftFactory(
        corner=CornerFactory(event=published_event()), capacity=1, min_volunteers=1
    )
    signed_up(volunteer(), shift)
    client.force_login(organizer_of(shift.corner.event))
    page = text(client.get(reverse("volunteers:organize", args=[shift.corner.event.slug])))
    assert "1 of 1 volunteer\n" in page or "1 of 1 volunteer " in page
    assert "1 of 1 volunteers" not in page


# --- 5. The bucket labels sheet ----


def labels(client: Client, event: Event, query: str = "", **headers: str) -> str:
    client.force_login(organizer_of(event))
    return text(client.get(f"/organize/{event.slug}/labels/{query}", headers=headers))


def test_the_labels_page_has_a_main_landmark_a_heading_and_real_links(client: Client) -> None:
    event = published_event(title="Pledge Day Fresno")
    buckets = [BucketFactory(event=event) for _ in range(3)]
    page = labels(client, event)
    assert '<html lang="en">' in page
    assert page.count("<main") == 1
    assert re.search(r"<h1>Bucket labels · Pledge Day Fresno</h1>", page)
    for bucket in buckets:
        url = f"http://testserver/g/{bucket.token}"
        assert f'<a href="{url}">testserver/g/{bucket.token}</a>' in page


def test_the_labels_page_speaks_the_pages_language(client: Client) -> None:
    event = published_event()
    BucketFactory(event=event)
    page = labels(client, event, **{"Accept-Language": "es"})
    assert '<html lang="es">' in page


def test_the_labels_come_six_to_a_sheet(client: Client) -> None:
    event = published_event()
    for _ in range(7):
        BucketFactory(event=event)
    page = labels(client, event)
    assert page.count('<section class="sheet"') == 2
    assert page.count('<article class="label">') == 7


def test_the_paper_is_us_letter_unless_a4_is_chosen(client: Client) -> None:
    event = published_event()
    BucketFactory(event=event)
    assert '<body class="paper-letter">' in labels(client, event)
    a4 = labels(client, event, "?paper=a4")
    assert '<body class="paper-a4">' in a4
    assert '<a href="?paper=a4" aria-current="page">A4</a>' in a4
    assert '<body class="paper-letter">' in labels(client, event, "?paper=tabloid")


def test_each_label_names_its_bucket_and_pledge_day(client: Client) -> None:
    event = published_event(title="Pledge Day Fresno")
    BucketFactory(event=event, label="B-42")
    page = labels(client, event)
    assert "<h2>B-42</h2>" in page
    assert '<p class="event">Pledge Day Fresno</p>' in page
    assert "<title>B-42</title>" in page  # the QR code's accessible name


# --- 6. A no-show in the demo's live day ----


def test_the_demo_live_day_has_a_volunteer_not_turned_up_whom_the_roster_can_mark_no_show(
    client: Client,
) -> None:
    from volunteers.demo import LIVE_NOT_HERE, demo_live_day_seed

    now = timezone.now()
    event = demo_live_day_seed(now=now).event
    (corner, person), *_ = LIVE_NOT_HERE.items()
    signup = Signup.objects.get(
        shift__corner__event=event, shift__corner__name=corner, user__email__startswith=person
    )
    assert signup.status == Signup.Status.CONFIRMED
    assert signup.checked_in_at is None
    assert signup.shift.starts_at <= now < signup.shift.ends_at
    client.force_login(User.objects.get(email="organizer@pledgeday.test"))
    roster = text(client.get(roster_url(signup.shift)))
    no_show = reverse("volunteers:signup_action", args=[signup.pk, "no-show"])
    assert f'action="{no_show}"' in roster
    client.post(no_show)
    signup.refresh_from_db()
    assert signup.status == Signup.Status.NO_SHOW


# --- 7. The laptop's width ----


@pytest.mark.parametrize("name", ["volunteers:organize", "donations:organize_list"])
def test_the_organizer_overviews_are_wide_pages(client: Client, shift: Shift, name: str) -> None:
    client.force_login(organizer_of(shift.corner.event))
    MembershipFactory(
        event=shift.corner.event, role=Membership.Role.LEAD
    )  # the gifts page is for the money roles too
    page = text(client.get(reverse(name, args=[shift.corner.event.slug])))
    assert 'class="wrap wide organize"' in page
    assert "css/organize" in page


def test_the_roster_is_a_wide_page(client: Client, shift: Shift) -> None:
    client.force_login(organizer_of(shift.corner.event))
    page = text(client.get(roster_url(shift)))
    assert 'class="wrap wide organize"' in page
    assert 'class="organize-columns"' in page
