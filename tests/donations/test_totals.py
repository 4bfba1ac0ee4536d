"""GET /events/<slug>/totals.json (issue 8): public figures only, adding up to the cent, with an
ETag, a short Cache-Control, and 304 for a screen that already has them."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from donations import services
from donations.models import MatchPledge
from donations.services.payments import Facts
from events.models import Event
from tests.factories import CardDonationFactory, CornerFactory, EventFactory, published_event

pytestmark = pytest.mark.django_db


def totals(client: Client, event: Event, **headers: str):
    return client.get(f"/events/{event.slug}/totals.json", **headers)


def test_the_totals_add_up_to_the_cent_and_name_no_donor(client: Client) -> None:
    event = published_event()
    corner = CornerFactory(event=event)
    services.match_pledge_save(
        pledge=MatchPledge(event=event, sponsor="Valley Bank", cap_cents=100_000),
        now=timezone.now(),
    )
    for amount in (2500, 1000, 777):
        gift = CardDonationFactory(
            event=event, amount_cents=amount, corner=corner, donor_name="Ana Secret",
            donor_email="ana@example.org",
        )  # fmt: skip
        services.donation_observe(donation_id=gift.pk, facts=Facts(paid=True), now=timezone.now())
    response = totals(client, event)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=2"
    figures = json.loads(response.content)
    assert figures["raised_cents"] == sum(o["raised_cents"] for o in figures["organizations"])
    assert figures["raised_cents"] == sum(c["raised_cents"] for c in figures["corners"])
    assert figures["match_cents"] == 4277
    assert figures["with_match_cents"] == figures["raised_cents"] + 4277
    assert figures["matches"][0]["used_cents"] == 4277
    assert figures["gifts"] == 3
    assert "Ana" not in response.content.decode()
    assert "example.org" not in response.content.decode()
    assert set(figures) >= {"goal_cents", "updated_at", "organizations", "corners", "matches"}


def test_a_screen_that_has_the_figures_gets_304(client: Client) -> None:
    event = published_event()
    first = totals(client, event)
    again = totals(client, event, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_new_figures_get_a_new_etag_once_the_cache_period_is_over(client: Client) -> None:
    event = published_event()
    before = totals(client, event)["ETag"]
    gift = CardDonationFactory(event=event)
    services.donation_observe(donation_id=gift.pk, facts=Facts(paid=True), now=timezone.now())
    cache.clear()  # the period (2 s) is over
    after = totals(client, event, HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200
    assert after["ETag"] != before


def test_a_cached_answer_costs_no_query(client: Client, django_assert_num_queries) -> None:
    event = published_event()
    totals(client, event)
    with django_assert_num_queries(0):
        assert totals(client, event).status_code == 200


def test_a_draft_or_unknown_pledge_day_has_no_totals(client: Client) -> None:
    assert totals(client, EventFactory()).status_code == 404
    assert client.get("/events/nothing-here/totals.json").status_code == 404
