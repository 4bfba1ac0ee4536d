"""The one module that talks to Stripe, through the official SDK.

With STRIPE_SECRET_KEY set it talks to Stripe (Checkout Sessions, hosted payment page). Without
it, the same SDK talks to localstripe (settings.LOCALSTRIPE_URL), the local stand-in, with
PaymentIntents confirmed on the demo page by a Stripe test card: no code path pretends money moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings

LOCAL_SECRET_KEY = "sk_test_pledgeday_local"  # noqa: S105 (localstripe accepts any test key)
LOCAL_WEBHOOK_SECRET = "whsec_pledgeday_local"  # noqa: S105 (signs localstripe's demo webhooks)
TEST_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}

# Transient failures: Stripe (or localstripe) unreachable or overloaded; callers answer 5xx.
TRANSIENT_ERRORS = (stripe.APIConnectionError, stripe.RateLimitError)
# Seconds a request to Stripe may take: a refund claim's lease and the task limits exceed it.
TIMEOUT_SECONDS = 20

# Our metadata on every PaymentIntent, Checkout Session and refund: namespaced, and naming this
# site (settings.PLEDGEDAY_INSTANCE), so that two environments sharing one Stripe account never
# take each other's payments.
METADATA_DONATION = "pledgeday_donation_id"
METADATA_EVENT = "pledgeday_event"
METADATA_INSTANCE = "pledgeday_instance"


# The SDK's HTTP transport; None is the SDK's own. Tests put a recording transport here to assert
# the exact requests sent to Stripe (the same seam production never touches).
http_client: stripe.HTTPClient | None = None


def is_local() -> bool:
    return not settings.STRIPE_SECRET_KEY


def livemode() -> bool:
    """Whether this site takes real money: events from the other mode are not ours."""
    return settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))


def client() -> stripe.StripeClient:
    transport = http_client or stripe.new_default_http_client(timeout=TIMEOUT_SECONDS)
    if is_local():
        return stripe.StripeClient(
            LOCAL_SECRET_KEY,
            base_addresses={"api": settings.LOCALSTRIPE_URL},
            max_network_retries=1,
            http_client=transport,
        )
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=2,
        http_client=transport,
    )


def metadata(*, donation_id: int, event_slug: str) -> dict[str, str]:
    return {
        METADATA_DONATION: str(donation_id),
        METADATA_EVENT: event_slug,
        METADATA_INSTANCE: settings.PLEDGEDAY_INSTANCE,
    }


@dataclass(frozen=True)
class RefundInfo:
    """One refund as Stripe describes it (status: pending, succeeded, failed or canceled)."""

    stripe_refund_id: str
    amount_cents: int
    status: str
    failure_reason: str = ""


def refund_status(stripe_status: str | None) -> str:
    """Stripe's refund status in our four: requires_action is still pending; a status Stripe
    may add later counts as pending (the refund is not treated as failed until it says so)."""
    if stripe_status in ("succeeded", "failed", "canceled"):
        return str(stripe_status)
    return "pending"


def _refund_info(refund: Any) -> RefundInfo:
    return RefundInfo(
        stripe_refund_id=refund.id,
        amount_cents=int(refund.amount),
        status=refund_status(refund.status),
        failure_reason=str(getattr(refund, "failure_reason", None) or ""),
    )


def webhook_secret() -> str:
    return settings.STRIPE_WEBHOOK_SECRET or (LOCAL_WEBHOOK_SECRET if is_local() else "")


def signature_verify(payload: bytes, signature: str) -> None:
    """Verify Stripe's signature of a webhook body (and its timestamp tolerance), with the
    SDK's own check; raises stripe.SignatureVerificationError on a bad one. The body is parsed
    by the caller, which checks its shape strictly before anything is read or stored."""
    stripe.WebhookSignature.verify_header(
        payload.decode("utf-8"), signature, webhook_secret(), stripe.Webhook.DEFAULT_TOLERANCE
    )


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
    ours = metadata(donation_id=donation_id, event_slug=event_slug)
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
        "payment_intent_data": {"metadata": ours, "description": description},
        "metadata": ours,
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
        "metadata": {
            **metadata(donation_id=donation_id, event_slug=event_slug),
            "title": description,
        },
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
    *,
    payment_intent_id: str,
    amount_cents: int | None,
    idempotency_key: str,
    metadata: dict[str, str],
) -> RefundInfo:
    """Ask Stripe to refund part (or, with no amount, all) of a payment; returns the refund.

    The idempotency key names what the organizer saw, so a double click or a retried request
    never refunds twice (and a different amount under the same key is refused by Stripe).
    """
    params: dict[str, Any] = {"payment_intent": payment_intent_id, "metadata": metadata}
    if amount_cents is not None:
        params["amount"] = amount_cents
    refund = client().v1.refunds.create(
        params=params,  # type: ignore[arg-type]
        options={"idempotency_key": idempotency_key},
    )
    return _refund_info(refund)


def payment_intents_since(
    since: dt.datetime, *, with_charges: bool = False
) -> Iterator[dict[str, Any]]:
    """Every PaymentIntent created at or after `since`, as plain dicts shaped like a webhook's
    data.object (all pages, 100 a page); with_charges expands each one's latest charge (its
    refunded amount). localstripe refuses the `created` filter and expansion: there the whole
    list is read, the old ones are skipped here, and latest_charge stays an id."""
    stamp = int(since.timestamp())
    params: dict[str, Any] = {"limit": 100}
    if not is_local():
        params["created"] = {"gte": stamp}
        if with_charges:
            params["expand"] = ["data.latest_charge"]
    page = client().v1.payment_intents.list(params=params)  # type: ignore[arg-type]
    for intent in page.auto_paging_iter():
        if intent.created >= stamp:
            yield intent.to_dict()


def refunds_list(payment_intent_id: str) -> list[RefundInfo]:
    """Every refund of a payment, as Stripe now describes them (all pages)."""
    page = client().v1.refunds.list(params={"payment_intent": payment_intent_id, "limit": 100})
    return [_refund_info(refund) for refund in page.auto_paging_iter()]


def charge_fee(charge_id: str) -> tuple[int, str] | None:
    """What Stripe kept of a charge (fee, currency), from its balance transaction; None while
    the balance transaction does not exist yet."""
    charge = client().v1.charges.retrieve(charge_id, params={"expand": ["balance_transaction"]})
    transaction = charge.balance_transaction
    if transaction is None or isinstance(transaction, str):
        return None
    return int(transaction.fee), str(transaction.currency)


# --- Stripe Connect: transfers to partners' connected accounts (payouts) --------------------------
# localstripe has no Connect: these calls need real Stripe keys (test mode is enough). Without
# keys, partners are paid as grants (payouts.services), never by a pretended transfer.

METADATA_PAYOUT = "pledgeday_payout"
METADATA_ORGANIZATION = "pledgeday_organization"


def connect_available() -> bool:
    return not is_local()


def transfer_group(event_id: int) -> str:
    """Groups the transfers of one pledge day (and lets a retry find a transfer already made)."""
    return f"pledgeday-{settings.PLEDGEDAY_INSTANCE}-event-{event_id}"


def transfer_find(*, group: str, payout_id: int) -> str | None:
    """The transfer already made for this payout, if any (all pages of the day's group): a
    retry more than a day later, when Stripe has forgotten the idempotency key, finds it here."""
    page = client().v1.transfers.list(params={"transfer_group": group, "limit": 100})
    for transfer in page.auto_paging_iter():
        metadata = transfer.to_dict().get("metadata") or {}
        if metadata.get(METADATA_PAYOUT) == str(payout_id):
            return str(transfer.id)
    return None


def transfer_create(
    *,
    payout_id: int,
    organization_slug: str,
    amount_cents: int,
    currency: str,
    destination: str,
    group: str,
    idempotency_key: str,
) -> str:
    """Move money from the fiscal host's balance to a connected account; returns its id.

    The idempotency key names exactly one payout (event, organization, run): a repeat of this
    call, from a retried task or a worker killed after Stripe answered, returns the same transfer.
    """
    transfer = client().v1.transfers.create(
        params={
            "amount": amount_cents,
            "currency": currency,
            "destination": destination,
            "transfer_group": group,
            "metadata": {
                METADATA_PAYOUT: str(payout_id),
                METADATA_ORGANIZATION: organization_slug,
                METADATA_INSTANCE: settings.PLEDGEDAY_INSTANCE,
            },
        },
        options={"idempotency_key": idempotency_key},
    )
    return str(transfer.id)


def account_create(*, organization_id: int, email: str, country: str) -> str:
    """A connected account (Express) for a partner; returns acct_…"""
    account = client().v1.accounts.create(
        params={
            "type": "express",
            "country": country,
            "email": email,
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {
                METADATA_ORGANIZATION: str(organization_id),
                METADATA_INSTANCE: settings.PLEDGEDAY_INSTANCE,
            },
        },
        options={"idempotency_key": f"organization-{organization_id}-account"},
    )
    return str(account.id)


def account_link_create(*, account_id: str, refresh_url: str, return_url: str) -> str:
    """Stripe's hosted onboarding page for the account (a short-lived, single-use address)."""
    link = client().v1.account_links.create(
        params={
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        }
    )
    return str(link.url)


def account_ready(account_id: str) -> tuple[bool, bool]:
    """(details submitted, transfers active) for a connected account."""
    account = client().v1.accounts.retrieve(account_id)
    capabilities = account.capabilities.to_dict() if account.capabilities else {}
    return bool(account.details_submitted), capabilities.get("transfers") == "active"
