"""Payments no webhook reported (issue 9, reconciliation): the beat asks Stripe for recent
PaymentIntents and records any succeeded one of this site whose gift was never seen paid.

Against localstripe with its webhook switched off (the PaymentIntent path, where it is
faithful); the request the SDK sends to real Stripe (the `created` filter, paging) against the
stand-in transport answering Stripe's example objects. Nothing here ran against Stripe itself.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from donations import services, tasks
from donations.models import Donation, LedgerEntry, StripeEvent
from tests.donations import stripe_shapes as shapes
from tests.factories import CardDonationFactory
from tests.support.stripe_fake import FakeStripe
from tests.support.webhooks import deliver, fresh, ledger_sum, succeeded

pytestmark = pytest.mark.django_db
URL = "/v1/payment_intents"


def paid_without_webhook(client: Client, event_bucket) -> Donation:
    """A gift given and paid on localstripe, whose webhook never comes (none is registered)."""
    client.post(f"/g/{event_bucket.token}", {"preset": "2500"})
    donation = Donation.objects.latest("pk")
    assert client.post(f"/give/demo-pay/{donation.public_token}/").status_code == 303
    assert fresh(donation).status == Donation.Status.PENDING
    return donation


def test_a_payment_whose_webhook_never_came_is_recorded_once(
    localstripe: str, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.donations.test_localstripe import bucket_on_a_corner

    bucket, pair = bucket_on_a_corner()
    client = Client()
    donation = paid_without_webhook(client, bucket)
    assert StripeEvent.objects.count() == 0

    with caplog.at_level("ERROR", logger="pledgeday.alerts"):
        recorded = tasks.payments_reconcile()
    assert recorded == 1
    donation = fresh(donation)
    assert donation.status == Donation.Status.SUCCEEDED
    assert set(donation.volunteers.all()) == set(pair)
    assert ledger_sum(donation) == 2500 - 103  # the fee estimate of the event: 2.9% + 30¢
    record = StripeEvent.objects.get()
    assert record.stripe_id == f"reconcile_{donation.stripe_payment_intent_id}"
    assert record.payload["pledgeday_origin"] == "reconciliation"
    assert record.status == StripeEvent.Status.APPLIED
    # The admins are told (mailed once the transaction commits): the webhook needs a look.
    assert "Stripe payments that arrived without their webhook: 1" in caplog.text

    again = services.payments_reconcile(now=timezone.now())
    assert (again.seen, again.known, again.recorded) == (1, 1, [])
    assert LedgerEntry.objects.filter(donation=donation).count() == 1


def test_the_late_webhook_after_a_reconciliation_changes_nothing(
    localstripe: str, client: Client
) -> None:
    from tests.donations.test_localstripe import bucket_on_a_corner

    bucket, _pair = bucket_on_a_corner()
    donation = paid_without_webhook(Client(), bucket)
    services.payments_reconcile(now=timezone.now())
    net = ledger_sum(donation)
    status, body = deliver(client, succeeded(fresh(donation)))
    assert status == 200, body
    assert ledger_sum(donation) == net
    assert LedgerEntry.objects.filter(donation=donation).count() == 1


def test_payments_of_another_site_unpaid_ones_and_old_ones_are_left_alone(
    fake_stripe: FakeStripe,
) -> None:
    mine = CardDonationFactory(stripe_payment_intent_id="pi_mine")
    unpaid = CardDonationFactory(stripe_payment_intent_id="pi_unpaid")
    now = timezone.now()
    theirs = shapes.payment_intent(mine, id="pi_theirs")
    theirs["metadata"] = {**theirs["metadata"], "pledgeday_instance": "staging.example.org"}
    old = shapes.payment_intent(mine, id="pi_old", created=int(now.timestamp()) - 3 * 86400)
    intents = [
        shapes.payment_intent(mine, created=int(now.timestamp())),
        shapes.payment_intent(unpaid, status="requires_payment_method"),
        {**theirs, "created": int(now.timestamp())},
        old,
    ]
    for intent in intents[1:3]:
        intent["created"] = int(now.timestamp())
    fake_stripe.answer(
        "get",
        "/v1/payment_intents",
        {"object": "list", "url": URL, "data": intents, "has_more": False},
    )
    result = services.payments_reconcile(now=now, hours=48)
    assert (result.seen, result.known) == (1, 0)
    assert fresh(mine).status == Donation.Status.SUCCEEDED
    assert fresh(unpaid).status == Donation.Status.PENDING
    assert StripeEvent.objects.count() == 1
    (call,) = fake_stripe.calls("get", "/v1/payment_intents")
    # Real Stripe is asked only for the window (localstripe refuses the filter).
    assert call["params"]["created[gte]"] == str(int(now.timestamp()) - 48 * 3600)
    assert call["params"]["limit"] == "100"


def test_every_page_is_read(fake_stripe: FakeStripe) -> None:
    now = timezone.now()
    gifts = [CardDonationFactory(stripe_payment_intent_id=f"pi_{n}") for n in range(3)]
    pages = {
        "": [shapes.payment_intent(gifts[0]), shapes.payment_intent(gifts[1])],
        "pi_1": [shapes.payment_intent(gifts[2])],
    }
    for page in pages.values():
        for intent in page:
            intent["created"] = int(now.timestamp())

    def page(request: dict) -> dict:
        after = request["params"].get("starting_after", "")
        return {"object": "list", "url": URL, "data": pages[after], "has_more": after == ""}

    fake_stripe.answer("get", "/v1/payment_intents", page)
    result = services.payments_reconcile(now=now)
    assert len(result.recorded) == 3
    assert [fresh(g).status for g in gifts] == [Donation.Status.SUCCEEDED] * 3
    assert [
        c["params"].get("starting_after") for c in fake_stripe.calls("get", "/v1/payment_intents")
    ] == [None, "pi_1"]


def test_a_missed_payment_that_cannot_be_applied_is_parked_for_finance(
    fake_stripe: FakeStripe,
) -> None:
    """Stripe charged another amount than the gift's: parked, as the webhook would."""
    now = timezone.now()
    gift = CardDonationFactory(stripe_payment_intent_id="pi_other_amount")
    intent = shapes.payment_intent(gift, amount=999, amount_received=999)
    intent["created"] = int(now.timestamp())
    fake_stripe.answer(
        "get",
        "/v1/payment_intents",
        {"object": "list", "url": URL, "data": [intent], "has_more": False},
    )
    result = services.payments_reconcile(now=now)
    assert result.recorded
    assert "parked" in result.recorded[0]
    assert StripeEvent.objects.get().status == StripeEvent.Status.PARKED
    assert fresh(gift).status == Donation.Status.PENDING


