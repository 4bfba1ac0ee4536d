"""The sign-up rules, at the service layer: places, waitlists, refusals and their reasons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from events.models import Event, Shift
from tests.factories import CornerFactory, ShiftFactory, UserFactory, open_shift, volunteer
from volunteers import services
from volunteers.models import AgeBand, Signup, WaiverAcceptance

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def now_before(shift: Shift) -> dt.datetime:
    return shift.starts_at - dt.timedelta(days=10)


def sign_up(user, shift: Shift, **kwargs) -> Signup:
    return services.signup_create(user=user, shift=shift, now=now_before(shift), **kwargs)


def refusal(user, shift: Shift, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        sign_up(user, shift, **kwargs)
    return caught.value.code


def confirmed_count(shift: Shift) -> int:
    return Shift.objects.get(pk=shift.pk).confirmed_count


def later_shift(shift: Shift, *, hours_after_start: float, length: float = 3) -> Shift:
    start = shift.starts_at + dt.timedelta(hours=hours_after_start)
    return ShiftFactory(corner=shift.corner, starts_at=start, ends_at=start + length * H)


def test_signing_up_for_a_shift_with_room_confirms_and_counts() -> None:
    shift = open_shift(capacity=2)
    signup = sign_up(volunteer(), shift)
    assert signup.status == Signup.Status.CONFIRMED
    assert confirmed_count(shift) == 1


def test_signing_up_for_a_full_shift_waitlists_in_order() -> None:
    shift = open_shift(capacity=1, min_volunteers=1)
    sign_up(volunteer(), shift)
    first, second = sign_up(volunteer(), shift), sign_up(volunteer(), shift)
    assert first.status == second.status == Signup.Status.WAITLISTED
    assert services.waitlist_position(first) == 1
    assert services.waitlist_position(second) == 2
    assert confirmed_count(shift) == 1


def test_the_same_volunteer_cannot_take_two_places_on_one_shift() -> None:
    shift, person = open_shift(), volunteer()
    sign_up(person, shift)
    assert refusal(person, shift) == "already"
    assert confirmed_count(shift) == 1


def test_overlapping_shifts_are_refused() -> None:
    shift, person = open_shift(), volunteer()
    sign_up(person, shift)
    other_corner = ShiftFactory(
        corner=CornerFactory(event=shift.corner.event),
        starts_at=shift.starts_at + H,
        ends_at=shift.ends_at + H,
    )
    assert refusal(person, other_corner) == "overlap"


def test_a_shift_that_has_started_is_refused() -> None:
    shift = open_shift()
    with pytest.raises(ValidationError) as caught:
        services.signup_create(user=volunteer(), shift=shift, now=shift.starts_at)
    assert caught.value.code == "started"


def test_sign_up_outside_the_event_window_is_refused() -> None:
    shift = open_shift()
    Event.objects.filter(pk=shift.corner.event_id).update(
        signup_opens_at=now_before(shift) + H, signup_closes_at=now_before(shift) + 2 * H
    )
    assert refusal(volunteer(), shift) == "not_yet_open"
    with pytest.raises(ValidationError) as caught:
        services.signup_create(user=volunteer(), shift=shift, now=now_before(shift) + 3 * H)
    assert caught.value.code == "closed"


def test_a_draft_event_is_not_open() -> None:
    shift = ShiftFactory()  # its event is a draft
    assert refusal(volunteer(), shift) == "not_open"


def test_a_volunteer_without_a_profile_is_asked_for_one() -> None:
    assert refusal(UserFactory(), open_shift()) == "profile_missing"


def test_under_16_cannot_take_a_corner_shift() -> None:
    assert refusal(volunteer(age_band=AgeBand.CHILD), open_shift()) == "too_young"


def test_a_minor_needs_guardian_consent_before_a_shift_is_confirmed() -> None:
    shift = open_shift()
    assert refusal(volunteer(age_band=AgeBand.MINOR), shift) == "guardian_consent"
    with_consent = volunteer(
        age_band=AgeBand.MINOR,
        guardian_name="Rosa",
        guardian_contact="559-555-0100",
        guardian_consent_on=dt.date(2030, 12, 1),
    )
    assert sign_up(with_consent, shift).status == Signup.Status.CONFIRMED


def test_an_event_can_require_adults_only() -> None:
    shift = open_shift(minimum_volunteer_age=18)
    minor = volunteer(
        age_band=AgeBand.MINOR,
        guardian_name="Rosa",
        guardian_contact="559-555-0100",
        guardian_consent_on=dt.date(2030, 12, 1),
    )
    assert refusal(minor, shift) == "too_young"


def test_the_waiver_must_be_accepted_once_per_version() -> None:
    shift = open_shift(waiver_text="Stay on the sidewalk.", waiver_version=3)
    person = volunteer()
    assert refusal(person, shift) == "waiver"
    sign_up(person, shift, accept_waiver=True)
    acceptance = WaiverAcceptance.objects.get(user=person, event=shift.corner.event)
    assert acceptance.version == 3
    assert acceptance.accepted_at == now_before(shift)
    # A second shift of the same event needs no new acceptance.
    assert sign_up(person, later_shift(shift, hours_after_start=4)).status == "confirmed"


def test_more_consecutive_hours_than_allowed_are_refused() -> None:
    first = open_shift(max_consecutive_hours=6)
    person = volunteer()
    sign_up(person, first)
    sign_up(person, later_shift(first, hours_after_start=3))
    third = later_shift(first, hours_after_start=6)
    assert refusal(person, third) == "too_long"


def test_a_break_of_an_hour_resets_the_consecutive_hours() -> None:
    first = open_shift(max_consecutive_hours=6)
    person = volunteer()
    sign_up(person, first)
    sign_up(person, later_shift(first, hours_after_start=3))
    assert sign_up(person, later_shift(first, hours_after_start=7)).status == "confirmed"


def test_a_shift_between_two_others_counts_the_whole_stretch() -> None:
    first = open_shift(max_consecutive_hours=8)
    person = volunteer()
    sign_up(person, first)
    sign_up(person, later_shift(first, hours_after_start=6))
    assert refusal(person, later_shift(first, hours_after_start=3)) == "too_long"


# --- Cancelling and the waitlist ------------------------------------------------------------


def test_cancelling_a_confirmed_place_promotes_the_first_in_line() -> None:
    shift = open_shift(capacity=1, min_volunteers=1)
    holder = sign_up(volunteer(), shift)
    first, second = sign_up(volunteer(), shift), sign_up(volunteer(), shift)
    cancelled, promoted = services.signup_cancel(signup=holder, now=now_before(shift))
    assert cancelled.status == Signup.Status.CANCELLED
    assert promoted is not None
    assert promoted.pk == first.pk
    assert Signup.objects.get(pk=first.pk).status == Signup.Status.CONFIRMED
    assert services.waitlist_position(Signup.objects.get(pk=second.pk)) == 1
    assert confirmed_count(shift) == 1


def test_leaving_the_waitlist_promotes_nobody() -> None:
    shift = open_shift(capacity=1, min_volunteers=1)
    sign_up(volunteer(), shift)
    waiting = sign_up(volunteer(), shift)
    _cancelled, promoted = services.signup_cancel(signup=waiting, now=now_before(shift))
    assert promoted is None
    assert confirmed_count(shift) == 1


def test_cancelling_with_nobody_waiting_frees_the_place() -> None:
    shift = open_shift()
    signup = sign_up(volunteer(), shift)
    services.signup_cancel(signup=signup, now=now_before(shift))
    assert confirmed_count(shift) == 0


def test_a_late_cancellation_is_refused_and_names_whom_to_call() -> None:
    shift = open_shift(
        cancellation_cutoff_hours=3,
        volunteer_coordinator_name="Olivia",
        volunteer_coordinator_phone="559-555-0110",
    )
    signup = sign_up(volunteer(), shift)
    with pytest.raises(ValidationError) as caught:
        services.signup_cancel(signup=signup, now=shift.starts_at - 2 * H)
    assert caught.value.code == "too_late"
    assert "559-555-0110" in caught.value.messages[0]
    assert Signup.objects.get(pk=signup.pk).status == Signup.Status.CONFIRMED


def test_an_organizer_may_cancel_late() -> None:
    shift = open_shift(cancellation_cutoff_hours=3)
    signup = sign_up(volunteer(), shift)
    services.signup_cancel(signup=signup, now=shift.starts_at - H, by_organizer=True)
    assert confirmed_count(shift) == 0


def test_cancelling_twice_is_refused() -> None:
    shift = open_shift()
    signup = sign_up(volunteer(), shift)
    services.signup_cancel(signup=signup, now=now_before(shift))
    with pytest.raises(ValidationError):
        services.signup_cancel(signup=signup, now=now_before(shift))
    assert confirmed_count(shift) == 0


def test_a_volunteer_can_sign_up_again_after_cancelling() -> None:
    shift, person = open_shift(), volunteer()
    services.signup_cancel(signup=sign_up(person, shift), now=now_before(shift))
    assert sign_up(person, shift).status == Signup.Status.CONFIRMED


def test_promotion_emails_the_promoted_volunteer_once_in_their_language(mailoutbox) -> None:
    from notices import services as notices

    shift = open_shift(capacity=1, min_volunteers=1)
    holder = sign_up(volunteer(), shift)
    waiting_person = volunteer()
    waiting_person.preferred_language = "es"
    waiting_person.save()
    waiting = sign_up(waiting_person, shift)
    now = now_before(shift)
    services.signup_cancel(signup=holder, now=now)
    assert [notices.notice_send(notice_id=pk, now=now) for pk in notices.notices_due(now=now)] == [
        "sent"
    ]
    assert [m.to for m in mailoutbox] == [[waiting_person.email]]
    assert "Se abrió un lugar: estás en" in mailoutbox[0].subject
    assert "&amp;" not in mailoutbox[0].subject + mailoutbox[0].body

    from volunteers.tasks import signup_promoted_notify

    assert signup_promoted_notify(waiting.pk) is False  # a retry sends nothing more
    assert notices.notices_due(now=now) == []
    assert len(mailoutbox) == 1


# --- Check-in, no-shows and buckets ---------------------------------------------------------


def test_check_in_and_out_are_recorded_once() -> None:
    shift = open_shift()
    signup = sign_up(volunteer(), shift)
    first = services.signup_check_in(signup=signup, now=shift.starts_at)
    again = services.signup_check_in(signup=signup, now=shift.starts_at + H)
    assert first.checked_in_at == again.checked_in_at == shift.starts_at
    out = services.signup_check_out(signup=signup, now=shift.ends_at)
    assert out.checked_out_at == shift.ends_at


def test_check_out_without_check_in_is_refused() -> None:
    shift = open_shift()
    signup = sign_up(volunteer(), shift)
    with pytest.raises(ValidationError):
        services.signup_check_out(signup=signup, now=shift.ends_at)


def test_a_no_show_is_marked_only_after_the_start_and_frees_the_count() -> None:
    shift = open_shift()
    signup = sign_up(volunteer(), shift)
    with pytest.raises(ValidationError):
        services.signup_mark_no_show(signup=signup, now=shift.starts_at - H)
    services.signup_mark_no_show(signup=signup, now=shift.starts_at + H)
    assert Signup.objects.get(pk=signup.pk).status == Signup.Status.NO_SHOW
    assert confirmed_count(shift) == 0


def test_a_checked_in_volunteer_is_not_a_no_show() -> None:
    shift = open_shift()
    signup = sign_up(volunteer(), shift)
    services.signup_check_in(signup=signup, now=shift.starts_at)
    with pytest.raises(ValidationError):
        services.signup_mark_no_show(signup=signup, now=shift.starts_at + H)


def test_the_confirmed_count_always_equals_the_confirmed_sign_ups() -> None:
    shift = open_shift(capacity=3, min_volunteers=1)
    signups = [sign_up(volunteer(), shift) for _ in range(5)]
    services.signup_cancel(signup=signups[0], now=now_before(shift))
    services.signup_cancel(signup=signups[3], now=now_before(shift))
    services.signup_mark_no_show(signup=Signup.objects.get(pk=signups[1].pk), now=shift.starts_at)
    actual = Signup.objects.filter(shift=shift, status=Signup.Status.CONFIRMED).count()
    assert confirmed_count(shift) == actual == 2
