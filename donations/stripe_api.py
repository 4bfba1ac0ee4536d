"""The one module that talks to Stripe, through the official SDK.

With STRIPE_SECRET_KEY set it talks to Stripe (Checkout Sessions, hosted payment page). Without
it, the same SDK talks to localstripe (settings.LOCALSTRIPE_URL), the local stand-in, with
PaymentIntents confirmed on the demo page by a Stripe test card: no code path pretends money moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings

LOCAL_SECRET_KEY = "sk_test_pledgeday_local"  # noqa: S105 (localstripe accepts any test key)
LOCAL_WEBHOOK_SECRET = "whsec_pledgeday_local"  # noqa: S105 (signs localstripe's demo webhooks)
TEST_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}

# Transient failures: Stripe (or localstripe) unreachable or overloaded; callers answer 5xx.
TRANSIENT_ERRORS = (stripe.APIConnectionError, stripe.RateLimitError)


# The SDK's HTTP transport; None is the SDK's own. Tests put a recording transport here to assert
# the exact requests sent to Stripe (the same seam production never touches).
http_client: stripe.HTTPClient | None = None


def is_local() -> bool:
    return not settings.STRIPE_SECRET_KEY


def client() -> stripe.StripeClient:
    if is_local():
        return stripe.StripeClient(
            LOCAL_SECRET_KEY,
            base_addresses={"api": settings.LOCALSTRIPE_URL},
            max_network_retries=1,
            http_client=http_client,
        )
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, max_network_retries=2, http_client=http_client
    )


def webhook_secret() -> str:
    return settings.STRIPE_WEBHOOK_SECRET or (LOCAL_WEBHOOK_SECRET if is_local() else "")


def event_construct(payload: bytes, signature: str) -> stripe.Event:
    """Verify Stripe's signature (and its timestamp tolerance); raises on a bad one."""
    return stripe.Webhook.construct_event(payload, signature, webhook_secret())


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


def checkout_session_create(
    *,
    donation_id: int,
    event_slug: str,
    description: str,
    total_cents: int,
    currency: str,
    locale: str,
    donor_email: str,
    success_url: str,
    cancel_url: str,
) -> CheckoutSession:
    """A hosted Checkout page for one donation (cards and wallets); idempotent per donation."""
    metadata = {"donation_id": str(donation_id), "event": event_slug}
    params: dict[str, Any] = {
        "mode": "payment",
        "submit_type": "donate",
        "locale": locale if locale in ("en", "es") else "auto",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": total_cents,
                    "product_data": {"name": description},
                },
            }
        ],
        "payment_intent_data": {"metadata": metadata, "description": description},
        "metadata": metadata,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if donor_email:
        params["customer_email"] = donor_email
    session = client().v1.checkout.sessions.create(
        params=params,  # type: ignore[arg-type]
        options={"idempotency_key": f"donation-{donation_id}-checkout"},
    )
    return CheckoutSession(id=session.id, url=session.url or "")


def payment_intent_create(
    *, donation_id: int, event_slug: str, description: str, total_cents: int, currency: str
) -> str:
    """A PaymentIntent for the demo payment page (local gateway); returns its id."""
    params: Any = {  # localstripe refuses "description"; the metadata carries what matters
        "amount": total_cents,
        "currency": currency,
        "metadata": {"donation_id": str(donation_id), "event": event_slug, "title": description},
        "payment_method_types": ["card"],
    }
    intent = client().v1.payment_intents.create(
        params=params,
        options={"idempotency_key": f"donation-{donation_id}-intent"},
    )
    return intent.id


def payment_intent_confirm_with_test_card(payment_intent_id: str) -> str:
    """Demo only: confirm with Stripe's 4242 test card; localstripe then sends the webhook."""
    api = client().v1
    card_params: Any = {"type": "card", "card": TEST_CARD}
    method = api.payment_methods.create(params=card_params)
    # Attach, then confirm (localstripe confirms only a PaymentIntent that already has a method).
    api.payment_intents.update(payment_intent_id, params={"payment_method": method.id})
    return api.payment_intents.confirm(payment_intent_id).status


def refund_create(
    *, payment_intent_id: str, amount_cents: int, donation_id: int, refunded_so_far: int
) -> str:
    """Ask Stripe to refund part or all of a payment; the records change on its webhook.

    The idempotency key names the refund step, so a double click never refunds twice.
    """
    refund = client().v1.refunds.create(
        params={
            "payment_intent": payment_intent_id,
            "amount": amount_cents,
            "metadata": {"donation_id": str(donation_id)},
        },
        options={
            "idempotency_key": f"donation-{donation_id}-refund-{refunded_so_far}-{amount_cents}"
        },
    )
    return refund.id


def payment_refunded_cents(payment_intent_id: str) -> int:
    """Read back how much of a payment has been refunded (its latest charge's amount_refunded)."""
    api = client().v1
    latest = api.payment_intents.retrieve(payment_intent_id).latest_charge
    charge_id = latest if isinstance(latest, str) else (latest.id if latest else "")
    if not charge_id:
        return 0
    return int(api.charges.retrieve(charge_id).amount_refunded or 0)
