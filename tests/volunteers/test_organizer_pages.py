"""Organizer pages: who may see them, the dashboard, rosters, the staging table, shift planning."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import services as event_services
from events.models import Event, Membership, Shift
from tests.factories import (
    BucketFactory,
    CornerFactory,
    MembershipFactory,
    ShiftFactory,
    published_event,
    volunteer,
)
from tests.support.volunteering import at, confirmed_count, shift_at, signed_up, text
from volunteers import services
from volunteers.models import BucketAssignment, PoolEntry, Signup, User

pytestmark = pytest.mark.django_db


def organizer_of(event: Event) -> User:
    return MembershipFactory(event=event, role=Membership.Role.ORGANIZER).user


@pytest.fixture
def event() -> Event:
    return published_event()


@pytest.fixture
def shift(event: Event) -> Shift:
    return ShiftFactory(corner=CornerFactory(event=event), capacity=4, min_volunteers=2)


def dashboard_url(event: Event) -> str:
    return reverse("volunteers:organize", args=[event.slug])


def roster_url(shift: Shift) -> str:
    return reverse("volunteers:organize_shift", args=[shift.pk])


# --- Who may organize -------------------------------------------------------------------------


def test_a_volunteer_is_forbidden_the_dashboard(client: Client, event: Event) -> None:
    client.force_login(volunteer())
    assert client.get(dashboard_url(event)).status_code == 403


def test_a_volunteer_is_forbidden_a_shift_roster(client: Client, shift: Shift) -> None:
    client.force_login(volunteer())
    assert client.get(roster_url(shift)).status_code == 403


def test_the_organizer_of_another_event_is_forbidden(client: Client, shift: Shift) -> None:
    client.force_login(organizer_of(published_event()))
    assert client.get(dashboard_url(shift.corner.event)).status_code == 403
    assert client.get(roster_url(shift)).status_code == 403


def test_finance_staff_of_the_event_are_not_organizers(client: Client, shift: Shift) -> None:
    user = MembershipFactory(event=shift.corner.event, role=Membership.Role.FINANCE).user
    client.force_login(user)
    assert client.get(dashboard_url(shift.corner.event)).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, event: Event) -> None:
    response = client.get(dashboard_url(event))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_organizer_of_the_event_sees_the_dashboard_and_rosters(
    client: Client, shift: Shift
) -> None:
    client.force_login(organizer_of(shift.corner.event))
    assert client.get(dashboard_url(shift.corner.event)).status_code == 200
    assert client.get(roster_url(shift)).status_code == 200


def test_a_lead_of_the_fiscal_host_sees_the_dashboard_and_rosters(
    client: Client, shift: Shift
) -> None:
    event = shift.corner.event
    lead = MembershipFactory(event=None, organization=event.fiscal_host, role=Membership.Role.LEAD)
    client.force_login(lead.user)
    assert client.get(dashboard_url(event)).status_code == 200
    assert client.get(roster_url(shift)).status_code == 200


# --- The dashboard ----------------------------------------------------------------------------


def test_the_dashboard_lists_understaffed_shifts_first(client: Client, event: Event) -> None:
    # Neither time nor name order puts them this way: the biggest gap to the minimum comes first.
    shift_at(CornerFactory(event=event, name="Alpha Staffed"), 7, confirmed_count=2)
    shift_at(CornerFactory(event=event, name="Beta One Short"), 8, confirmed_count=1)
    shift_at(CornerFactory(event=event, name="Zulu Empty"), 13, confirmed_count=0)
    client.force_login(organizer_of(event))
    page = text(client.get(dashboard_url(event)))
    assert page.index("Zulu Empty") < page.index("Beta One Short") < page.index("Alpha Staffed")
    assert "2 shifts need volunteers." in page


# --- Rosters and privacy ----------------------------------------------------------------------


def test_the_roster_shows_organizers_how_to_reach_each_volunteer(
    client: Client, shift: Shift
) -> None:
    signed_up(volunteer(phone="559-555-0101", emergency_contact_phone="559-555-0102"), shift)
    client.force_login(organizer_of(shift.corner.event))
    page = text(client.get(roster_url(shift)))
    assert "559-555-0101" in page
    assert 'href="tel:+15595550101"' in page
    assert "559-555-0102" in page


def test_the_roster_shows_a_minors_guardian(client: Client, shift: Shift) -> None:
    minor = volunteer(
        age_band="16-17",
        guardian_name="Lupe Ramos",
        guardian_contact="559-555-0150",
        guardian_consent_on=dt.date(2030, 12, 1),
    )
    signed_up(minor, shift)
    client.force_login(organizer_of(shift.corner.event))
    page = text(client.get(roster_url(shift)))
    assert "Minor" in page
    assert "Lupe Ramos" in page


def test_the_roster_shows_the_corners_safety_notes(client: Client, event: Event) -> None:
    corner = CornerFactory(event=event, safety_notes="Stay behind the crosswalk line.")
    shift = ShiftFactory(corner=corner)
    client.force_login(organizer_of(event))
    assert "Stay behind the crosswalk line." in text(client.get(roster_url(shift)))


def test_the_public_event_page_never_shows_a_volunteers_phone(client: Client, shift: Shift) -> None:
    signed_up(volunteer(phone="559-555-0101", emergency_contact_phone="559-555-0102"), shift)
    url = reverse("events:detail", args=[shift.corner.event.slug])
    for viewer in (None, volunteer(), organizer_of(shift.corner.event)):
        if viewer is not None:
            client.force_login(viewer)
        page = text(client.get(url))
        assert "559-555-0101" not in page
        assert "559-555-0102" not in page


# --- The staging table: check-in, check-out, no-shows, cancel ---------------------------------


def act(client: Client, signup: Signup, action: str) -> HttpResponse:
    return client.post(reverse("volunteers:signup_action", args=[signup.pk, action]), follow=True)


def test_checking_in_records_the_time(client: Client, shift: Shift) -> None:
    signup = signed_up(volunteer(), shift)
    with time_machine.travel(shift.starts_at):  # check-in is taken on the shift's day only
        client.force_login(organizer_of(shift.corner.event))
        response = act(client, signup, "check-in")
    assert response.redirect_chain[-1][0] == roster_url(shift)
    signup.refresh_from_db()
    assert signup.checked_in_at is not None
    assert "Checked in" in text(response)


def test_checking_out_records_the_time(client: Client, shift: Shift) -> None:
    signup = signed_up(volunteer(), shift)
    services.signup_check_in(signup=signup, now=shift.starts_at)
    client.force_login(organizer_of(shift.corner.event))
    act(client, signup, "check-out")
    signup.refresh_from_db()
    assert signup.checked_out_at is not None


def test_checking_out_someone_never_checked_in_is_refused(client: Client, shift: Shift) -> None:
    signup = signed_up(volunteer(), shift)
    client.force_login(organizer_of(shift.corner.event))
    page = text(act(client, signup, "check-out"))
    assert "This volunteer was never checked in." in page
    signup.refresh_from_db()
    assert signup.checked_out_at is None


def test_a_waitlisted_volunteer_cannot_be_checked_in(client: Client, event: Event) -> None:
    full = ShiftFactory(corner=CornerFactory(event=event), capacity=1, min_volunteers=1)
    signed_up(volunteer(), full)
    waiting = signed_up(volunteer(), full)
    client.force_login(organizer_of(event))
    page = text(act(client, waiting, "check-in"))
    assert "Only a confirmed volunteer can be checked in." in page
    waiting.refresh_from_db()
    assert waiting.checked_in_at is None


@pytest.fixture
def started_shift() -> Shift:
    """A shift that began an hour ago on a live pledge day, with one confirmed volunteer."""
    now = timezone.now()
    event = published_event(
        starts_at=now - dt.timedelta(hours=2), ends_at=now + dt.timedelta(hours=8)
    )
    event_services.events_advance_status(now=now)
    event.refresh_from_db()
    shift = ShiftFactory(
        corner=CornerFactory(event=event),
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=2),
        confirmed_count=1,
    )
    Signup.objects.create(
        user=volunteer(),
        shift=shift,
        status=Signup.Status.CONFIRMED,
        created_at=now - dt.timedelta(days=1),
        confirmed_at=now - dt.timedelta(days=1),
    )
    return shift


def test_a_volunteer_who_never_came_is_marked_as_a_no_show(
    client: Client, started_shift: Shift
) -> None:
    assert started_shift.corner.event.status == Event.Status.LIVE
    signup = started_shift.signups.get()
    client.force_login(organizer_of(started_shift.corner.event))
    act(client, signup, "no-show")
    signup.refresh_from_db()
    assert signup.status == Signup.Status.NO_SHOW
    assert confirmed_count(started_shift) == 0


def test_the_roster_of_a_started_shift_lists_no_shows(client: Client, started_shift: Shift) -> None:
    signup = started_shift.signups.select_related("user").get()
    client.force_login(organizer_of(started_shift.corner.event))
    page = text(act(client, signup, "no-show"))
    no_shows = page[page.index("No-shows") :]
    assert signup.user.name.replace("'", "&#x27;") in no_shows


def test_a_no_show_promotes_nobody_once_the_shift_has_started(
    client: Client, started_shift: Shift
) -> None:
    signup = started_shift.signups.get()
    now = timezone.now()
    waiting = Signup.objects.create(
        user=volunteer(),
        shift=started_shift,
        status=Signup.Status.WAITLISTED,
        created_at=now - dt.timedelta(hours=12),
    )
    client.force_login(organizer_of(started_shift.corner.event))
    act(client, signup, "no-show")
    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.WAITLISTED
    assert confirmed_count(started_shift) == 0


def test_nobody_is_a_no_show_before_the_shift_starts(client: Client, shift: Shift) -> None:
    signup = signed_up(volunteer(), shift)
    client.force_login(organizer_of(shift.corner.event))
    page = text(act(client, signup, "no-show"))
    assert "only after the shift starts" in page
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CONFIRMED
    assert confirmed_count(shift) == 1


def test_an_organizer_can_cancel_a_sign_up(client: Client, shift: Shift) -> None:
    signup = signed_up(volunteer(), shift)
    client.force_login(organizer_of(shift.corner.event))
    act(client, signup, "cancel")
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CANCELLED
    assert confirmed_count(shift) == 0


def test_an_organizer_cancel_promotes_the_first_waitlisted_volunteer_both_are_told(
    client: Client, event: Event, django_capture_on_commit_callbacks
) -> None:
    full = ShiftFactory(corner=CornerFactory(event=event), capacity=1, min_volunteers=1)
    cancelled_user = volunteer()
    signup = signed_up(cancelled_user, full)
    waiting_user = volunteer()
    waiting = signed_up(waiting_user, full)
    client.force_login(organizer_of(event))
    with django_capture_on_commit_callbacks(execute=True):
        act(client, signup, "cancel")
    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.CONFIRMED
    assert confirmed_count(full) == 1
    told = {message.to[0]: message.subject for message in mail.outbox}
    assert len(mail.outbox) == 2
    assert "was cancelled" in told[cancelled_user.email]
    assert "A place opened" in told[waiting_user.email]


def test_cancelling_a_volunteer_already_checked_in_is_answered_with_a_page(
    client: Client, shift: Shift
) -> None:
    # Volunteers check in at the staging table before their shift starts, and until it starts
    # the roster still offers Cancel next to them.
    signup = signed_up(volunteer(), shift)
    services.signup_check_in(signup=signup, now=shift.starts_at)
    client.force_login(organizer_of(shift.corner.event))
    response = act(client, signup, "cancel")
    assert response.status_code == 200
    signup.refresh_from_db()
    assert (signup.status, signup.checked_in_at is None) in {
        (Signup.Status.CANCELLED, True),  # cancelled, and no longer counted as here
        (Signup.Status.CONFIRMED, False),  # or refused with a message
    }


def test_an_organizer_can_cancel_after_the_volunteers_online_cutoff(client: Client) -> None:
    now = timezone.now()
    event = published_event(
        starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=9)
    )
    soon = ShiftFactory(
        corner=CornerFactory(event=event),
        starts_at=now + dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=4),
    )
    signup = signed_up(volunteer(), soon)
    client.force_login(organizer_of(event))
    act(client, signup, "cancel")
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CANCELLED


def test_an_unknown_action_is_not_found(client: Client, shift: Shift) -> None:
    signup = signed_up(volunteer(), shift)
    client.force_login(organizer_of(shift.corner.event))
    url = reverse("volunteers:signup_action", args=[signup.pk, "delete"])
    assert client.post(url).status_code == 404
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CONFIRMED


def test_a_volunteer_cannot_check_anyone_in(client: Client, shift: Shift) -> None:
    signup = signed_up(volunteer(), shift)
    client.force_login(volunteer())
    url = reverse("volunteers:signup_action", args=[signup.pk, "check-in"])
    assert client.post(url).status_code == 403
    signup.refresh_from_db()
    assert signup.checked_in_at is None


# --- Auto-assign ------------------------------------------------------------------------------


def auto_assign(client: Client, event: Event, capture: Any) -> HttpResponse:
    """Ask for a run as the dashboard does, let its task run (eagerly, after the commit), and
    read the dashboard."""
    with capture(execute=True):
        client.post(reverse("volunteers:auto_assign", args=[event.slug]))
    return client.get(dashboard_url(event))


def test_auto_assign_places_the_volunteers_waiting_in_the_pool(
    client: Client, event: Event, django_capture_on_commit_callbacks: Any
) -> None:
    shift_at(CornerFactory(event=event), 9, capacity=4, min_volunteers=2)
    pooled = [volunteer(), volunteer()]
    for user in pooled:
        services.pool_join(
            user=user,
            event=event,
            available_from=at(8),
            available_until=at(14),
            preferred_city="",
            now=timezone.now(),
        )
    client.force_login(organizer_of(event))
    response = auto_assign(client, event, django_capture_on_commit_callbacks)
    assert "Placed 2 volunteers; 0 still waiting" in text(response)
    for user in pooled:
        entry = PoolEntry.objects.get(user=user, event=event)
        assert entry.status == PoolEntry.Status.PLACED
        assert entry.signup.status == Signup.Status.CONFIRMED
        assert entry.signup.source == Signup.Source.AUTO


def test_auto_assign_leaves_in_the_pool_a_volunteer_no_shift_fits(
    client: Client, event: Event, django_capture_on_commit_callbacks: Any
) -> None:
    shift_at(CornerFactory(event=event), 9)
    user = volunteer()
    services.pool_join(
        user=user,
        event=event,
        available_from=at(15),
        available_until=at(18),
        preferred_city="",
        now=timezone.now(),
    )
    client.force_login(organizer_of(event))
    response = auto_assign(client, event, django_capture_on_commit_callbacks)
    assert "Placed 0 volunteers; 1 still waiting" in text(response)
    assert PoolEntry.objects.get(user=user).status == PoolEntry.Status.WAITING


def test_auto_assign_fills_the_shift_furthest_below_its_minimum_first(
    client: Client, event: Event, django_capture_on_commit_callbacks: Any
) -> None:
    shift_at(CornerFactory(event=event, name="One Short"), 9, confirmed_count=1)
    emptiest = shift_at(CornerFactory(event=event, name="Empty"), 12, confirmed_count=0)
    user = volunteer()
    services.pool_join(
        user=user,
        event=event,
        available_from=at(8),
        available_until=at(16),
        preferred_city="",
        now=timezone.now(),
    )
    client.force_login(organizer_of(event))
    auto_assign(client, event, django_capture_on_commit_callbacks)
    assert Signup.objects.get(user=user).shift == emptiest


def test_auto_assign_prefers_the_volunteers_city_among_equally_needy_shifts(
    client: Client, event: Event, django_capture_on_commit_callbacks: Any
) -> None:
    shift_at(CornerFactory(event=event, city="Fresno"), 9)
    clovis = shift_at(CornerFactory(event=event, city="Clovis"), 12)
    user = volunteer()
    services.pool_join(
        user=user,
        event=event,
        available_from=at(8),
        available_until=at(16),
        preferred_city="Clovis",
        now=timezone.now(),
    )
    client.force_login(organizer_of(event))
    auto_assign(client, event, django_capture_on_commit_callbacks)
    assert Signup.objects.get(user=user).shift == clovis


# --- Planning shifts --------------------------------------------------------------------------


def test_bulk_create_makes_shifts_every_few_hours_between_two_times(
    client: Client, event: Event
) -> None:
    corner = CornerFactory(event=event)
    client.force_login(organizer_of(event))
    response = client.post(
        reverse("volunteers:shifts_bulk", args=[event.slug]),
        {
            "corner": corner.pk,
            "day": "2031-01-11",
            "first_start": "07:00",
            "last_end": "19:00",
            "length_hours": 3,
            "capacity": 4,
            "min_volunteers": 2,
        },
        follow=True,
    )
    assert "4 shifts created." in text(response)
    shifts = list(corner.shifts.order_by("starts_at"))
    assert [(s.starts_at, s.ends_at) for s in shifts] == [
        (at(7), at(10)),
        (at(10), at(13)),
        (at(13), at(16)),
        (at(16), at(19)),
    ]
    assert all(s.capacity == 4 and s.min_volunteers == 2 for s in shifts)


def test_creating_the_same_shifts_twice_adds_no_duplicates(client: Client, event: Event) -> None:
    corner = CornerFactory(event=event)
    client.force_login(organizer_of(event))
    form = {
        "corner": corner.pk,
        "day": "2031-01-11",
        "first_start": "07:00",
        "last_end": "19:00",
        "length_hours": 3,
        "capacity": 4,
        "min_volunteers": 2,
    }
    url = reverse("volunteers:shifts_bulk", args=[event.slug])
    client.post(url, form)
    response = client.post(url, form, follow=True)
    assert "0 shifts created." in text(response)
    assert corner.shifts.count() == 4


def test_copying_gives_another_corner_the_same_shifts(client: Client, event: Event) -> None:
    source, target = CornerFactory(event=event), CornerFactory(event=event)
    for hour in (7, 10, 13, 16):
        shift_at(source, hour, capacity=5, min_volunteers=3)
    client.force_login(organizer_of(event))
    response = client.post(
        reverse("volunteers:shifts_copy", args=[event.slug]),
        {"source": source.pk, "target": target.pk},
        follow=True,
    )
    assert "4 shifts created." in text(response)
    copies = list(target.shifts.order_by("starts_at"))
    assert [s.starts_at for s in copies] == [at(7), at(10), at(13), at(16)]
    assert all(s.capacity == 5 and s.min_volunteers == 3 for s in copies)


def test_copying_a_corners_shifts_onto_itself_is_refused(client: Client, event: Event) -> None:
    corner = CornerFactory(event=event)
    shift_at(corner, 7)
    client.force_login(organizer_of(event))
    response = client.post(
        reverse("volunteers:shifts_copy", args=[event.slug]),
        {"source": corner.pk, "target": corner.pk},
    )
    assert response.status_code == 200
    assert "only to another corner" in text(response)
    assert corner.shifts.count() == 1


def test_a_non_organizer_cannot_create_shifts(client: Client, event: Event) -> None:
    corner = CornerFactory(event=event)
    client.force_login(volunteer())
    response = client.post(
        reverse("volunteers:shifts_bulk", args=[event.slug]),
        {
            "corner": corner.pk,
            "day": "2031-01-11",
            "first_start": "07:00",
            "last_end": "19:00",
            "length_hours": 3,
            "capacity": 4,
            "min_volunteers": 2,
        },
    )
    assert response.status_code == 403
    assert not corner.shifts.exists()


# --- Buckets ----------------------------------------------------------------------------------


def checked_in(shift: Shift, count: int) -> list[User]:
    users = [volunteer() for _ in range(count)]
    for user in users:
        services.signup_check_in(signup=signed_up(user, shift), now=shift.starts_at)
    return users


def hand_out(client: Client, shift: Shift, bucket: object) -> HttpResponse:
    return client.post(
        reverse("volunteers:bucket_hand_out", args=[shift.pk]),
        {"bucket": bucket.pk},  # type: ignore[attr-defined]
        follow=True,
    )


def test_a_bucket_is_not_handed_to_fewer_than_the_minimum(client: Client, shift: Shift) -> None:
    checked_in(shift, 1)
    signed_up(volunteer(), shift)  # confirmed but not here yet
    bucket = BucketFactory(event=shift.corner.event)
    client.force_login(organizer_of(shift.corner.event))
    page = text(hand_out(client, shift, bucket))
    assert "Check in at least 2 volunteers of this shift first" in page
    assert not BucketAssignment.objects.exists()


def test_a_bucket_is_handed_to_the_checked_in_volunteers(client: Client, shift: Shift) -> None:
    here = checked_in(shift, 2)
    signed_up(volunteer(), shift)  # confirmed but not here yet
    bucket = BucketFactory(event=shift.corner.event, label="B-07")
    organizer = organizer_of(shift.corner.event)
    client.force_login(organizer)
    page = text(hand_out(client, shift, bucket))
    assert "Bucket B-07 handed out." in page
    assignment = BucketAssignment.objects.get(bucket=bucket)
    assert assignment.shift == shift
    assert assignment.handed_out_by == organizer
    assert assignment.returned_at is None
    assert set(assignment.holders.all()) == set(here)


def test_a_bucket_already_out_cannot_be_handed_out_again(client: Client, shift: Shift) -> None:
    checked_in(shift, 2)
    bucket = BucketFactory(event=shift.corner.event)
    client.force_login(organizer_of(shift.corner.event))
    hand_out(client, shift, bucket)
    page = text(hand_out(client, shift, bucket))
    assert "Choose a bucket that is not already out." in page
    assert BucketAssignment.objects.filter(bucket=bucket).count() == 1


def test_returning_a_bucket_checks_it_back_in(client: Client, shift: Shift) -> None:
    checked_in(shift, 2)
    bucket = BucketFactory(event=shift.corner.event, label="B-07")
    organizer = organizer_of(shift.corner.event)
    client.force_login(organizer)
    hand_out(client, shift, bucket)
    assignment = BucketAssignment.objects.get(bucket=bucket)
    response = client.post(reverse("volunteers:bucket_return", args=[assignment.pk]), follow=True)
    assert "Bucket B-07 checked back in." in text(response)
    assignment.refresh_from_db()
    assert assignment.returned_at is not None
    assert assignment.returned_by == organizer


def test_a_volunteer_cannot_return_a_bucket(client: Client, shift: Shift) -> None:
    checked_in(shift, 2)
    bucket = BucketFactory(event=shift.corner.event)
    assignment = services.bucket_hand_out(
        bucket=bucket, shift=shift, by=organizer_of(shift.corner.event), now=timezone.now()
    )
    client.force_login(volunteer())
    url = reverse("volunteers:bucket_return", args=[assignment.pk])
    assert client.post(url).status_code == 403
    assignment.refresh_from_db()
    assert assignment.returned_at is None
