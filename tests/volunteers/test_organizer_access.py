"""Every organizer page of the volunteer side goes through events.permissions.organizer_view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.http import Http404
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from events.models import Event, Membership, Shift
from events.permissions import user_can_organize_event
from tests.factories import BucketFactory, CornerFactory, MembershipFactory, ShiftFactory, volunteer
from tests.factories import published_event as published
from tests.support.volunteering import signed_up
from volunteers import services, urls, views_organize
from volunteers.models import BucketAssignment, Signup

pytestmark = pytest.mark.django_db

ORGANIZER_PATTERNS = [p for p in urls.urlpatterns if str(p.pattern).startswith("organize/")]


def test_the_volunteer_side_has_organizer_pages() -> None:
    assert len(ORGANIZER_PATTERNS) >= 9


@pytest.mark.parametrize("pattern", ORGANIZER_PATTERNS, ids=lambda p: p.name)
def test_every_organizer_page_asks_whether_the_user_organizes_the_event(
    pattern: URLPattern,
) -> None:
    assert getattr(pattern.callback, "organizer_permission", None) is user_can_organize_event


@pytest.fixture
def shift() -> Shift:
    return ShiftFactory(corner=CornerFactory(event=published()), capacity=4, min_volunteers=2)


def handed_out(shift: Shift) -> BucketAssignment:
    signups = [signed_up(volunteer(), shift) for _ in range(2)]
    for signup in signups:
        services.signup_check_in(signup=signup, now=shift.starts_at)
    organizer = MembershipFactory(event=shift.corner.event, role=Membership.Role.ORGANIZER).user
    return services.bucket_hand_out(
        bucket=BucketFactory(event=shift.corner.event),
        shift=shift,
        by=organizer,
        now=timezone.now(),
    )


def organizer_posts(shift: Shift) -> list[str]:
    """The URL of every organizer action that changes something, for this shift's event."""
    event = shift.corner.event
    signup = signed_up(volunteer(), shift)
    assignment = handed_out(shift)
    return [
        reverse("volunteers:auto_assign", args=[event.slug]),
        reverse("volunteers:shifts_bulk", args=[event.slug]),
        reverse("volunteers:shifts_copy", args=[event.slug]),
        reverse("volunteers:signup_action", args=[signup.pk, "cancel"]),
        reverse("volunteers:shift_edit", args=[shift.pk]),
        reverse("volunteers:bucket_hand_out", args=[shift.pk]),
        reverse("volunteers:bucket_return", args=[assignment.pk]),
    ]


def test_a_volunteer_is_forbidden_every_organizer_action(client: Client, shift: Shift) -> None:
    urls_to_try = organizer_posts(shift)
    client.force_login(volunteer())
    assert [client.post(url).status_code for url in urls_to_try] == [403] * len(urls_to_try)
    assert Signup.objects.filter(status=Signup.Status.CANCELLED).count() == 0
    assert BucketAssignment.objects.get().returned_at is None


def test_signed_out_visitors_are_sent_to_sign_in_from_every_organizer_action(
    client: Client, shift: Shift
) -> None:
    for url in organizer_posts(shift):
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_an_organizer_asking_for_a_shift_that_does_not_exist_gets_not_found(
    client: Client, shift: Shift
) -> None:
    client.force_login(
        MembershipFactory(event=shift.corner.event, role=Membership.Role.ORGANIZER).user
    )
    missing = reverse("volunteers:organize_shift", args=[shift.pk + 1000])
    assert client.get(missing).status_code == 404


LOADERS: list[tuple[str, str, Callable[[Shift], int]]] = [
    ("shift_by_id", "shift_id", lambda shift: shift.pk),
    ("signup_by_id", "signup_id", lambda shift: signed_up(volunteer(), shift).pk),
    ("bucket_assignment_by_id", "assignment_id", lambda shift: handed_out(shift).pk),
]


@pytest.mark.parametrize(("name", "parameter", "make"), LOADERS, ids=[n for n, *_x in LOADERS])
def test_a_loader_reads_the_object_and_its_event_in_one_query(
    shift: Shift,
    name: str,
    parameter: str,
    make: Callable[[Shift], int],
    django_assert_num_queries: Callable[..., Any],
) -> None:
    loader = getattr(views_organize, name)
    object_id = make(shift)
    with django_assert_num_queries(1):
        _obj, event = loader(**{parameter: object_id})
        assert isinstance(event, Event)
        assert event.slug == shift.corner.event.slug


@pytest.mark.parametrize(("name", "parameter", "make"), LOADERS, ids=[n for n, *_x in LOADERS])
def test_a_loader_answers_not_found_for_an_unknown_id(
    name: str, parameter: str, make: Callable[[Shift], int]
) -> None:
    with pytest.raises(Http404):
        getattr(views_organize, name)(**{parameter: 999_999})
