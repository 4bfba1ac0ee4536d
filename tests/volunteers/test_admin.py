"""The admin of corners and shifts goes through the volunteer services: it never writes a
confirmed count, and it promotes the waitlist like the pages. Rows the site owns are read-only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Corner, Shift
from notices.models import Notice
from tests.factories import (
    BucketFactory,
    CornerFactory,
    ShiftFactory,
    UserFactory,
    published_event,
    volunteer,
)
from tests.support.volunteering import at, confirmed_count, signed_up, text
from volunteers import services
from volunteers.models import BucketAssignment, PoolEntry, Signup

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def shift() -> Shift:
    """07:00-10:00 on the factories' day, capacity 2, minimum 1, nobody signed up."""
    return ShiftFactory(corner=CornerFactory(event=published_event()), capacity=2, min_volunteers=1)


def shift_form(shift: Shift, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "corner": shift.corner_id,
        "starts_at_0": "2031-01-11",
        "starts_at_1": "07:00:00",
        "ends_at_0": "2031-01-11",
        "ends_at_1": "10:00:00",
        "capacity": shift.capacity,
        "min_volunteers": shift.min_volunteers,
    }
    data.update(changes)
    return data


def change_url(shift: Shift) -> str:
    return reverse("admin:events_shift_change", args=[shift.pk])


def confirmed_signups(shift: Shift) -> int:
    return Signup.objects.filter(shift=shift, status=Signup.Status.CONFIRMED).count()


def after(model_admin: Any, method: str, monkeypatch: pytest.MonkeyPatch, also: Callable) -> None:
    """Run `also` right after the admin's `method`: a sign-up committed by someone else while
    the admin page was being saved."""
    original = getattr(model_admin, method)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        also()
        return result

    monkeypatch.setattr(model_admin, method, wrapped)


# --- Counts are never written by the admin ------------------------------------------------------


def test_saving_a_shift_keeps_a_sign_up_made_after_the_admin_loaded_it(
    admin_client: Client, shift: Shift, monkeypatch: pytest.MonkeyPatch
) -> None:
    after(
        admin.site._registry[Shift],
        "get_object",
        monkeypatch,
        lambda: signed_up(volunteer(), shift),
    )
    response = admin_client.post(change_url(shift), shift_form(shift, capacity=3))
    assert response.status_code == 302, text(response)[:2000]
    assert confirmed_signups(shift) == 1
    assert confirmed_count(shift) == 1
    assert shift.capacity == 3


