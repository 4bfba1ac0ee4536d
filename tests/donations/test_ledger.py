"""The ledger adds up to the cent, never silently skips an entry, nets each gift by the fee it
was given under, and converges whatever the order of Stripe's events (issue 7, scenarios 4, 9
and 19; hypothesis explores orders and repeats)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donations import services
from donations.models import Donation, LedgerEntry, Refund, StripeEvent
from events.models import Event
from events.money import fee_estimate_cents
from tests.donations import stripe_shapes as shapes
from tests.factories import CardDonationFactory, MembershipFactory, published_event
from tests.support.stripe_fake import FakeStripe
from tests.support.webhooks import deliver, fresh, ledger_sum, refunded, succeeded

pytestmark = pytest.mark.django_db
K = LedgerEntry.Kind


def net_at_290_and_30(total: int) -> int:
    return total - fee_estimate_cents(total, fee_bp=290, fixed_cents=30)


# --- 4. Nothing on the money path swallows a refusal --------------------------------------------


def test_a_ledger_entry_the_database_refuses_is_not_skipped_in_silence(
    client: Client, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    donation = CardDonationFactory()
    # A hand-edited ledger: an entry already holds the key the gift's entry needs.
    LedgerEntry.objects.create(
        donation=donation, kind=K.FEE, key="gift", amount_cents=0, created_at=timezone.now()
    )
    with (
        override_settings(ADMINS=[("Ops", "ops@example.org")]),
        django_capture_on_commit_callbacks(execute=True),
    ):
        status, _body = deliver(client, succeeded(donation))
    assert status == 500  # Stripe retries; nothing acknowledged with a wrong ledger
    assert fresh(donation).status == Donation.Status.PENDING  # the whole change rolled back
    assert ledger_sum(donation) == 0
    assert StripeEvent.objects.get().status == StripeEvent.Status.RECEIVED
    assert "[Pledgeday] A Stripe event broke an invariant of the money path" in [
        m.subject for m in mailoutbox
    ]


def test_a_repeated_ledger_key_raises() -> None:
    donation = CardDonationFactory()
    Donation.objects.filter(pk=donation.pk).update(
        status=Donation.Status.SUCCEEDED, succeeded_at=timezone.now()
    )
    LedgerEntry.objects.create(
        donation=donation, kind=K.FEE, key="gift", amount_cents=0, created_at=timezone.now()
    )
    with pytest.raises(IntegrityError):
        services.ledger_settle(fresh(donation), now=timezone.now())


def test_refund_steps_that_come_back_to_an_earlier_total_are_all_written(
    client: Client,
) -> None:
    """A refund that fails and a new one of the same amount bring the refunded total back to
    a value it had before: every step is a new entry (the old keys repeated there)."""
    donation = CardDonationFactory()
    deliver(client, succeeded(donation))
    deliver(client, refunded(donation, 500))
    failed = shapes.refund(donation, 500, number=1, status="failed")
    deliver(client, shapes.event("charge.refund.updated", failed))
    deliver(client, shapes.event("refund.created", shapes.refund(donation, 500, number=2)))
    gift = fresh(donation)
    assert gift.refunded_cents == 500
    assert ledger_sum(gift) == net_at_290_and_30(2500) - 500
    assert list(
        LedgerEntry.objects.filter(donation=donation).values_list("kind", "amount_cents")
    ) == [(K.GIFT, net_at_290_and_30(2500)), (K.REFUND, -500), (K.REFUND, 500), (K.REFUND, -500)]


# --- 9. A gift is netted by the fee it was given under ----------------------------------------


def test_changing_the_events_fee_after_a_gift_never_re_nets_it(client: Client) -> None:
    donation = CardDonationFactory(fee_cents=106)
    deliver(client, succeeded(donation))
    # Even if the fee settings were changed behind the services' back:
    Event.objects.filter(pk=donation.event_id).update(card_fee_bp=350, card_fee_fixed_cents=50)
    deliver(client, shapes.event("charge.dispute.closed", shapes.dispute(donation, status="lost")))
    gift = fresh(donation)
    fee_at_gift = fee_estimate_cents(2606, fee_bp=290, fixed_cents=30)
    assert (gift.fee_bp, gift.fee_fixed_cents, gift.processor_fee_cents) == (290, 30, fee_at_gift)
    assert gift.processor_fee_estimated is True
    # Lost: the charge goes back, the fee is gone: exactly -fee, no phantom cents.
    assert ledger_sum(gift) == -fee_at_gift
    assert not LedgerEntry.objects.filter(donation=donation, kind=K.FEE).exists()


def test_stripes_actual_fee_replaces_the_estimate_with_one_adjustment(
    client: Client, fake_stripe: FakeStripe
) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation))  # the fee lookup is queued on commit
    charge = shapes.charge(donation)
    charge["balance_transaction"] = shapes.shape(
        "balance_transaction", fee=98, currency="usd", amount=2500, net=2402
    )
    fake_stripe.answer("get", f"/v1/charges/ch_{donation.pk}", charge)
    assert services.donation_processor_fee_fetch(donation_id=donation.pk, now=timezone.now()) == (
        "recorded"
    )
    (call,) = fake_stripe.calls("get", f"/v1/charges/ch_{donation.pk}")
    assert call["params"] == {"expand[0]": "balance_transaction"}
    gift = fresh(donation)
    assert (gift.processor_fee_cents, gift.processor_fee_estimated) == (98, False)
    assert ledger_sum(gift) == 2500 - 98
    fee = LedgerEntry.objects.get(donation=donation, kind=K.FEE)
    assert fee.amount_cents == fee_estimate_cents(2500, fee_bp=290, fixed_cents=30) - 98 == 5
    # Asked again (the beat scan, a retried task): nothing more.
    assert services.donation_processor_fee_fetch(donation_id=donation.pk, now=timezone.now()) == (
        "nothing to fetch"
    )


def test_a_balance_transaction_not_there_yet_keeps_the_estimate(fake_stripe: FakeStripe) -> None:
    donation = CardDonationFactory(stripe_charge_id="ch_pending")
    Donation.objects.filter(pk=donation.pk).update(
        status=Donation.Status.SUCCEEDED, succeeded_at=timezone.now(), processor_fee_cents=103
    )
    fake_stripe.answer(
        "get", "/v1/charges/ch_pending", shapes.shape("charge", balance_transaction=None)
    )
    assert services.donation_processor_fee_fetch(donation_id=donation.pk, now=timezone.now()) == (
        "not known yet"
    )
    assert fresh(donation).processor_fee_estimated is True


def test_the_demo_keeps_the_estimate_because_localstripe_reports_no_fee() -> None:
    donation = CardDonationFactory(stripe_charge_id="ch_local")
    Donation.objects.filter(pk=donation.pk).update(
        status=Donation.Status.SUCCEEDED, succeeded_at=timezone.now()
    )
    assert services.donations_fee_due(now=timezone.now()) == []
    assert services.donation_processor_fee_fetch(donation_id=donation.pk, now=timezone.now()) == (
        "nothing to fetch"
    )


# --- 19. A refund that fails later is recorded, and its money counts again -------------------


def test_a_refund_that_fails_later_gives_the_money_back_to_the_pool(client: Client) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation))
    deliver(client, refunded(donation, 2500))
    assert fresh(donation).status == Donation.Status.REFUNDED
    failed = shapes.refund(
        donation, 2500, number=1, status="failed", failure_reason="expired_or_canceled_card"
    )
    status, body = deliver(client, shapes.event("charge.refund.updated", failed))
    assert (status, body) == (200, f"gift {donation.pk} is succeeded")
    gift = fresh(donation)
    assert (gift.status, gift.refunded_cents) == (Donation.Status.SUCCEEDED, 0)
    assert ledger_sum(gift) == net_at_290_and_30(2500)
    refund = Refund.objects.get()
    assert (refund.status, refund.failure_reason) == ("failed", "expired_or_canceled_card")
    # A late copy of the older charge.refunded cannot bring the refund back.
    deliver(client, refunded(donation, 2500))
    assert fresh(donation).refunded_cents == 0


def test_a_failed_refund_is_listed_for_finance_until_handled(client: Client) -> None:
    donation = CardDonationFactory(donor_email="ana@example.org")
    deliver(client, succeeded(donation))
    deliver(client, refunded(donation, 1000))
    deliver(
        client,
        shapes.event("refund.failed", shapes.refund(donation, 1000, number=1, status="failed")),
    )
    client.force_login(MembershipFactory(event=donation.event, role="finance").user)
    url = f"/organize/{donation.event.slug}/attention/"
    page = client.get(url).content.decode()
    assert "Refunds that failed" in page
    assert f"re_{donation.pk}_1" in page
    refund = Refund.objects.get()
    client.post(f"/organize/refunds/{refund.pk}/handled/", {"note": "Sent a check"})
    refund.refresh_from_db()
    assert refund.handled_note == "Sent a check"
    assert f"re_{donation.pk}_1" not in client.get(url).content.decode()


def test_a_charge_refunded_event_without_its_refund_list_reads_the_refunds_from_stripe(
    client: Client, fake_stripe: FakeStripe
) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation))
    bare = shapes.charge(donation, amount_refunded=700)
    del bare["refunds"]  # newer API versions leave the list out
    listed = {
        "object": "list",
        "data": [shapes.refund(donation, 700, number=1)],
        "has_more": False,
        "url": "/v1/refunds",
    }
    fake_stripe.answer("get", "/v1/refunds", listed)
    deliver(client, shapes.event("charge.refunded", bare))
    (call,) = fake_stripe.calls("get", "/v1/refunds")
    assert call["params"]["payment_intent"] == donation.stripe_payment_intent_id
    assert fresh(donation).refunded_cents == 700


# --- Any order, any repeats: one final state (hypothesis) ----------------------------------------


def _lifecycle(donation: Donation) -> dict[str, dict]:
    return {
        "paid": succeeded(donation),
        "refund 1": refunded(donation, 300),
        "refund 1 and 2": refunded(donation, 300, 700),
        "refund 2 failed": shapes.event(
            "charge.refund.updated", shapes.refund(donation, 700, number=2, status="failed")
        ),
        "dispute opened": shapes.event(
            "charge.dispute.created", shapes.dispute(donation, status="needs_response")
        ),
        "dispute closed": shapes.event(
            "charge.dispute.closed", shapes.dispute(donation, status="won")
        ),
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(order=st.permutations(range(6)), repeats=st.lists(st.integers(0, 5), max_size=4))
def test_any_order_of_events_with_repeats_ends_in_the_same_state_and_ledger(
    client: Client, order: list[int], repeats: list[int]
) -> None:
    event = published_event()
    donation = CardDonationFactory(event=event)
    steps = list(_lifecycle(donation).values())
    for index in [*order, *repeats]:
        assert deliver(client, steps[index])[0] == 200
    gift = fresh(donation)
    assert (gift.status, gift.refunded_cents) == (Donation.Status.PARTIALLY_REFUNDED, 300)
    assert ledger_sum(gift) == net_at_290_and_30(2500) - 300
    assert LedgerEntry.objects.filter(donation=gift, kind=K.GIFT).count() == 1


def test_a_refund_made_before_refunds_were_itemized_is_not_counted_twice(
    client: Client, fake_stripe: FakeStripe
) -> None:
    """Migration 0002 left one "legacy-" row for what was refunded before; the first refund
    event after it reads Stripe's whole list, which replaces that row."""
    donation = CardDonationFactory()
    deliver(client, succeeded(donation))
    now = timezone.now()
    Refund.objects.create(
        donation=donation, stripe_refund_id=f"legacy-{donation.pk}", amount_cents=500,
        status="succeeded", created_at=now, updated_at=now,
    )  # fmt: skip
    Donation.objects.filter(pk=donation.pk).update(
        refunded_cents=500, status=Donation.Status.PARTIALLY_REFUNDED
    )
    services.ledger_settle(fresh(donation), now=now)
    listed = {
        "object": "list",
        "data": [shapes.refund(donation, 500, number=1), shapes.refund(donation, 300, number=2)],
        "has_more": False,
        "url": "/v1/refunds",
    }
    fake_stripe.answer("get", "/v1/refunds", listed)
    deliver(client, refunded(donation, 500, 300))
    gift = fresh(donation)
    assert gift.refunded_cents == 800
    assert sorted(gift.refunds.values_list("stripe_refund_id", flat=True)) == [
        f"re_{donation.pk}_1",
        f"re_{donation.pk}_2",
    ]
    assert ledger_sum(gift) == net_at_290_and_30(2500) - 800
