"""The check before payouts (ledger against Stripe's records) and the issue's "done when": in the
demo, closing the live day produces payouts adding up to the net raised to the cent, a grant
report, statements and exports, and closing again changes nothing.

The check runs against localstripe (its PaymentIntents are faithful; its webhook is switched
off, so a payment can be missing from the ledger) and, for what localstripe cannot say (expanded
charges and their refunds), against the stand-in transport answering Stripe's example objects.
Nothing here ran against Stripe itself."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from donations import services, stripe_api
from donations.demo import demo_live_seed
from donations.models import Allocation, Donation, MatchPledge
from donations.services.payments import Facts
from events.models import Event
from payouts import services as payouts
from payouts.check import ledger_stripe_compare
from payouts.models import AuditEntry, Payout, PayoutRun
from tests.donations import stripe_shapes as shapes
from tests.factories import CardDonationFactory, UserFactory, published_event
from tests.support.stripe_fake import FakeStripe
from tests.support.webhooks import fresh
from volunteers.models import User

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def test_the_check_names_a_payment_the_ledger_lacks_until_it_is_recorded(localstripe: str) -> None:
    from tests.donations.test_localstripe import bucket_on_a_corner

    bucket, _pair = bucket_on_a_corner()
    client = Client()
    client.post(f"/g/{bucket.token}", {"preset": "2500"})
    donation = Donation.objects.latest("pk")
    assert client.post(f"/give/demo-pay/{donation.public_token}/").status_code == 303
    event = bucket.event
    comparison = ledger_stripe_compare(event)  # paid at Stripe, no webhook came: not in the ledger
    [difference] = comparison.differences
    assert difference.donation_id == donation.pk
    assert difference.payment_intent_id == fresh(donation).stripe_payment_intent_id
    assert "Stripe took $25.00; the ledger counts no gift for it." in difference.what
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED, closed_at=NOW)
    run = payouts.payouts_compute(event_id=event.pk, now=NOW)
    with pytest.raises(payouts.PayoutRefused):
        payouts.payouts_approve(run=run, by=UserFactory(), now=NOW)
    assert PayoutRun.objects.get(pk=run.pk).approved_at is None
    services.payments_reconcile(now=timezone.now(), hours=1)  # the beat finds it
    comparison = ledger_stripe_compare(event)
    assert comparison.agrees
    assert comparison.compared == 1
    follow_up = payouts.payouts_compute(event_id=event.pk, now=NOW)
    assert follow_up is not None  # the missed gift arrives in a follow-up
    assert payouts.payouts_approve(run=follow_up, by=UserFactory(), now=NOW).approved_at


def test_the_check_names_a_ledger_gift_stripe_never_took(localstripe: str) -> None:
    event = published_event()
    ghost = services.donation_observe(
        donation_id=CardDonationFactory(event=event, stripe_payment_intent_id="pi_ghost").pk,
        facts=Facts(paid=True),
        now=NOW,
    )
    [difference] = ledger_stripe_compare(event).differences
    assert (difference.donation_id, difference.payment_intent_id) == (ghost.pk, "pi_ghost")
    assert "Stripe has no succeeded payment for it" in difference.what


def test_the_check_compares_amounts_and_refunds_with_stripes_charges(
    fake_stripe: FakeStripe,
) -> None:
    event = published_event()
    right, wrong_amount, refunded = (
        services.donation_observe(
            donation_id=CardDonationFactory(event=event, amount_cents=amount).pk,
            facts=Facts(paid=True),
            now=NOW,
        )
        for amount in (2_500, 3_000, 4_000)
    )
    Donation.objects.filter(pk=refunded.pk).update(refunded_cents=1_000)

    def intent(gift: Donation, received: int, charge_refunded: int) -> dict:
        return shapes.payment_intent(
            gift, amount_received=received, created=int(timezone.now().timestamp()) + 1,
            latest_charge=shapes.charge(gift, amount_refunded=charge_refunded),
        )  # fmt: skip

    fake_stripe.answer(
        "get",
        "/v1/payment_intents",
        {
            "object": "list", "url": "/v1/payment_intents", "has_more": False,
            "data": [intent(right, 2_500, 0), intent(wrong_amount, 2_000, 0),
                     intent(refunded, 4_000, 500)],
        },
    )  # fmt: skip
    comparison = ledger_stripe_compare(event)
    assert comparison.compared == 3
    found = {d.donation_id: d.what for d in comparison.differences}
    assert found == {
        wrong_amount.pk: "Stripe took $20.00; the ledger counts $30.00.",
        refunded.pk: "Stripe refunded $5.00; the ledger $10.00.",
    }
    [listing] = fake_stripe.calls("get", "/v1/payment_intents")
    assert listing["params"]["expand[0]"] == "data.latest_charge"
    assert "created[gte]" in listing["params"]


def test_closing_the_demo_live_day_pays_the_net_raised_and_closing_again_changes_nothing(
    localstripe: str, django_capture_on_commit_callbacks
) -> None:
    assert stripe_api.is_local()
    event = demo_live_seed(now=timezone.now())
    pledge = MatchPledge.objects.filter(event=event).first()
    services.match_pledge_receive(pledge=pledge, amount_cents=pledge.allotted_cents, now=NOW)
    lead = User.objects.get(email="organizer@pledgeday.test")
    client = Client()
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/organize/{event.slug}/close/", {"confirm": event.slug})
    run = PayoutRun.objects.get(event=event)
    ledger = Allocation.objects.filter(event=event).aggregate(s=Sum("amount_cents"))["s"]
    matched = pledge.allotted_cents
    assert ledger > 0
    assert run.matched_cents == matched
    assert run.net_raised_cents == ledger + matched
    assert sum(run.payouts.values_list("amount_cents", flat=True)) == ledger + matched
    assert event.partners.count() == run.payouts.count()
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(f"/organize/payout-runs/{run.pk}/approve/", follow=True)
    assert "Approved." in approved.content.decode()
    for line in run.payouts.filter(status=Payout.Status.PENDING):
        client.post(
            f"/organize/payouts/{line.pk}/paid/",
            {"paid_on": NOW.date().isoformat(), "method": "bank", "reference": f"ACH-{line.pk}"},
        )
    assert not run.payouts.filter(status=Payout.Status.PENDING).exists()
    assert client.get(f"/organize/payout-runs/{run.pk}/grants/").status_code == 200
    for partner in event.partners.select_related("organization"):
        url = f"/partners/{partner.organization.slug}/{event.slug}/statement"
        assert client.get(f"{url}/").status_code == 200
        assert client.get(f"{url}.csv").status_code == 200
    for what in ("gifts", "allocations", "roster", "payouts"):
        response = client.get(f"/organize/{event.slug}/export/{what}.csv")
        assert response.status_code == 200
        assert len(b"".join(response.streaming_content).splitlines()) > 1
    before = (PayoutRun.objects.count(), Payout.objects.count(), AuditEntry.objects.count(),
              Allocation.objects.count())  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/organize/{event.slug}/close/", {"confirm": event.slug})
    assert payouts.payouts_compute(event_id=event.pk, now=timezone.now()) is None
    assert payouts.payouts_scan(now=timezone.now()) == {}
    after = (PayoutRun.objects.count(), Payout.objects.count(), AuditEntry.objects.count(),
             Allocation.objects.count())  # fmt: skip
    assert after == before
