"""A volunteer can reset the private address of their calendar feed; the old one stops working."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import CornerFactory, ShiftFactory, UserFactory, published_event, volunteer
from tests.support.volunteering import signed_up, text
from volunteers.models import Profile, User

pytestmark = pytest.mark.django_db

RESET = reverse("volunteers:calendar_link_reset")


def feed(token: str) -> str:
    return reverse("volunteers:calendar_feed", args=[token])


def token_of(user: User) -> str:
    return Profile.objects.get(user=user).calendar_token


@pytest.fixture
def signed_in(client: Client) -> User:
    user = volunteer()
    signed_up(user, ShiftFactory(corner=CornerFactory(event=published_event(), name="Shaw & 1st")))
    client.force_login(user)
    return user


def test_after_a_reset_the_old_feed_address_is_not_found(client: Client, signed_in: User) -> None:
    old = token_of(signed_in)
    assert client.get(feed(old)).status_code == 200
    client.post(RESET)
    assert client.get(feed(old)).status_code == 404


def test_after_a_reset_the_new_feed_address_shows_the_shifts(
    client: Client, signed_in: User
) -> None:
    old = token_of(signed_in)
    client.post(RESET)
    new = token_of(signed_in)
    assert new != old
    response = client.get(feed(new))
    assert response.status_code == 200
    assert "Shaw & 1st" in text(response)


def test_my_shifts_shows_the_new_address_after_a_reset(client: Client, signed_in: User) -> None:
    old = token_of(signed_in)
    response = client.post(RESET, follow=True)
    page = text(response)
    assert "the old one no longer works" in page
    assert feed(token_of(signed_in)) in page
    assert feed(old) not in page


def test_my_shifts_says_the_old_link_stops_working_before_resetting(
    client: Client, signed_in: User
) -> None:
    page = text(client.get(reverse("volunteers:my_shifts")))
    assert "Reset my calendar link" in page
    assert "The old link stops working at once" in page
    assert f'action="{RESET}"' in page


def test_the_calendar_link_is_reset_only_by_a_post(client: Client, signed_in: User) -> None:
    old = token_of(signed_in)
    assert client.get(RESET).status_code == 405
    assert token_of(signed_in) == old


def test_resetting_needs_a_signed_in_volunteer(client: Client) -> None:
    response = client.post(RESET)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_resetting_without_a_profile_asks_for_the_profile(client: Client) -> None:
    client.force_login(UserFactory())
    response = client.post(RESET, follow=True)
    assert "Please complete your volunteer profile first." in text(response)


def test_resetting_changes_only_ones_own_link(client: Client, signed_in: User) -> None:
    other = volunteer()
    before = token_of(other)
    client.post(RESET)
    assert token_of(other) == before
