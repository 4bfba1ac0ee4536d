"""Changing a shift's capacity and buddy minimum: the service and the organizer page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Event, Membership, Shift
from tests.factories import (
    CornerFactory,
    MembershipFactory,
    ShiftFactory,
    published_event,
    volunteer,
)
from tests.support.volunteering import at, confirmed_count, signed_up, text
from volunteers import services
from volunteers.models import Signup, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_shift() -> Shift:
    """Capacity 2, both places taken, three people waiting (in this order)."""
    shift = ShiftFactory(
        corner=CornerFactory(event=published_event()), capacity=2, min_volunteers=1
    )
    for _ in range(5):
        signed_up(volunteer(), shift)
    return shift


def waiting_in_order(shift: Shift) -> list[Signup]:
    return list(shift.signups.filter(status=Signup.Status.WAITLISTED).order_by("created_at", "id"))


def statuses(signups: list[Signup]) -> list[str]:
    return [Signup.objects.get(pk=s.pk).status for s in signups]


def update(shift: Shift, **values: object) -> tuple[Shift, list[Signup]]:
    values.setdefault("capacity", shift.capacity)
    values.setdefault("min_volunteers", shift.min_volunteers)
    return services.shift_update(shift=shift, now=timezone.now(), **values)  # type: ignore[arg-type]


# --- The service ------------------------------------------------------------------------------


def test_raising_the_capacity_promotes_the_waitlist_in_order(full_shift: Shift) -> None:
    first, second, third = waiting_in_order(full_shift)
    shift, promoted = update(full_shift, capacity=4)
    assert [s.pk for s in promoted] == [first.pk, second.pk]
    assert statuses([first, second, third]) == ["confirmed", "confirmed", "waitlisted"]
    assert shift.confirmed_count == confirmed_count(full_shift) == 4
    assert Signup.objects.get(pk=first.pk).source == Signup.Source.PROMOTED


def test_after_a_raise_a_newcomer_queues_behind_the_people_waiting(full_shift: Shift) -> None:
    waiting = waiting_in_order(full_shift)
    update(full_shift, capacity=3)
    newcomer = signed_up(volunteer(), full_shift)
    assert newcomer.status == Signup.Status.WAITLISTED
    assert statuses(waiting) == ["confirmed", "waitlisted", "waitlisted"]


def test_raising_the_capacity_beyond_the_waitlist_leaves_places_free(full_shift: Shift) -> None:
    shift, promoted = update(full_shift, capacity=10)
    assert len(promoted) == 3
    assert shift.confirmed_count == 5
    assert shift.places_left == 5


def test_the_people_promoted_by_a_raise_are_emailed_once_each(
    full_shift: Shift, django_capture_on_commit_callbacks
) -> None:
    first, second, _third = waiting_in_order(full_shift)
    with django_capture_on_commit_callbacks(execute=True):
        update(full_shift, capacity=4)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.user.email, second.user.email])


def test_the_capacity_cannot_fall_below_the_confirmed_volunteers(full_shift: Shift) -> None:
    with pytest.raises(ValidationError) as refused:
        update(full_shift, capacity=1)
    assert refused.value.code == "below_confirmed"
    assert "2 volunteers are already confirmed" in refused.value.messages[0]
    full_shift.refresh_from_db()
    assert (full_shift.capacity, full_shift.confirmed_count) == (2, 2)


def test_the_capacity_can_fall_to_the_confirmed_volunteers(full_shift: Shift) -> None:
    update(full_shift, capacity=5)  # all five confirmed now
    shift, promoted = update(full_shift, capacity=5, min_volunteers=3)
    assert (shift.capacity, shift.min_volunteers, promoted) == (5, 3, [])


def test_the_minimum_cannot_exceed_the_capacity(full_shift: Shift) -> None:
    with pytest.raises(ValidationError) as refused:
        update(full_shift, min_volunteers=3)
    assert refused.value.code == "minimum"
    full_shift.refresh_from_db()
    assert full_shift.min_volunteers == 1


def test_a_raise_after_the_shift_started_promotes_nobody(full_shift: Shift) -> None:
    waiting = waiting_in_order(full_shift)
    _shift, promoted = services.shift_update(
        shift=full_shift,
        capacity=5,
        min_volunteers=1,
        now=full_shift.starts_at + dt.timedelta(minutes=5),
    )
    assert promoted == []
    assert statuses(waiting) == ["waitlisted"] * 3


def test_the_times_of_a_shift_someone_checked_in_for_cannot_change(full_shift: Shift) -> None:
    Signup.objects.filter(shift=full_shift, status=Signup.Status.CONFIRMED).update(
        checked_in_at=at(6)
    )
    with pytest.raises(ValidationError) as refused:
        update(full_shift, starts_at=at(8), ends_at=at(11))
    assert refused.value.code == "checked_in"
    full_shift.refresh_from_db()
    assert full_shift.starts_at == at(7)


def test_the_times_of_a_shift_with_volunteers_change_and_their_places_stay(
    full_shift: Shift,
) -> None:
    before = statuses(list(Signup.objects.filter(shift=full_shift).order_by("pk")))
    moved, _promoted = update(full_shift, starts_at=at(8), ends_at=at(11))
    assert (moved.starts_at, moved.confirmed_count) == (at(8), confirmed_count(full_shift))
    assert statuses(list(Signup.objects.filter(shift=full_shift).order_by("pk"))) == before


def test_the_times_of_an_empty_shift_can_change() -> None:
    shift = ShiftFactory(corner=CornerFactory(event=published_event()))
    moved, _promoted = update(shift, starts_at=at(8), ends_at=at(11))
    assert (moved.starts_at, moved.ends_at) == (at(8), at(11))


def test_a_shift_cannot_move_onto_another_at_the_same_corner_and_times() -> None:
    corner = CornerFactory(event=published_event())
    ShiftFactory(corner=corner, starts_at=at(10), ends_at=at(13))
    shift = ShiftFactory(corner=corner, starts_at=at(7), ends_at=at(10))
    with pytest.raises(ValidationError) as refused:
        update(shift, starts_at=at(10), ends_at=at(13))
    assert refused.value.code == "duplicate"


def test_creating_a_shift_checks_its_values() -> None:
    corner = CornerFactory(event=published_event())
    with pytest.raises(ValidationError) as refused:
        services.shift_create(
            corner=corner, starts_at=at(10), ends_at=at(9), capacity=4, min_volunteers=2
        )
    assert refused.value.code == "order"
    shift = services.shift_create(
        corner=corner, starts_at=at(9), ends_at=at(12), capacity=4, min_volunteers=2
    )
    assert (shift.capacity, shift.confirmed_count) == (4, 0)


def test_a_shift_someone_signed_up_for_cannot_be_deleted(full_shift: Shift) -> None:
    with pytest.raises(ValidationError):
        services.shift_delete(shift=full_shift)
    assert Shift.objects.filter(pk=full_shift.pk).exists()


def test_a_shift_nobody_signed_up_for_can_be_deleted() -> None:
    shift = ShiftFactory(corner=CornerFactory(event=published_event()))
    services.shift_delete(shift=shift)
    assert not Shift.objects.filter(pk=shift.pk).exists()


# --- The organizer page -----------------------------------------------------------------------


def organizer_of(event: Event) -> User:
    return MembershipFactory(event=event, role=Membership.Role.ORGANIZER).user


def edit_url(shift: Shift) -> str:
    return reverse("volunteers:shift_edit", args=[shift.pk])


def test_the_roster_links_to_the_capacity_page(client: Client, full_shift: Shift) -> None:
    client.force_login(organizer_of(full_shift.corner.event))
    page = text(client.get(reverse("volunteers:organize_shift", args=[full_shift.pk])))
    assert edit_url(full_shift) in page


def test_the_capacity_page_says_who_is_waiting(client: Client, full_shift: Shift) -> None:
    client.force_login(organizer_of(full_shift.corner.event))
    page = text(client.get(edit_url(full_shift)))
    assert "2 volunteers are confirmed." in page
    assert "3 are waiting for a place" in page
    assert 'value="2"' in page


def test_raising_the_capacity_on_the_page_promotes_the_waitlist(
    client: Client, full_shift: Shift
) -> None:
    first, second, third = waiting_in_order(full_shift)
    client.force_login(organizer_of(full_shift.corner.event))
    response = client.post(edit_url(full_shift), {"capacity": 4, "min_volunteers": 2}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "volunteers:organize_shift", args=[full_shift.pk]
    )
    assert "2 volunteers moved up from the waitlist and will be emailed." in text(response)
    assert statuses([first, second, third]) == ["confirmed", "confirmed", "waitlisted"]
    full_shift.refresh_from_db()
    assert (full_shift.capacity, full_shift.min_volunteers, full_shift.confirmed_count) == (4, 2, 4)
    newcomer = signed_up(volunteer(), full_shift)
    assert newcomer.status == Signup.Status.WAITLISTED


def test_lowering_the_capacity_below_the_confirmed_is_refused_on_the_page(
    client: Client, full_shift: Shift
) -> None:
    client.force_login(organizer_of(full_shift.corner.event))
    response = client.post(edit_url(full_shift), {"capacity": 1, "min_volunteers": 1})
    assert response.status_code == 200
    assert "2 volunteers are already confirmed" in text(response)
    full_shift.refresh_from_db()
    assert full_shift.capacity == 2


def test_a_minimum_above_the_capacity_is_refused_on_the_page(
    client: Client, full_shift: Shift
) -> None:
    client.force_login(organizer_of(full_shift.corner.event))
    response = client.post(edit_url(full_shift), {"capacity": 2, "min_volunteers": 3})
    assert response.status_code == 200
    assert "no more than the capacity" in text(response)


def test_a_volunteer_cannot_change_a_shifts_capacity(client: Client, full_shift: Shift) -> None:
    client.force_login(volunteer())
    response = client.post(edit_url(full_shift), {"capacity": 10, "min_volunteers": 1})
    assert response.status_code == 403
    assert confirmed_count(full_shift) == 2
    assert full_shift.capacity == 2