def test_the_command_says_what_it_recorded(fake_stripe: FakeStripe) -> None:
    now = timezone.now()
    gift = CardDonationFactory(stripe_payment_intent_id="pi_command")
    intent = shapes.payment_intent(gift)
    intent["created"] = int(now.timestamp())
    fake_stripe.answer(
        "get",
        "/v1/payment_intents",
        {"object": "list", "url": URL, "data": [intent], "has_more": False},
    )
    out = StringIO()
    call_command("payments_reconcile", "--hours", "6", stdout=out)
    assert "pi_command: gift" in out.getvalue()
    assert "in the last 6 hours; 0 already recorded, 1 recorded now." in out.getvalue()
    with pytest.raises(CommandError):
        call_command("payments_reconcile", "--hours", "0")


def test_a_checkout_gift_paid_before_its_payment_intent_was_bound_is_known(
    fake_stripe: FakeStripe,
) -> None:
    """A Checkout gift seen paid (checkout.session.completed) whose PaymentIntent is not bound
    to it: the metadata names it, and it is not recorded again."""
    now = timezone.now()
    gift = CardDonationFactory(
        stripe_payment_intent_id=None, stripe_checkout_session_id="cs_paid", succeeded_at=now
    )
    intent = shapes.payment_intent(gift, id="pi_unbound")
    intent["created"] = int(now.timestamp())
    fake_stripe.answer(
        "get",
        "/v1/payment_intents",
        {"object": "list", "url": URL, "data": [intent], "has_more": False},
    )
    result = services.payments_reconcile(now=now)
    assert (result.seen, result.known, result.recorded) == (1, 1, [])
    assert StripeEvent.objects.count() == 0