def test_lowering_the_capacity_sees_a_sign_up_made_after_the_admin_loaded_the_shift(
    admin_client: Client, shift: Shift, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_up(volunteer(), shift)
    after(
        admin.site._registry[Shift],
        "get_object",
        monkeypatch,
        lambda: signed_up(volunteer(), shift),
    )
    response = admin_client.post(change_url(shift), shift_form(shift, capacity=1))
    assert response.status_code == 200
    assert "2 volunteers are already confirmed" in text(response)
    assert (confirmed_count(shift), shift.capacity) == (2, 2)
    assert confirmed_signups(shift) == 2


def test_a_refusal_only_the_lock_sees_is_a_message_and_nothing_is_saved(
    admin_client: Client, shift: Shift, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_up(volunteer(), shift)
    # Someone signs up after the form was checked, before the save takes the shift's lock.
    after(
        admin.site._registry[Shift], "save_form", monkeypatch, lambda: signed_up(volunteer(), shift)
    )
    response = admin_client.post(change_url(shift), shift_form(shift, capacity=1), follow=True)
    assert response.status_code == 200
    assert "2 volunteers are already confirmed" in text(response)
    # The page rolled back as a whole (here that includes the simulated sign-up).
    assert (confirmed_count(shift), shift.capacity) == (confirmed_signups(shift), 2)


def test_raising_the_capacity_in_the_admin_promotes_the_waitlist(
    admin_client: Client, shift: Shift
) -> None:
    for _ in range(2):
        signed_up(volunteer(), shift)
    waiting = signed_up(volunteer(), shift)
    assert waiting.status == Signup.Status.WAITLISTED
    response = admin_client.post(change_url(shift), shift_form(shift, capacity=3), follow=True)
    assert "1 volunteer moved up from the waitlist and will be emailed." in text(response)
    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.CONFIRMED
    assert confirmed_count(shift) == 3
    newcomer = signed_up(volunteer(), shift)
    assert newcomer.status == Signup.Status.WAITLISTED


def test_adding_a_shift_in_the_admin_goes_through_the_service(
    admin_client: Client, shift: Shift
) -> None:
    data = shift_form(shift, starts_at_1="10:00:00", ends_at_1="13:00:00", capacity=5)
    response = admin_client.post(reverse("admin:events_shift_add"), data)
    assert response.status_code == 302, text(response)[:2000]
    added = Shift.objects.get(corner=shift.corner, starts_at=at(10))
    assert (added.capacity, added.confirmed_count) == (5, 0)


def test_a_shift_ending_before_it_starts_is_a_form_error(
    admin_client: Client, shift: Shift
) -> None:
    data = shift_form(shift, starts_at_1="10:00:00", ends_at_1="09:00:00")
    response = admin_client.post(reverse("admin:events_shift_add"), data)
    assert response.status_code == 200
    assert "A shift must end after it starts." in text(response)
    assert Shift.objects.count() == 1


def test_moving_a_shift_with_volunteers_keeps_them_and_tells_them(
    admin_client: Client, shift: Shift
) -> None:
    person = volunteer()
    signed_up(person, shift)
    data = shift_form(shift, starts_at_1="08:00:00", ends_at_1="11:00:00")
    response = admin_client.post(change_url(shift), data)
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.starts_at == at(8)
    notice = Notice.objects.get(user=person, kind=Notice.Kind.CHANGED)
    assert notice.detail["was"]["starts_at"] == at(7).astimezone(dt.UTC).isoformat()


def test_moving_a_shift_someone_checked_in_for_is_a_form_error(
    admin_client: Client, shift: Shift
) -> None:
    signup = signed_up(volunteer(), shift)
    Signup.objects.filter(pk=signup.pk).update(checked_in_at=at(6))
    data = shift_form(shift, starts_at_1="08:00:00", ends_at_1="11:00:00")
    response = admin_client.post(change_url(shift), data)
    assert response.status_code == 200
    assert "so its corner and times cannot change" in text(response)
    shift.refresh_from_db()
    assert shift.starts_at == at(7)


def test_a_shift_with_sign_ups_is_not_deleted_from_the_admin(
    admin_client: Client, shift: Shift
) -> None:
    signed_up(volunteer(), shift)
    url = reverse("admin:events_shift_delete", args=[shift.pk])
    admin_client.post(url, {"post": "yes"})
    assert Shift.objects.filter(pk=shift.pk).exists()


def test_an_empty_shift_is_deleted_from_the_admin(admin_client: Client, shift: Shift) -> None:
    url = reverse("admin:events_shift_delete", args=[shift.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Shift.objects.filter(pk=shift.pk).exists()


def test_the_shift_list_offers_no_bulk_delete(admin_client: Client, shift: Shift) -> None:
    page = text(admin_client.get(reverse("admin:events_shift_changelist")))
    assert "delete_selected" not in page


# --- The shifts inline of a corner --------------------------------------------------------------


def corner_form(corner: Corner, shifts: list[Shift], new: list[dict[str, object]] = ()) -> dict:  # type: ignore[assignment]
    data: dict[str, object] = {
        "event": corner.event_id,
        "name": corner.name,
        "city": corner.city,
        "address": corner.address,
        "latitude": "",
        "longitude": "",
        "safety_notes": corner.safety_notes,
        "shifts-TOTAL_FORMS": len(shifts) + len(new),
        "shifts-INITIAL_FORMS": len(shifts),
        "shifts-MIN_NUM_FORMS": 0,
        "shifts-MAX_NUM_FORMS": 1000,
    }
    rows = [
        {
            "id": s.pk,
            "corner": corner.pk,
            "starts_at_0": "2031-01-11",
            "starts_at_1": s.starts_at.astimezone(corner.event.tzinfo).strftime("%H:%M:%S"),
            "ends_at_0": "2031-01-11",
            "ends_at_1": s.ends_at.astimezone(corner.event.tzinfo).strftime("%H:%M:%S"),
            "capacity": s.capacity,
            "min_volunteers": s.min_volunteers,
        }
        for s in shifts
    ]
    rows += [{"corner": corner.pk, **row} for row in new]
    for i, row in enumerate(rows):
        data.update({f"shifts-{i}-{key}": value for key, value in row.items()})
    return data


def corner_url(corner: Corner) -> str:
    return reverse("admin:events_corner_change", args=[corner.pk])


def test_saving_a_corner_keeps_the_counts_of_its_shifts(
    admin_client: Client, shift: Shift, monkeypatch: pytest.MonkeyPatch
) -> None:
    corner = shift.corner
    data = corner_form(corner, [shift])
    data["name"] = "Blackstone & Shaw"
    data["shifts-0-capacity"] = 3
    # The inline read the shift with nobody on it; someone signs up before it is saved.
    after(
        admin.site._registry[Corner],
        "save_model",
        monkeypatch,
        lambda: signed_up(volunteer(), shift),
    )
    response = admin_client.post(corner_url(corner), data)
    assert response.status_code == 302, text(response)[:3000]
    assert confirmed_count(shift) == confirmed_signups(shift) == 1
    assert shift.capacity == 3


def test_raising_a_capacity_in_the_corner_inline_promotes_the_waitlist(
    admin_client: Client, shift: Shift
) -> None:
    for _ in range(2):
        signed_up(volunteer(), shift)
    waiting = signed_up(volunteer(), shift)
    data = corner_form(shift.corner, [shift])
    data["shifts-0-capacity"] = 3
    response = admin_client.post(corner_url(shift.corner), data)
    assert response.status_code == 302, text(response)[:3000]
    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.CONFIRMED
    assert confirmed_count(shift) == 3


def test_lowering_a_capacity_in_the_corner_inline_below_the_confirmed_is_refused(
    admin_client: Client, shift: Shift
) -> None:
    for _ in range(2):
        signed_up(volunteer(), shift)
    data = corner_form(shift.corner, [shift])
    data["shifts-0-capacity"] = 1
    response = admin_client.post(corner_url(shift.corner), data)
    assert response.status_code == 200
    assert "2 volunteers are already confirmed" in text(response)
    assert confirmed_count(shift) == 2
    assert shift.capacity == 2


def test_a_shift_added_in_the_corner_inline_is_created_by_the_service(
    admin_client: Client, shift: Shift
) -> None:
    new = {
        "starts_at_0": "2031-01-11",
        "starts_at_1": "10:00:00",
        "ends_at_0": "2031-01-11",
        "ends_at_1": "13:00:00",
        "capacity": 3,
        "min_volunteers": 2,
    }
    response = admin_client.post(
        corner_url(shift.corner), corner_form(shift.corner, [shift], [new])
    )
    assert response.status_code == 302, text(response)[:3000]
    added = Shift.objects.get(corner=shift.corner, starts_at=at(10))
    assert (added.ends_at, added.capacity, added.min_volunteers) == (at(13), 3, 2)


# --- Read-only rows ------------------------------------------------------------------------------


def test_pool_entries_cannot_be_changed_in_the_admin(admin_client: Client) -> None:
    event = published_event()
    entry = services.pool_join(
        user=volunteer(),
        event=event,
        available_from=at(8),
        available_until=at(12),
        preferred_city="",
        now=timezone.now(),
    )
    url = reverse("admin:volunteers_poolentry_change", args=[entry.pk])
    assert admin_client.get(url).status_code == 200  # viewing is fine
    response = admin_client.post(
        url,
        {
            "user": entry.user_id,
            "event": event.pk,
            "available_from_0": "2031-01-11",
            "available_from_1": "08:00:00",
            "available_until_0": "2031-01-11",
            "available_until_1": "12:00:00",
            "preferred_city": "",
            "status": "placed",
            "created_at_0": "2031-01-01",
            "created_at_1": "08:00:00",
        },
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == PoolEntry.Status.WAITING
    add = admin_client.get(reverse("admin:volunteers_poolentry_add"))
    assert add.status_code == 403


def test_bucket_hand_outs_cannot_be_changed_in_the_admin(
    admin_client: Client, shift: Shift
) -> None:
    for _ in range(2):
        services.signup_check_in(signup=signed_up(volunteer(), shift), now=shift.starts_at)
    assignment = services.bucket_hand_out(
        bucket=BucketFactory(event=shift.corner.event),
        shift=shift,
        by=UserFactory(),
        now=timezone.now(),
    )
    url = reverse("admin:volunteers_bucketassignment_change", args=[assignment.pk])
    response = admin_client.post(
        url,
        {
            "bucket": assignment.bucket_id,
            "shift": shift.pk,
            "handed_out_at_0": "2031-01-11",
            "handed_out_at_1": "07:00:00",
            "handed_out_by": assignment.handed_out_by_id,
            "returned_at_0": "2031-01-11",
            "returned_at_1": "09:00:00",
        },
    )
    assert response.status_code == 403
    assignment.refresh_from_db()
    assert assignment.returned_at is None
    delete = reverse("admin:volunteers_bucketassignment_delete", args=[assignment.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert BucketAssignment.objects.filter(pk=assignment.pk).exists()


def test_the_admin_pages_of_corners_shifts_and_runs_open(
    admin_client: Client, shift: Shift
) -> None:
    signed_up(volunteer(), shift)
    services.auto_assign_run_create(
        event=shift.corner.event, requested_by=UserFactory(), now=timezone.now()
    )
    for url in (
        reverse("admin:events_corner_changelist"),
        reverse("admin:events_corner_change", args=[shift.corner_id]),
        reverse("admin:events_corner_add"),
        reverse("admin:events_shift_changelist"),
        reverse("admin:events_shift_change", args=[shift.pk]),
        reverse("admin:events_shift_add"),
        reverse("admin:events_shift_delete", args=[shift.pk]),
        reverse("admin:volunteers_autoassignrun_changelist"),
        reverse("admin:volunteers_poolentry_changelist"),
        reverse("admin:volunteers_bucketassignment_changelist"),
    ):
        assert admin_client.get(url).status_code == 200, url
