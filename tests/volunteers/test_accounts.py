"""Accounts: email is the login, and nobody signs in before verifying their address."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from tests.factories import UserFactory
from volunteers.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a long pledge-day passphrase"


def sign_up(client: Client, email: str = "new.volunteer@example.org"):
    return client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def test_signing_up_creates_an_account_and_sends_a_verification_email(client: Client) -> None:
    response = sign_up(client)
    assert response.status_code == 302
    user = User.objects.get(email="new.volunteer@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.volunteer@example.org"]
    assert mail.outbox[0].subject.startswith("[Pledgeday]")


def test_an_unverified_account_cannot_sign_in(client: Client) -> None:
    sign_up(client)
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "new.volunteer@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session


def test_following_the_verification_link_verifies_and_signs_in(client: Client) -> None:
    sign_up(client)
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    assert client.get(link.group(1)).status_code == 200
    client.post(link.group(1))
    assert EmailAddress.objects.get(email="new.volunteer@example.org").verified
    assert "_auth_user_id" in client.session


def test_a_verified_account_signs_in_with_its_email(client: Client) -> None:
    user = UserFactory(email="organizer@example.org")
    response = client.post(
        "/accounts/login/", {"login": "organizer@example.org", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signing_up_with_a_taken_email_reveals_nothing_and_warns_its_owner(client: Client) -> None:
    # Account enumeration is prevented: the page looks like any sign-up, and the owner of the
    # address is told by email instead.
    UserFactory(email="taken@example.org")
    response = sign_up(client, email="Taken@example.org")
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1
    assert [message.to for message in mail.outbox] == [["taken@example.org"]]
    assert "already" in mail.outbox[0].body


def test_the_sign_in_page_wears_the_site_layout(client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert 'class="site-header"' in page
    assert "1-888-373-7888" in page


def test_create_superuser_makes_a_staff_superuser() -> None:
    user = User.objects.create_superuser("root@example.org", "pw-for-test-only")
    assert user.is_staff
    assert user.is_superuser
    assert user.check_password("pw-for-test-only")
    assert str(user) == "root@example.org"


def test_a_user_without_email_cannot_be_created() -> None:
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user("", "x")
