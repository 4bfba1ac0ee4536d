"""A language the volunteer chose is remembered, English included (review of issue 11): English
is every account's default, so only a chosen English wins over a Spanish phone at sign-in."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.support.volunteering import text

pytestmark = pytest.mark.django_db


def sign_in(client: Client, email: str, **headers: str):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": "correct horse battery"},
        **headers,
    )


def test_english_chosen_in_the_header_wins_over_a_spanish_phone_at_sign_in(
    client: Client,
) -> None:
    user = UserFactory(preferred_language="es")
    client.force_login(user)
    client.post(reverse("volunteers:language_switch"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert (user.preferred_language, user.language_chosen) == ("en", True)
    other_phone = Client(HTTP_ACCEPT_LANGUAGE="es")
    response = sign_in(other_phone, user.email)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = text(other_phone.get(reverse("volunteers:my_shifts")))
    assert '<html lang="en">' in page


def test_english_never_chosen_leaves_a_spanish_phone_in_spanish() -> None:
    user = UserFactory(preferred_language="en")
    assert user.language_chosen is False
    phone = Client(HTTP_ACCEPT_LANGUAGE="es")
    response = sign_in(phone, user.email)
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert '<html lang="es">' in text(phone.get(reverse("volunteers:my_shifts")))
