"""The Stripe webhook, against recorded Stripe shapes (not a running Stripe).

Every payload here is built from Stripe's published example objects and signed the way Stripe
signs webhooks; the real `stripe.Webhook.construct_event` verifies it inside the real view.
"""

from __future__ import annotations

import random
import time

import pytest
from django.db import OperationalError
from django.test import Client

from donations import services
from donations.models import Donation, LedgerEntry, StripeEvent
from donations.services import webhook
from tests.donations import stripe_shapes as shapes
from tests.factories import CardDonationFactory
from tests.support.webhooks import URL, deliver, fresh, ledger_sum, refunded, succeeded

pytestmark = pytest.mark.django_db


def net(donation: Donation) -> int:
    return services.net_cents(fresh(donation))


def test_a_bad_signature_is_refused_and_nothing_is_stored(client: Client) -> None:
    donation = CardDonationFactory()
    status, _body = deliver(client, succeeded(donation), secret="whsec_wrong")
    assert status == 400
    assert not StripeEvent.objects.exists()
    assert fresh(donation).status == Donation.Status.PENDING


def test_a_stale_signature_is_refused(client: Client) -> None:
    donation = CardDonationFactory()
    status, _body = deliver(client, succeeded(donation), at=int(time.time()) - 3600)
    assert status == 400
    assert not StripeEvent.objects.exists()


def test_a_body_that_is_not_json_is_refused(client: Client) -> None:
    response = client.post(
        URL, b"not json", content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=00"
    )
    assert response.status_code == 400


def test_a_succeeded_payment_marks_the_gift_and_records_its_net_once(
    client: Client, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    donation = CardDonationFactory(donor_email="donor@example.org", fee_cents=106)
    with django_capture_on_commit_callbacks(execute=True):
        status, body = deliver(client, succeeded(donation))
    assert status == 200, body
    assert fresh(donation).status == Donation.Status.SUCCEEDED
    assert list(
        LedgerEntry.objects.filter(donation=donation).values_list("kind", "amount_cents")
    ) == [
        ("gift", 2500)  # 2606 charged, less 2.9% + 30¢ (76 + 30): the intended 2500 arrives
    ]
    assert [m.to for m in mailoutbox] == [["donor@example.org"]]
    assert "No goods or services were provided" in mailoutbox[0].body
    assert donation.event.fiscal_host.tax_id in mailoutbox[0].body


def test_a_repeated_event_is_answered_200_and_changes_nothing(
    client: Client, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    donation = CardDonationFactory(donor_email="donor@example.org")
    payload = succeeded(donation)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, payload)[0] == 200
        assert deliver(client, payload) == (200, "duplicate")
    assert StripeEvent.objects.count() == 1
    assert LedgerEntry.objects.filter(donation=donation).count() == 1
    assert len(mailoutbox) == 1


def test_a_charge_for_another_amount_is_not_taken_as_this_gift(client: Client) -> None:
    donation = CardDonationFactory()
    intent = shapes.payment_intent(donation, amount=1, amount_received=1)
    deliver(client, shapes.event("payment_intent.succeeded", intent))
    assert fresh(donation).status == Donation.Status.PENDING
    assert not LedgerEntry.objects.exists()


def test_a_failed_payment_can_still_succeed_on_a_retry(client: Client) -> None:
    donation = CardDonationFactory()
    deliver(
        client,
        shapes.event(
            "payment_intent.payment_failed",
            shapes.payment_intent(donation, status="requires_payment_method"),
        ),
    )
    assert fresh(donation).status == Donation.Status.FAILED
    deliver(client, succeeded(donation))
    assert fresh(donation).status == Donation.Status.SUCCEEDED


def test_partial_then_full_refunds_write_negative_ledger_steps(client: Client) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation))
    deliver(client, refunded(donation, 1000))
    assert fresh(donation).status == Donation.Status.PARTIALLY_REFUNDED
    deliver(client, refunded(donation, 1000, 1500))
    assert fresh(donation).status == Donation.Status.REFUNDED
    assert ledger_sum(donation) == net(donation) - 2500


def test_a_refund_arriving_before_the_payment_converges(client: Client) -> None:
    donation = CardDonationFactory()
    deliver(client, refunded(donation, 1000))
    deliver(client, succeeded(donation))
    assert fresh(donation).status == Donation.Status.PARTIALLY_REFUNDED
    assert fresh(donation).refunded_cents == 1000
    assert ledger_sum(donation) == net(donation) - 1000


def test_an_older_refund_event_arriving_late_changes_nothing(client: Client) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation))
    deliver(client, refunded(donation, 1000, 1500))
    deliver(client, refunded(donation, 1000))
    assert fresh(donation).status == Donation.Status.REFUNDED
    assert ledger_sum(donation) == net(donation) - 2500


def test_a_lost_dispute_takes_the_money_back_out(client: Client) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation))
    deliver(
        client,
        shapes.event("charge.dispute.created", shapes.dispute(donation, status="needs_response")),
    )
    assert fresh(donation).status == Donation.Status.DISPUTED
    deliver(client, shapes.event("charge.dispute.closed", shapes.dispute(donation, status="lost")))
    assert fresh(donation).status == Donation.Status.DISPUTE_LOST
    assert ledger_sum(donation) == net(donation) - 2500


