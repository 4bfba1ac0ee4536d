"""A button's address opened as a page, and the admin opened by an organizer: our pages, in the
reader's language, with a way back (issue 11's walk through every page)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import MembershipFactory, published_event

pytestmark = pytest.mark.django_db


def test_a_post_only_address_opened_as_a_page_explains_and_leads_back(client: Client) -> None:
    event = published_event()
    client.force_login(MembershipFactory(event=event, role="lead").user)
    response = client.get(f"/organize/{event.slug}/close/")
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    page = response.content.decode()
    assert "This address belongs to a button" in page
    assert f'href="/organize/{event.slug}/"' in page
    assert "Nothing was done." in page


def test_the_page_speaks_spanish_and_a_post_is_left_alone(client: Client) -> None:
    event = published_event()
    client.force_login(MembershipFactory(event=event, role="lead").user)
    page = client.get(f"/organize/{event.slug}/close/", HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 405
    assert '<html lang="es">' in page.content.decode()
    assert "This address belongs to a button" not in page.content.decode()
    refused = client.put(f"/organize/{event.slug}/close/")
    assert refused.status_code == 405
    assert refused.content == b""  # not a page view: left as Django answers it


def test_the_admin_tells_a_signed_in_organizer_it_is_for_staff(client: Client) -> None:
    event = published_event()
    client.force_login(MembershipFactory(event=event, role="organizer").user)
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "The admin is for the coalition" in page
    assert "ask the coalition lead to add you as an organizer" not in page
