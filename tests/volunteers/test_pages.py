"""Volunteer pages: the shift list, signing up and cancelling, my shifts, profile, calendars."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Event, Shift
from tests.factories import (
    CornerFactory,
    EventFactory,
    ShiftFactory,
    UserFactory,
    open_shift,
    published_event,
    volunteer,
)
from tests.support.volunteering import at, confirmed_count, shift_at, signed_up, text
from volunteers import services
from volunteers.models import PoolEntry, Profile, Signup, User, WaiverAcceptance

pytestmark = pytest.mark.django_db


def sign_up(client: Client, shift: Shift, **data: str) -> HttpResponse:
    return client.post(reverse("volunteers:shift_signup", args=[shift.pk]), data, follow=True)


def shift_list_url(event: Event, **query: str) -> str:
    url = reverse("volunteers:shift_list", args=[event.slug])
    return f"{url}?{urlencode(query)}" if query else url


# --- The shift list ---------------------------------------------------------------------------


def test_the_shift_list_groups_corners_by_city(client: Client) -> None:
    event = published_event()
    ShiftFactory(corner=CornerFactory(event=event, name="Shaw & First", city="Fresno"))
    ShiftFactory(corner=CornerFactory(event=event, name="Herndon & Fowler", city="Clovis"))
    page = text(client.get(shift_list_url(event)))
    clovis, fresno = (
        page.index('<h2 class="city">Clovis</h2>'),
        page.index('<h2 class="city">Fresno</h2>'),
    )
    assert clovis < page.index("Herndon &amp; Fowler") < fresno < page.index("Shaw &amp; First")


def test_the_shift_list_shows_the_places_left_on_each_shift(client: Client) -> None:
    event = published_event()
    ShiftFactory(corner=CornerFactory(event=event), capacity=4, confirmed_count=1)
    ShiftFactory(corner=CornerFactory(event=event), capacity=4, confirmed_count=3)
    ShiftFactory(corner=CornerFactory(event=event), capacity=2, confirmed_count=2)
    page = text(client.get(shift_list_url(event)))
    assert "3 places left" in page
    assert "1 place left" in page
    assert "Full" in page


def test_a_full_shift_offers_to_join_its_waitlist(client: Client) -> None:
    event = published_event()
    ShiftFactory(corner=CornerFactory(event=event), capacity=2, confirmed_count=2)
    client.force_login(volunteer())
    assert "Join waitlist" in text(client.get(shift_list_url(event)))


def test_the_shift_list_filters_by_city(client: Client) -> None:
    event = published_event()
    ShiftFactory(corner=CornerFactory(event=event, name="Shaw & First", city="Fresno"))
    ShiftFactory(corner=CornerFactory(event=event, name="Herndon & Fowler", city="Clovis"))
    page = text(client.get(shift_list_url(event, city="Clovis")))
    assert "Herndon &amp; Fowler" in page
    assert "Shaw &amp; First" not in page


@pytest.mark.parametrize(
    ("part", "shown"),
    [("morning", "Dawn Corner"), ("afternoon", "Noon Corner"), ("evening", "Dusk Corner")],
)
def test_the_shift_list_filters_by_local_time_of_day(client: Client, part: str, shown: str) -> None:
    # 9:00, 12:00 and 17:00 in Los Angeles are 17:00, 20:00 and 1:00 UTC: each part of the day
    # would pick a different corner if the filter read the hour in UTC.
    event = published_event()
    for name, hour in (("Dawn Corner", 9), ("Noon Corner", 12), ("Dusk Corner", 17)):
        shift_at(CornerFactory(event=event, name=name), hour)
    page = text(client.get(shift_list_url(event, part=part)))
    assert shown in page
    for name in {"Dawn Corner", "Noon Corner", "Dusk Corner"} - {shown}:
        assert name not in page


def test_the_shift_list_of_a_draft_event_is_not_found(client: Client) -> None:
    draft = EventFactory()
    ShiftFactory(corner=CornerFactory(event=draft))
    assert client.get(shift_list_url(draft)).status_code == 404


def test_the_shift_list_is_in_spanish_for_a_spanish_phone(client: Client) -> None:
    shift = open_shift()
    response = client.get(shift_list_url(shift.corner.event), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert '<html lang="es">' in text(response)


def test_the_shift_list_marks_the_shifts_the_volunteer_signed_up_for(client: Client) -> None:
    shift, user = open_shift(), volunteer()
    signed_up(user, shift)
    client.force_login(user)
    assert "You are signed up" in text(client.get(shift_list_url(shift.corner.event)))


def test_the_shift_list_speaks_spanish_to_a_spanish_phone(client: Client) -> None:
    shift = open_shift()
    page = text(client.get(shift_list_url(shift.corner.event), HTTP_ACCEPT_LANGUAGE="es"))
    assert "Pick a corner and a shift" not in page


# --- Signing up -------------------------------------------------------------------------------


def test_signing_up_without_a_profile_asks_for_the_profile_first(client: Client) -> None:
    shift = open_shift()
    client.force_login(UserFactory())
    url = reverse("volunteers:shift_signup", args=[shift.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('volunteers:profile')}?next={url}"


def test_the_sign_up_page_of_a_draft_event_is_not_found(client: Client) -> None:
    shift = ShiftFactory(corner=CornerFactory(event=EventFactory()))
    client.force_login(volunteer())
    assert client.get(reverse("volunteers:shift_signup", args=[shift.pk])).status_code == 404


def test_signing_up_confirms_a_place_on_the_shift(client: Client) -> None:
    shift, user = open_shift(), volunteer()
    client.force_login(user)
    sign_up(client, shift)
    assert Signup.objects.get(user=user, shift=shift).status == Signup.Status.CONFIRMED
    assert confirmed_count(shift) == 1


def test_after_signing_up_my_shifts_shows_the_confirmed_shift(client: Client) -> None:
    shift = open_shift()
    client.force_login(volunteer())
    response = sign_up(client, shift)
    assert response.redirect_chain[-1][0] == reverse("volunteers:my_shifts")
    page = text(response)
    assert "You are signed up. Thank you!" in page
    assert shift.corner.name.replace("&", "&amp;") in page
    assert "Confirmed" in page


def test_signing_up_for_a_full_shift_joins_its_waitlist(client: Client) -> None:
    shift = open_shift(capacity=1, min_volunteers=1)
    signed_up(volunteer(), shift)
    user = volunteer()
    client.force_login(user)
    sign_up(client, shift)
    assert Signup.objects.get(user=user, shift=shift).status == Signup.Status.WAITLISTED
    assert confirmed_count(shift) == 1


def test_my_shifts_shows_the_place_on_the_waitlist(client: Client) -> None:
    shift = open_shift(capacity=1, min_volunteers=1)
    signed_up(volunteer(), shift)
    client.force_login(volunteer())
    page = text(sign_up(client, shift))
    assert "you are number 1 on its waitlist" in page
    assert "Waitlist: number 1" in page


def test_the_sign_up_page_shows_the_waiver_to_accept(client: Client) -> None:
    shift = open_shift(waiver_text="I stand on the corner at my own risk.")
    client.force_login(volunteer())
    page = text(client.get(reverse("volunteers:shift_signup", args=[shift.pk])))
    assert "I stand on the corner at my own risk." in page
    assert 'name="accept_waiver"' in page


def test_signing_up_without_accepting_the_waiver_is_refused(client: Client) -> None:
    shift, user = open_shift(waiver_text="I stand on the corner at my own risk."), volunteer()
    client.force_login(user)
    response = sign_up(client, shift)
    assert response.status_code == 200
    assert "Please read and accept the volunteer waiver" in text(response)
    assert not Signup.objects.filter(user=user).exists()
    assert not WaiverAcceptance.objects.filter(user=user).exists()
    assert confirmed_count(shift) == 0


def test_accepting_the_waiver_records_its_version_and_signs_up(client: Client) -> None:
    shift, user = open_shift(waiver_text="At my own risk.", waiver_version=3), volunteer()
    client.force_login(user)
    sign_up(client, shift, accept_waiver="on")
    acceptance = WaiverAcceptance.objects.get(user=user, event=shift.corner.event)
    assert acceptance.version == 3
    assert Signup.objects.get(user=user, shift=shift).status == Signup.Status.CONFIRMED


def test_a_new_waiver_version_must_be_accepted_again(client: Client) -> None:
    shift, user = open_shift(waiver_text="At my own risk.", waiver_version=1), volunteer()
    event = shift.corner.event
    services.waiver_accept(user=user, event=event, now=timezone.now())
    event.waiver_text, event.waiver_version = "At my own risk, and I stay on the sidewalk.", 2
    event.save()
    client.force_login(user)
    page = text(sign_up(client, shift))
    assert "Please read and accept the volunteer waiver" in page
    assert "I stay on the sidewalk" in page
    assert not Signup.objects.filter(user=user).exists()


# --- Refusals: a clear message, and nothing changes -------------------------------------------


def assert_refused(client: Client, user: User, shift: Shift, message: str) -> None:
    client.force_login(user)
    response = sign_up(client, shift)
    assert response.redirect_chain[-1][0] == shift_list_url(shift.corner.event)
    assert message in text(response)
    assert not Signup.objects.filter(user=user, shift=shift).exists()
    assert confirmed_count(shift) == 0


def test_an_overlapping_shift_is_refused(client: Client) -> None:
    event = published_event()
    first = shift_at(CornerFactory(event=event, name="Shaw & First"), 7)
    overlapping = shift_at(CornerFactory(event=event), 9)
    user = volunteer()
    signed_up(user, first)
    assert_refused(client, user, overlapping, "This shift overlaps your shift at Shaw &amp; First")


def test_a_minor_without_guardian_consent_is_refused(client: Client) -> None:
    assert_refused(
        client,
        volunteer(age_band="16-17"),
        open_shift(),
        "Volunteers under 18 need a parent&#x27;s or guardian&#x27;s consent",
    )


def test_a_volunteer_under_16_is_refused(client: Client) -> None:
    assert_refused(
        client,
        volunteer(age_band="under-16"),
        open_shift(),
        "must be at least 16 years old",
    )


def test_an_event_for_adults_refuses_a_minor_even_with_consent(client: Client) -> None:
    minor = volunteer(
        age_band="16-17",
        guardian_name="Lupe Ramos",
        guardian_contact="559-555-0150",
        guardian_consent_on=dt.date(2030, 12, 1),
    )
    assert_refused(
        client, minor, open_shift(minimum_volunteer_age=18), "must be at least 18 years old"
    )


def test_a_minor_with_guardian_consent_can_sign_up(client: Client) -> None:
    shift = open_shift()
    minor = volunteer(
        age_band="16-17",
        guardian_name="Lupe Ramos",
        guardian_contact="559-555-0150",
        guardian_consent_on=dt.date(2030, 12, 1),
    )
    client.force_login(minor)
    sign_up(client, shift)
    assert Signup.objects.get(user=minor, shift=shift).status == Signup.Status.CONFIRMED


def test_more_consecutive_hours_than_the_event_allows_are_refused(client: Client) -> None:
    event = published_event()  # at most 6 hours in a row, the default
    corner = CornerFactory(event=event)
    user = volunteer()
    signed_up(user, shift_at(corner, 7))
    signed_up(user, shift_at(corner, 10))
    assert_refused(
        client,
        user,
        shift_at(corner, 13),
        "That would make 9 hours in a row; this pledge day allows at most 6.",
    )


def test_a_break_of_an_hour_starts_a_new_stretch_of_hours(client: Client) -> None:
    event = published_event()
    corner = CornerFactory(event=event)
    user = volunteer()
    signed_up(user, shift_at(corner, 7))
    signed_up(user, shift_at(corner, 10))
    after_break = shift_at(corner, 14)
    client.force_login(user)
    sign_up(client, after_break)
    assert Signup.objects.get(user=user, shift=after_break).status == Signup.Status.CONFIRMED


def test_signing_up_after_sign_up_closes_is_refused(client: Client) -> None:
    closed = timezone.now() - dt.timedelta(days=1)
    assert_refused(
        client,
        volunteer(),
        open_shift(signup_closes_at=closed),
        "Sign-up for this pledge day has closed.",
    )


def test_signing_up_for_a_shift_that_has_started_is_refused(client: Client) -> None:
    now = timezone.now()
    event = published_event(
        starts_at=now - dt.timedelta(hours=2), ends_at=now + dt.timedelta(hours=8)
    )
    started = ShiftFactory(
        corner=CornerFactory(event=event),
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=2),
    )
    assert_refused(client, volunteer(), started, "This shift has already started.")


def test_signing_up_twice_for_the_same_shift_is_refused(client: Client) -> None:
    shift, user = open_shift(), volunteer()
    signed_up(user, shift)
    client.force_login(user)
    page = text(sign_up(client, shift))
    assert "You are already signed up for this shift." in page
    assert Signup.objects.filter(user=user, shift=shift).count() == 1
    assert confirmed_count(shift) == 1


def test_signing_up_before_sign_up_opens_is_refused(client: Client) -> None:
    opens = timezone.now() + dt.timedelta(days=30)
    assert_refused(client, volunteer(), open_shift(signup_opens_at=opens), "Sign-up opens on")


# --- Cancelling -------------------------------------------------------------------------------


def cancel(client: Client, signup: Signup) -> HttpResponse:
    return client.post(reverse("volunteers:signup_cancel", args=[signup.pk]), follow=True)


def test_cancelling_from_my_shifts_frees_the_place(client: Client) -> None:
    shift, user = open_shift(), volunteer()
    signup = signed_up(user, shift)
    client.force_login(user)
    response = cancel(client, signup)
    assert "Your sign-up is cancelled." in text(response)
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CANCELLED
    assert confirmed_count(shift) == 0


def test_cancelling_gives_the_place_to_the_first_person_on_the_waitlist(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    shift = open_shift(capacity=1, min_volunteers=1)
    leaving = volunteer()
    signup = signed_up(leaving, shift)
    first_in_line = signed_up(volunteer(), shift)
    second_in_line = signed_up(volunteer(), shift)
    client.force_login(leaving)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(client, signup)
    first_in_line.refresh_from_db()
    second_in_line.refresh_from_db()
    assert first_in_line.status == Signup.Status.CONFIRMED
    assert second_in_line.status == Signup.Status.WAITLISTED
    assert confirmed_count(shift) == 1


def test_the_volunteer_promoted_from_the_waitlist_gets_an_email(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    shift = open_shift(capacity=1, min_volunteers=1)
    leaving = volunteer()
    signup = signed_up(leaving, shift)
    waiting = volunteer()
    signed_up(waiting, shift)
    client.force_login(leaving)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(client, signup)
    assert [message.to for message in mail.outbox] == [[waiting.email]]
    assert shift.corner.name in mail.outbox[0].subject


def test_a_sign_up_promoted_from_the_waitlist_is_marked_as_promoted(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    shift = open_shift(capacity=1, min_volunteers=1)
    leaving = volunteer()
    signup = signed_up(leaving, shift)
    waiting = signed_up(volunteer(), shift)
    client.force_login(leaving)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(client, signup)
    waiting.refresh_from_db()
    assert waiting.source == Signup.Source.PROMOTED


def test_leaving_the_waitlist_keeps_the_confirmed_places(client: Client) -> None:
    shift = open_shift(capacity=1, min_volunteers=1)
    signed_up(volunteer(), shift)
    user = volunteer()
    waiting = signed_up(user, shift)
    client.force_login(user)
    cancel(client, waiting)
    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.CANCELLED
    assert confirmed_count(shift) == 1


def shift_starting_in_an_hour() -> Shift:
    """A shift inside the cancellation cut-off, of a live day with a volunteer coordinator."""
    now = timezone.now()
    event = published_event(
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=10),
        volunteer_coordinator_name="Rosa",
        volunteer_coordinator_phone="559-555-0177",
    )
    return ShiftFactory(
        corner=CornerFactory(event=event),
        starts_at=now + dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=4),
    )


def test_cancelling_close_to_the_start_is_refused_with_the_coordinators_phone(
    client: Client,
) -> None:
    shift = shift_starting_in_an_hour()
    user = volunteer()
    signup = signed_up(user, shift)
    client.force_login(user)
    page = text(cancel(client, signup))
    assert "It is too late to cancel online" in page
    assert "559-555-0177" in page
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CONFIRMED
    assert confirmed_count(shift) == 1


def test_inside_the_cutoff_my_shifts_shows_whom_to_call_instead_of_cancel(
    client: Client,
) -> None:
    shift = shift_starting_in_an_hour()
    user = volunteer()
    signed_up(user, shift)
    client.force_login(user)
    page = text(client.get(reverse("volunteers:my_shifts")))
    assert "Cancel my shift" not in page
    assert "Please call Rosa" in page
    assert 'href="tel:+15595550177"' in page


def test_nobody_can_cancel_someone_elses_sign_up(client: Client) -> None:
    shift = open_shift()
    signup = signed_up(volunteer(), shift)
    client.force_login(volunteer())
    response = client.post(reverse("volunteers:signup_cancel", args=[signup.pk]))
    assert response.status_code == 404
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CONFIRMED
    assert confirmed_count(shift) == 1


# --- The profile ------------------------------------------------------------------------------


def profile_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "María López",
        "phone": "559-555-0123",
        "preferred_language": "es",
        "languages_spoken": ["en", "es"],
        "age_band": "18+",
        "emergency_contact_name": "José López",
        "emergency_contact_phone": "559-555-0124",
        "preferred_city": "Fresno",
        "guardian_name": "",
        "guardian_contact": "",
        "guardian_consent_on": "",
    }
    data.update(overrides)
    return data


def test_the_profile_page_saves_the_volunteer_profile(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("volunteers:profile"), profile_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("volunteers:my_shifts")
    profile = Profile.objects.get(user=user)
    assert profile.phone == "559-555-0123"
    assert profile.languages_spoken == ["en", "es"]
    assert profile.age_band == "18+"
    assert profile.emergency_contact_phone == "559-555-0124"
    assert profile.preferred_city == "Fresno"
    user.refresh_from_db()
    assert user.name == "María López"
    assert user.preferred_language == "es"


def test_the_profile_page_saves_a_minors_guardian_consent(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    client.post(
        reverse("volunteers:profile"),
        profile_data(
            age_band="16-17",
            guardian_name="Lupe Ramos",
            guardian_contact="559-555-0150",
            guardian_consent_on="2030-12-01",
        ),
    )
    profile = Profile.objects.get(user=user)
    assert profile.guardian_name == "Lupe Ramos"
    assert profile.guardian_consent_on == dt.date(2030, 12, 1)


def test_saving_the_profile_returns_to_the_shift_being_signed_up_for(client: Client) -> None:
    shift = open_shift()
    client.force_login(UserFactory())
    next_url = reverse("volunteers:shift_signup", args=[shift.pk])
    response = client.post(reverse("volunteers:profile"), profile_data(next=next_url))
    assert response["Location"] == next_url


def test_the_profile_page_never_sends_the_volunteer_to_another_site(client: Client) -> None:
    client.force_login(UserFactory())
    response = client.post(
        reverse("volunteers:profile"), profile_data(next="https://evil.example/")
    )
    assert response["Location"] == reverse("volunteers:my_shifts")


def test_the_profile_page_shows_the_saved_profile(client: Client) -> None:
    user = volunteer(phone="559-555-0199", preferred_city="Clovis")
    client.force_login(user)
    page = text(client.get(reverse("volunteers:profile")))
    assert 'value="559-555-0199"' in page
    assert 'value="Clovis"' in page


def test_the_profile_page_refuses_a_consent_date_without_the_guardian(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("volunteers:profile"),
        profile_data(age_band="16-17", guardian_consent_on="2030-12-01"),
    )
    assert response.status_code == 200
    assert "name and contact with the consent date" in text(response)
    assert not Profile.objects.filter(user=user).exists()


# --- Calendars --------------------------------------------------------------------------------


def test_one_sign_up_downloads_as_a_calendar_file(client: Client) -> None:
    shift, user = open_shift(), volunteer()
    signup = signed_up(user, shift)
    client.force_login(user)
    response = client.get(reverse("volunteers:signup_ics", args=[signup.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = text(response)
    assert shift.corner.name in body
    assert "DTSTART" in body


def test_the_calendar_file_defines_the_time_zone_of_its_times(client: Client) -> None:
    user = volunteer()
    signup = signed_up(user, open_shift())
    client.force_login(user)
    body = text(client.get(reverse("volunteers:signup_ics", args=[signup.pk])))
    assert "DTSTART;TZID=America/Los_Angeles:20310111T070000" in body
    assert "BEGIN:VTIMEZONE" in body
    assert "TZID:America/Los_Angeles" in body


def test_nobody_downloads_someone_elses_sign_up(client: Client) -> None:
    signup = signed_up(volunteer(), open_shift())
    client.force_login(volunteer())
    assert client.get(reverse("volunteers:signup_ics", args=[signup.pk])).status_code == 404


def test_the_personal_calendar_feed_works_without_signing_in(client: Client) -> None:
    shift, user = open_shift(), volunteer()
    signed_up(user, shift)
    token = Profile.objects.get(user=user).calendar_token
    response = client.get(reverse("volunteers:calendar_feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert shift.corner.name in text(response)


def test_the_calendar_feed_leaves_out_cancelled_sign_ups(client: Client) -> None:
    user = volunteer()
    dropped = signed_up(user, open_shift())
    services.signup_cancel(signup=dropped, now=timezone.now())
    kept = signed_up(user, open_shift())
    token = Profile.objects.get(user=user).calendar_token
    body = text(client.get(reverse("volunteers:calendar_feed", args=[token])))
    assert kept.shift.corner.name in body
    assert dropped.shift.corner.name not in body


def test_a_calendar_feed_with_an_unknown_token_is_not_found(client: Client) -> None:
    response = client.get(reverse("volunteers:calendar_feed", args=["no-such-token"]))
    assert response.status_code == 404


# --- The pool ---------------------------------------------------------------------------------


def test_i_can_stand_anywhere_puts_the_volunteer_in_the_pool(client: Client) -> None:
    shift, user = open_shift(), volunteer()
    event = shift.corner.event
    client.force_login(user)
    response = client.post(
        reverse("volunteers:pool_join", args=[event.slug]),
        {"available_from": "09:00", "available_until": "15:00", "preferred_city": ""},
    )
    assert response.status_code == 302
    entry = PoolEntry.objects.get(user=user, event=event)
    assert entry.status == PoolEntry.Status.WAITING
    assert entry.available_from == at(9)
    assert entry.available_until == at(15)


def test_joining_the_pool_after_sign_up_closes_is_refused(client: Client) -> None:
    shift = open_shift(signup_closes_at=timezone.now() - dt.timedelta(days=1))
    event, user = shift.corner.event, volunteer()
    client.force_login(user)
    response = client.post(
        reverse("volunteers:pool_join", args=[event.slug]),
        {"available_from": "07:00", "available_until": "19:00", "preferred_city": ""},
    )
    assert not PoolEntry.objects.filter(user=user).exists()
    assert "Sign-up for this pledge day has closed." in text(response)


def test_joining_the_pool_asks_for_the_profile_first(client: Client) -> None:
    event = open_shift().corner.event
    client.force_login(UserFactory())
    response = client.get(reverse("volunteers:pool_join", args=[event.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("volunteers:profile"))


def test_joining_the_pool_twice_is_refused(client: Client) -> None:
    event, user = open_shift().corner.event, volunteer()
    client.force_login(user)
    url = reverse("volunteers:pool_join", args=[event.slug])
    window = {"available_from": "09:00", "available_until": "15:00", "preferred_city": ""}
    client.post(url, window)
    response = client.post(url, window)
    assert response.status_code == 200
    assert "You are already in the pool for this pledge day." in text(response)
    assert PoolEntry.objects.filter(user=user, event=event).count() == 1


def test_my_shifts_lists_the_pool_the_volunteer_waits_in(client: Client) -> None:
    event, user = open_shift().corner.event, volunteer()
    services.pool_join(
        user=user,
        event=event,
        available_from=at(9),
        available_until=at(15),
        preferred_city="",
        now=timezone.now(),
    )
    client.force_login(user)
    page = text(client.get(reverse("volunteers:my_shifts")))
    assert "Waiting to be placed" in page
    assert event.title in page


def test_my_shifts_reads_a_constant_number_of_queries(
    client: Client, django_assert_max_num_queries
) -> None:
    user = volunteer()
    for day in range(6):
        start = at(7) + dt.timedelta(days=day + 1)
        shift = open_shift(
            capacity=1, min_volunteers=1, starts_at=start, ends_at=start + dt.timedelta(hours=12)
        )
        signed_up(volunteer(), shift)
        services.signup_create(user=user, shift=shift, now=timezone.now())  # waitlisted
    client.force_login(user)
    with django_assert_max_num_queries(12):
        page = text(client.get(reverse("volunteers:my_shifts")))
    assert page.count("number 1") == 6
