"""Public pages: home, an event's page, friendly errors, the health check, both languages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from events.models import Event, Membership
from tests.factories import (
    CornerFactory,
    EventFactory,
    ShiftFactory,
    UserFactory,
    published_event,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def event() -> Event:
    # Far enough in the future that it is "upcoming" whenever the suite runs.
    start = dt.datetime(2099, 1, 10, 15, 0, tzinfo=dt.UTC)
    return published_event(starts_at=start, ends_at=start + dt.timedelta(hours=12))


def test_home_lists_upcoming_published_events_and_not_drafts(client: Client, event: Event) -> None:
    draft = EventFactory(title="Secret draft day")
    response = client.get("/")
    assert response.status_code == 200
    assert event.title in response.content.decode()
    assert draft.title not in response.content.decode()


def test_home_without_events_says_so(client: Client) -> None:
    response = client.get("/")
    assert "No pledge day is scheduled right now" in response.content.decode()


def test_event_page_shows_story_partners_and_hotlines(client: Client, event: Event) -> None:
    partner = event.partners.first().organization
    partner.hotline_name, partner.hotline_phone = "Crisis line", "559-555-0199"
    partner.save()
    page = client.get(reverse("events:detail", args=[event.slug])).content.decode()
    assert event.story in page
    assert partner.name in page
    assert "60%" in page
    assert "40%" in page
    assert "1-888-373-7888" in page
    assert 'href="tel:+15595550199"' in page


def test_event_page_shows_corners_and_how_full_each_shift_is(client: Client, event: Event) -> None:
    corner = CornerFactory(event=event, name="Blackstone & Shaw", city="Fresno")
    ShiftFactory(corner=corner, capacity=4, confirmed_count=1)
    page = client.get(reverse("events:detail", args=[event.slug])).content.decode()
    assert "Blackstone &amp; Shaw" in page
    assert "1 of 4 volunteers" in page
    assert "Needs volunteers" in page


def test_event_page_shows_times_in_the_event_time_zone(client: Client, event: Event) -> None:
    corner = CornerFactory(event=event)
    ShiftFactory(
        corner=corner, starts_at=event.starts_at, ends_at=event.starts_at + dt.timedelta(hours=3)
    )
    page = client.get(reverse("events:detail", args=[event.slug])).content.decode()
    # 15:00 UTC on 10 January is 7:00 in Los Angeles.
    assert "7 a.m." in page
    assert "10 a.m." in page


def test_corner_safety_notes_are_not_public(client: Client, event: Event) -> None:
    CornerFactory(event=event, safety_notes="Manager Bob knows us")
    page = client.get(reverse("events:detail", args=[event.slug])).content.decode()
    assert "Manager Bob" not in page


def test_event_page_reads_a_constant_number_of_queries(
    client: Client, event: Event, django_assert_max_num_queries
) -> None:
    for _ in range(5):
        corner = CornerFactory(event=event)
        for hour in range(4):
            start = event.starts_at + dt.timedelta(hours=3 * hour)
            ShiftFactory(corner=corner, starts_at=start, ends_at=start + dt.timedelta(hours=3))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("events:detail", args=[event.slug])).status_code == 200


def test_a_draft_event_page_is_not_found(client: Client) -> None:
    draft = EventFactory()
    assert client.get(reverse("events:detail", args=[draft.slug])).status_code == 404


def test_an_unknown_page_is_a_friendly_404(client: Client) -> None:
    response = client.get("/events/no-such-day/")
    assert response.status_code == 404
    assert "We couldn’t find that page" in response.content.decode()
    assert "1-888-373-7888" in response.content.decode()


def test_a_server_error_shows_the_friendly_500_page() -> None:
    from django.urls import path

    from config.urls import urlpatterns

    def boom(request):
        raise RuntimeError("kaboom")

    client = Client(raise_request_exception=False)
    urlpatterns.append(path("boom-for-test/", boom))
    try:
        response = client.get("/boom-for-test/")
    finally:
        urlpatterns.pop()
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "kaboom" not in response.content.decode()


def test_pages_are_in_spanish_for_a_spanish_phone(client: Client, event: Event) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9").content.decode()
    assert '<html lang="es">' in page
    assert "Línea Nacional contra la Trata de Personas" in page
    event_page = client.get(
        reverse("events:detail", args=[event.slug]), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "Organizaciones" in event_page
    assert "10 de enero de 2099" in event_page


def test_a_person_can_switch_to_spanish(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert '<html lang="es">' in client.get("/").content.decode()


def test_organizers_see_a_manage_link_and_others_do_not(client: Client, event: Event) -> None:
    url = reverse("events:detail", args=[event.slug])
    organizer = UserFactory()
    Membership.objects.create(user=organizer, event=event, role=Membership.Role.ORGANIZER)
    client.force_login(UserFactory())
    assert "Manage this pledge day" not in client.get(url).content.decode()
    client.force_login(organizer)
    assert "Manage this pledge day" in client.get(url).content.decode()


def test_the_health_check_answers_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_the_story_is_shown_in_spanish_when_the_event_has_one(client: Client, event: Event) -> None:
    Event.objects.filter(pk=event.pk).update(story_es="Nos paramos en las esquinas.")
    url = reverse("events:detail", args=[event.slug])
    assert (
        "Nos paramos en las esquinas."
        in client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    )
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nos paramos" not in english
    assert event.story in english


def test_without_a_spanish_story_spanish_readers_see_the_english_one(
    client: Client, event: Event
) -> None:
    url = reverse("events:detail", args=[event.slug])
    assert event.story in client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
