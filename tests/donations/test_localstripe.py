"""The local gateway against a running peer: localstripe, the stateful Stripe stand-in.

Exercised against the running peer: PaymentIntent creation and confirmation through the real
Stripe SDK, and localstripe's own signed `payment_intent.succeeded` webhook delivered over HTTP to
the real webhook view (a live server). What localstripe lacks (Checkout, refund and dispute
events, idempotency) is tested on recorded shapes in test_webhook.py and test_gateway.py.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings

from donations.models import Donation, LedgerEntry, StripeEvent
from donations.stripe_api import LOCAL_WEBHOOK_SECRET
from events.models import Bucket
from tests.factories import BucketFactory, published_event, volunteer
from volunteers import services as volunteer_services

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def localstripe() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "localstripe_loopback.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    try:
        with override_settings(LOCALSTRIPE_URL=url, STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET=""):
            yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def register_webhook(localstripe_url: str, target: str) -> None:
    data = urllib.parse.urlencode({"url": target, "secret": LOCAL_WEBHOOK_SECRET}).encode()
    url = f"{localstripe_url}/_config/webhooks/test"
    request = urllib.request.Request(url, data=data)  # noqa: S310 (loopback http only)
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 (loopback http only)


def wait_for(condition, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def bucket_on_a_corner() -> tuple[Bucket, list]:
    """A bucket handed to two checked-in volunteers on a shift of a published event."""
    from tests.factories import CornerFactory, ShiftFactory

    event = published_event()
    shift = ShiftFactory(corner=CornerFactory(event=event, name="Blackstone & Shaw"))
    now = shift.starts_at - dt.timedelta(days=1)
    pair = [volunteer(), volunteer()]
    for person in pair:
        signup = volunteer_services.signup_create(user=person, shift=shift, now=now)
        volunteer_services.signup_check_in(signup=signup, now=shift.starts_at)
    bucket = BucketFactory(event=event)
    volunteer_services.bucket_hand_out(bucket=bucket, shift=shift, by=pair[0], now=shift.starts_at)
    return bucket, pair


def test_a_qr_gift_paid_on_the_demo_page_arrives_by_localstripes_signed_webhook(
    localstripe: str, live_server
) -> None:
    register_webhook(localstripe, f"{live_server.url}/stripe/webhook/")
    bucket, pair = bucket_on_a_corner()
    client = Client()
    response = client.post(f"/g/{bucket.token}", {"preset": "2500", "cover_fee": "on"})
    assert response.status_code == 303
    donation = Donation.objects.get()
    assert donation.stripe_payment_intent_id.startswith("pi_")
    assert response["Location"].endswith(f"/give/demo-pay/{donation.public_token}/")
    paid = client.post(f"/give/demo-pay/{donation.public_token}/")
    assert paid.status_code == 303

    assert wait_for(lambda: Donation.objects.get(pk=donation.pk).status == "succeeded")
    donation.refresh_from_db()
    assert donation.bucket == bucket
    assert donation.corner.name == "Blackstone & Shaw"
    assert set(donation.volunteers.all()) == set(pair)
    assert StripeEvent.objects.get().type == "payment_intent.succeeded"
    assert LedgerEntry.objects.get(donation=donation).amount_cents == 2500
    thanks = client.get(f"/give/thanks/{donation.public_token}/").content.decode()
    assert "Thank you!" in thanks
    assert "1-888-373-7888" in thanks


def test_a_refund_through_localstripe_is_read_back(localstripe: str, live_server) -> None:
    from django.utils import timezone

    from donations import services

    register_webhook(localstripe, f"{live_server.url}/stripe/webhook/")
    bucket, _pair = bucket_on_a_corner()
    client = Client()
    client.post(f"/g/{bucket.token}", {"preset": "5000"})
    donation = Donation.objects.get()
    client.post(f"/give/demo-pay/{donation.public_token}/")
    assert wait_for(lambda: Donation.objects.get(pk=donation.pk).status == "succeeded")
    result = services.donation_refund(donation=donation, amount_cents=2000, now=timezone.now())
    assert result.status == Donation.Status.PARTIALLY_REFUNDED
    assert result.refunded_cents == 2000
