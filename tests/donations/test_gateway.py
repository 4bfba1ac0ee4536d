"""The Stripe gateway with keys set: the exact requests the official SDK sends to Stripe.

Not against a running Stripe: a recording transport answers with Stripe's published example
objects, and the tests assert the method, path, form parameters and idempotency key.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
import stripe
from django.test import Client, override_settings

from donations import stripe_api
from donations.models import Donation
from tests.donations import stripe_shapes as shapes
from tests.factories import BucketFactory, CardDonationFactory, UserFactory, published_event

pytestmark = pytest.mark.django_db


class RecordingTransport(stripe.HTTPClient):
    name = "recording"

    def __init__(self, answers: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.answers = answers
        self.requests: list[dict[str, Any]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):  # type: ignore[override]
        self.requests.append(
            {
                "method": method,
                "path": url.split("api.stripe.com", 1)[-1],
                "headers": dict(headers or {}),
                "params": dict(parse_qsl(post_data or "", keep_blank_values=True)),
            }
        )
        path = url.split("?", 1)[0].split("api.stripe.com", 1)[-1]
        return json.dumps(self.answers[path]), 200, {}


@pytest.fixture
def stripe_live(monkeypatch) -> RecordingTransport:
    session = shapes.shape(
        "checkout.session",
        id="cs_test_recorded",
        url="https://checkout.stripe.com/c/pay/cs_test_recorded",
    )
    refund = shapes.shape("refund", id="re_test_recorded", amount=1000, status="succeeded")
    intent = shapes.shape("payment_intent", latest_charge="ch_test_recorded")
    charge = shapes.shape("charge", id="ch_test_recorded", amount_refunded=1000)
    transport = RecordingTransport(
        {
            "/v1/checkout/sessions": session,
            "/v1/refunds": refund,
            "/v1/payment_intents/pi_test_000001": intent,
            "/v1/charges/ch_test_recorded": charge,
        }
    )
    monkeypatch.setattr(stripe_api, "http_client", transport)
    with override_settings(
        STRIPE_SECRET_KEY="sk_test_recorded", STRIPE_WEBHOOK_SECRET="whsec_recorded"
    ):
        yield transport


def test_giving_opens_a_checkout_session_with_the_donation_in_its_metadata(
    client: Client, stripe_live: RecordingTransport
) -> None:
    event = published_event()
    bucket = BucketFactory(event=event)
    response = client.post(
        f"/g/{bucket.token}",
        {"preset": "2500", "cover_fee": "on", "donor_email": "ana@example.org"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 303
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_recorded"
    donation = Donation.objects.get()
    assert donation.stripe_checkout_session_id == "cs_test_recorded"
    (sent,) = stripe_live.requests
    assert (sent["method"], sent["path"]) == ("post", "/v1/checkout/sessions")
    assert sent["headers"]["Idempotency-Key"] == f"donation-{donation.pk}-checkout"
    params = sent["params"]
    assert params["mode"] == "payment"
    assert params["submit_type"] == "donate"
    assert params["locale"] == "es"
    assert params["customer_email"] == "ana@example.org"
    assert params["line_items[0][price_data][unit_amount]"] == str(donation.total_cents) == "2606"
    assert params["line_items[0][price_data][currency]"] == "usd"
    for prefix in ("payment_intent_data[metadata]", "metadata"):
        assert params[f"{prefix}[pledgeday_donation_id]"] == str(donation.pk)
        assert params[f"{prefix}[pledgeday_event]"] == event.slug
        assert params[f"{prefix}[pledgeday_instance]"] == "127.0.0.1:8000"
    assert params["success_url"].endswith(f"/give/thanks/{donation.public_token}/")


def test_a_refund_is_sent_with_a_key_from_what_the_page_showed_and_recorded_at_once(
    stripe_live: RecordingTransport,
) -> None:
    from django.utils import timezone

    from donations import services

    donation = CardDonationFactory(stripe_payment_intent_id="pi_test_000001")
    Donation.objects.filter(pk=donation.pk).update(status="succeeded", succeeded_at=timezone.now())
    organizer = UserFactory()
    result = services.donation_refund(
        donation=donation,
        amount_cents=1000,
        refunded_seen=0,
        refunds_seen=0,
        by=organizer,
        now=timezone.now(),
    )
    (refund_call,) = stripe_live.requests
    assert (refund_call["method"], refund_call["path"]) == ("post", "/v1/refunds")
    assert refund_call["params"] == {
        "payment_intent": "pi_test_000001",
        "amount": "1000",
        "metadata[pledgeday_donation_id]": str(donation.pk),
        "metadata[pledgeday_event]": donation.event.slug,
        "metadata[pledgeday_instance]": "127.0.0.1:8000",
    }
    # From what the page showed (nothing refunded yet), not from the amount typed.
    assert refund_call["headers"]["Idempotency-Key"] == f"donation-{donation.pk}-refund-0-after-0"
    assert result.status == Donation.Status.PARTIALLY_REFUNDED
    assert result.refunded_cents == 1000
    (refund,) = result.refunds.all()
    assert (refund.stripe_refund_id, refund.requested_by) == ("re_test_recorded", organizer)


def test_a_refund_larger_than_what_is_left_is_refused_before_stripe(
    stripe_live: RecordingTransport,
) -> None:
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from donations import services

    donation = CardDonationFactory(stripe_payment_intent_id="pi_test_000001")
    Donation.objects.filter(pk=donation.pk).update(status="succeeded", succeeded_at=timezone.now())
    with pytest.raises(ValidationError):
        services.donation_refund(
            donation=donation,
            amount_cents=2501,
            refunded_seen=0,
            refunds_seen=0,
            by=UserFactory(),
            now=timezone.now(),
        )
    assert stripe_live.requests == []
