"""Limits on starting card gifts: per browser and per address (an IPv6 /64 counts as one), generous
enough for a busy corner behind carrier NAT; per event only an alert; the donor's address from
the trusted proxies only.

Each donor is a browser of its own (its own Client, with the CSRF cookie the give page sets, and
CSRF checks enforced as in production). Stripe is the test stand-in (tests/support/stripe_fake.py).
"""

from __future__ import annotations

import itertools
import logging
import re

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from donations.models import Donation
from donations.ratelimit import client_ip
from events.models import Bucket
from tests.donations import stripe_shapes as shapes
from tests.factories import BucketFactory, published_event
from tests.support.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db

CARRIER_NAT = "198.51.100.23"  # one address that a mobile carrier's donors all share
SESSIONS = "/v1/checkout/sessions"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def stripe(fake_stripe: FakeStripe) -> FakeStripe:
    ids = itertools.count(1)

    def session(_request: dict) -> dict:
        session_id = f"cs_test_limits_{next(ids)}"
        return shapes.shape(
            "checkout.session", id=session_id, url=f"https://checkout.stripe.com/c/pay/{session_id}"
        )

    fake_stripe.answer("post", SESSIONS, session)
    return fake_stripe


@pytest.fixture
def bucket() -> Bucket:
    return BucketFactory(event=published_event())


def donor(address: str = CARRIER_NAT, **headers: str) -> Client:
    """A phone's browser: its own cookies, behind the given address."""
    return Client(enforce_csrf_checks=True, REMOTE_ADDR=address, **headers)


def give(browser: Client, bucket: Bucket, preset: str = "2500") -> HttpResponse:
    """Open the bucket's page (which sets the CSRF cookie), then press Give."""
    page = browser.get(f"/g/{bucket.token}")
    token = CSRF_FIELD.search(page.content.decode())
    assert token, "the give page carries a CSRF token"
    return browser.post(
        f"/g/{bucket.token}", {"preset": preset, "csrfmiddlewaretoken": token.group(1)}
    )


def test_sixty_donors_behind_one_carrier_nat_address_all_reach_checkout(
    bucket: Bucket, stripe: FakeStripe
) -> None:
    answers = [give(donor(), bucket).status_code for _ in range(60)]
    assert answers == [303] * 60
    assert Donation.objects.count() == 60
    assert len(stripe.calls("post", SESSIONS)) == 60


@override_settings(DONATION_LIMIT_PER_BROWSER="3/10m")
def test_one_browser_is_refused_after_its_limit_with_the_pages_message(
    bucket: Bucket, stripe: FakeStripe
) -> None:
    browser = donor()
    assert [give(browser, bucket).status_code for _ in range(3)] == [303] * 3
    refused = give(browser, bucket)
    assert refused.status_code == 429
    assert "Too many gifts were started from here in a short time." in refused.content.decode()
    assert Donation.objects.count() == 3
    assert len(stripe.calls("post", SESSIONS)) == 3


@override_settings(DONATION_LIMIT_PER_BROWSER="3/10m")
def test_another_browser_on_the_same_address_can_still_give(
    bucket: Bucket, stripe: FakeStripe
) -> None:
    busy = donor()
    for _ in range(4):
        give(busy, bucket)
    assert give(donor(), bucket).status_code == 303


@override_settings(DONATION_LIMIT_PER_BROWSER="3/10m")
def test_a_refused_donor_is_told_in_spanish(bucket: Bucket, stripe: FakeStripe) -> None:
    browser = donor(HTTP_ACCEPT_LANGUAGE="es-MX")
    for _ in range(3):
        give(browser, bucket)
    refused = give(browser, bucket)
    assert refused.status_code == 429
    assert "Se iniciaron demasiados donativos desde aquí" in refused.content.decode()


