"""The local gateway against a running peer: localstripe, the stateful Stripe stand-in.

Exercised against the running peer: PaymentIntent creation and confirmation through the real
Stripe SDK, and localstripe's own signed `payment_intent.succeeded` webhook delivered over HTTP to
the real webhook view (a live server). What localstripe lacks (Checkout, refund and dispute
events, idempotency) is tested on recorded shapes in test_webhook.py and test_gateway.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client

from donations.models import Donation, LedgerEntry, StripeEvent
from events.models import Bucket
from tests.factories import BucketFactory, UserFactory, published_event, volunteer
from tests.support.localstripe import register_webhook, wait_for
from volunteers import services as volunteer_services

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


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


def test_a_refund_through_localstripe_is_recorded_at_once(localstripe: str, live_server) -> None:
    from django.utils import timezone

    from donations import services

    register_webhook(localstripe, f"{live_server.url}/stripe/webhook/")
    bucket, _pair = bucket_on_a_corner()
    client = Client()
    client.post(f"/g/{bucket.token}", {"preset": "5000"})
    donation = Donation.objects.get()
    client.post(f"/give/demo-pay/{donation.public_token}/")
    assert wait_for(lambda: Donation.objects.get(pk=donation.pk).status == "succeeded")
    result = services.donation_refund(
        donation=donation,
        amount_cents=2000,
        refunded_seen=0,
        refunds_seen=0,
        by=UserFactory(),
        now=timezone.now(),
    )
    assert result.status == Donation.Status.PARTIALLY_REFUNDED
    assert result.refunded_cents == 2000
    (refund,) = result.refunds.all()
    assert refund.stripe_refund_id.startswith("re_")
    assert (refund.amount_cents, refund.status) == (2000, "succeeded")