@pytest.mark.parametrize("refund_first", [True, False])
def test_a_lost_dispute_and_a_refund_in_either_order_take_out_the_charge_once(
    client: Client, refund_first: bool
) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation))
    lost = shapes.event("charge.dispute.closed", shapes.dispute(donation, status="lost"))
    steps = [refunded(donation, 500), lost] if refund_first else [lost, refunded(donation, 500)]
    for payload in steps:
        deliver(client, payload)
    assert fresh(donation).status == Donation.Status.DISPUTE_LOST
    assert ledger_sum(donation) == net(donation) - 2500


def test_a_dispute_on_an_unpaid_gift_does_not_mark_it_paid(
    client: Client, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    donation = CardDonationFactory(donor_email="donor@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            client,
            shapes.event(
                "charge.dispute.created", shapes.dispute(donation, status="needs_response")
            ),
        )
    assert fresh(donation).status == Donation.Status.PENDING
    assert fresh(donation).succeeded_at is None
    assert not LedgerEntry.objects.exists()
    assert mailoutbox == []


def test_a_won_dispute_closing_before_its_opening_arrives_stays_won(client: Client) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation))
    deliver(client, shapes.event("charge.dispute.closed", shapes.dispute(donation, status="won")))
    deliver(
        client,
        shapes.event("charge.dispute.created", shapes.dispute(donation, status="needs_response")),
    )
    assert fresh(donation).status == Donation.Status.SUCCEEDED
    assert ledger_sum(donation) == net(donation)


def test_an_expired_checkout_cancels_a_pending_gift_but_never_a_paid_one(client: Client) -> None:
    pending, paid = CardDonationFactory(), CardDonationFactory()
    deliver(client, succeeded(paid))
    for donation in (pending, paid):
        deliver(
            client,
            shapes.event("checkout.session.expired", shapes.checkout_session_expired(donation)),
        )
    assert fresh(pending).status == Donation.Status.CANCELED
    assert fresh(paid).status == Donation.Status.SUCCEEDED


def test_types_outside_the_allow_list_are_stored_and_ignored(client: Client) -> None:
    status, body = deliver(client, shapes.event("customer.created", shapes.shape("customer")))
    assert (status, body) == (200, "ignored type")


def test_a_transient_failure_answers_503_and_the_retry_is_applied(
    client: Client, monkeypatch
) -> None:
    donation = CardDonationFactory()
    payload = succeeded(donation)
    real = webhook.donation_observe

    def database_hiccup(**kwargs):
        raise OperationalError("could not serialize access")

    monkeypatch.setattr(webhook, "donation_observe", database_hiccup)
    assert deliver(client, payload)[0] == 503
    assert not StripeEvent.objects.filter(processed_at__isnull=False).exists()
    monkeypatch.setattr(webhook, "donation_observe", real)
    assert deliver(client, payload)[0] == 200
    assert fresh(donation).status == Donation.Status.SUCCEEDED


def lifecycle(donation: Donation) -> list[dict]:
    return [
        shapes.event(
            "payment_intent.payment_failed",
            shapes.payment_intent(donation, status="requires_payment_method"),
        ),
        succeeded(donation),
        refunded(donation, 500),
        refunded(donation, 500, 1000),
        shapes.event("charge.dispute.created", shapes.dispute(donation, status="needs_response")),
        shapes.event("charge.dispute.closed", shapes.dispute(donation, status="won")),
    ]


def test_every_event_three_times_shuffled_converges_on_one_final_state(client: Client) -> None:
    random.seed(20261122)
    donations = [CardDonationFactory() for _ in range(3)]
    deliveries = [event for d in donations for event in lifecycle(d)] * 3
    random.shuffle(deliveries)
    for payload in deliveries:
        assert deliver(client, payload)[0] == 200
    for donation in donations:
        final = fresh(donation)
        assert final.status == Donation.Status.PARTIALLY_REFUNDED
        assert final.refunded_cents == 1500
        assert ledger_sum(donation) == net(donation) - 1500
        assert LedgerEntry.objects.filter(donation=donation, kind="gift").count() == 1
    assert StripeEvent.objects.count() == 18


def test_no_receipt_for_a_gift_refunded_before_the_receipt_went_out(
    client: Client, mailoutbox
) -> None:
    from donations.tasks import donation_receipt_send

    donation = CardDonationFactory(donor_email="donor@example.org")
    deliver(client, succeeded(donation))  # the receipt task is queued on commit, not yet run
    deliver(client, refunded(donation, 2500))
    assert donation_receipt_send(donation.pk) == "not due"
    assert fresh(donation).receipt_status == Donation.ReceiptStatus.NONE
    assert mailoutbox == []


def test_a_receipt_shows_what_was_kept_after_a_partial_refund(client: Client, mailoutbox) -> None:
    from donations.tasks import donation_receipt_send

    donation = CardDonationFactory(donor_email="donor@example.org")
    deliver(client, succeeded(donation))
    deliver(client, refunded(donation, 1000))
    assert donation_receipt_send(donation.pk) == "sent"
    assert "$15.00" in mailoutbox[0].body
    assert donation_receipt_send(donation.pk) == "not due"  # once
    assert len(mailoutbox) == 1