@override_settings(DONATION_LIMIT_PER_ADDRESS="3/10m")
def test_every_address_of_one_ipv6_64_counts_as_one(bucket: Bucket, stripe: FakeStripe) -> None:
    network = "2001:db8:77:1"
    answers = [give(donor(f"{network}::{n:x}"), bucket).status_code for n in range(1, 5)]
    assert answers == [303, 303, 303, 429]
    assert give(donor("2001:db8:77:2::1"), bucket).status_code == 303  # the next /64


@override_settings(DONATION_LIMIT_PER_ADDRESS="3/10m")
def test_browsers_with_fresh_cookies_are_still_limited_per_address(
    bucket: Bucket, stripe: FakeStripe
) -> None:
    answers = [give(donor("203.0.113.9"), bucket).status_code for _ in range(4)]
    assert answers == [303, 303, 303, 429]
    assert give(donor("203.0.113.10"), bucket).status_code == 303
    assert Donation.objects.count() == 4


@override_settings(DONATION_ALERT_PER_EVENT="3/m")
def test_the_event_wide_rate_raises_one_alert_and_refuses_no_one(
    bucket: Bucket, stripe: FakeStripe, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="pledgeday.alerts"):
        answers = [give(donor(f"203.0.113.{n}"), bucket).status_code for n in range(1, 9)]
    assert answers == [303] * 8
    alerts = [r for r in caplog.records if r.name == "pledgeday.alerts"]
    assert len(alerts) == 1
    assert alerts[0].levelno == logging.ERROR
    assert "Unusual rate of gift starts" in alerts[0].getMessage()


@override_settings(DONATION_ALERT_PER_EVENT="3/m")
def test_each_event_has_its_own_alert_rate(
    bucket: Bucket, stripe: FakeStripe, caplog: pytest.LogCaptureFixture
) -> None:
    other = BucketFactory(event=published_event())
    with caplog.at_level(logging.ERROR, logger="pledgeday.alerts"):
        for n in range(1, 4):
            give(donor(f"203.0.113.{n}"), bucket)
            give(donor(f"203.0.113.{n + 10}"), other)
    assert not [r for r in caplog.records if r.name == "pledgeday.alerts"]


@override_settings(RATELIMIT_ENABLE=False, DONATION_LIMIT_PER_BROWSER="1/10m")
def test_the_limits_can_be_switched_off(bucket: Bucket, stripe: FakeStripe) -> None:
    browser = donor()
    assert [give(browser, bucket).status_code for _ in range(3)] == [303] * 3


# --- The donor's address -------------------------------------------------------------------------


def address(**meta: str) -> str:
    return client_ip(RequestFactory().get("/", **meta))


@override_settings(TRUSTED_PROXY_COUNT=0)
def test_without_proxies_a_forged_forwarded_header_is_ignored() -> None:
    assert address(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="192.0.2.1") == "203.0.113.5"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_the_donor_is_the_address_it_appended() -> None:
    forged = "192.0.2.1, 192.0.2.2"
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": f"{forged}, 203.0.113.5"}
    assert address(**meta) == "203.0.113.5"


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_behind_a_cdn_and_a_load_balancer_the_donor_is_the_address_the_cdn_wrote() -> None:
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.5, 10.9.8.7"}
    assert address(**meta) == "203.0.113.5"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_without_the_header_the_peer_is_the_address() -> None:
    assert address(REMOTE_ADDR="10.0.0.2") == "10.0.0.2"


def test_an_ipv4_mapped_peer_is_its_ipv4_address() -> None:
    assert address(REMOTE_ADDR="::ffff:203.0.113.5") == "203.0.113.5"


@override_settings(TRUSTED_PROXY_COUNT=1, DONATION_LIMIT_PER_ADDRESS="2/10m")
def test_behind_a_proxy_each_donor_is_limited_by_their_own_address(
    bucket: Bucket, stripe: FakeStripe
) -> None:
    def via_proxy(address: str) -> Client:
        return donor("10.0.0.2", HTTP_X_FORWARDED_FOR=address)

    assert [give(via_proxy("203.0.113.5"), bucket).status_code for _ in range(3)] == [
        303,
        303,
        429,
    ]
    assert give(via_proxy("203.0.113.6"), bucket).status_code == 303
