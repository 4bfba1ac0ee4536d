"""Cases a review of the payouts found (issue 9): a run nobody approved is replaced, never paid
alongside its follow-up; an out-of-date run cannot be approved; a change committed after a
computation is still noticed; the check accepts payments settled another way and names
disputes, currencies and fees still being asked for; one day whose books disagree does not stop
the others; a partner given only cash bears no fee."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from donations import services
from donations.models import Allocation, Donation, StripeEvent
from donations.services.payments import Facts
from donations.stripe_api import RefundInfo
from events import services as event_services
from events.models import Event
from payouts import services as payouts
from payouts.check import Comparison, ledger_stripe_compare
from payouts.models import Payout
from payouts.owed import owed_compute
from tests.donations import stripe_shapes as shapes
from tests.factories import (
    CardDonationFactory,
    EventFactory,
    OrganizationFactory,
    UserFactory,
    published_event,
)
from tests.support.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db
NOW = timezone.now()
P = Payout.Status


def agrees(_event: Event) -> Comparison:
    return Comparison(compared=1)


def paid(event: Event, amount: int, **fields: object) -> Donation:
    gift = CardDonationFactory(event=event, amount_cents=amount, **fields)
    return services.donation_observe(donation_id=gift.pk, facts=Facts(paid=True), now=NOW)


def closed(event: Event) -> Event:
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED, closed_at=NOW)
    return Event.objects.get(pk=event.pk)


def test_a_refund_before_approval_replaces_the_run_instead_of_overpaying() -> None:
    event = published_event()
    first, _second = (p.organization for p in event.partners.order_by("organization_id"))
    gift = paid(event, 10_000, designated_to=first)  # net 9,680
    run = payouts.payouts_compute(event_id=closed(event).pk, now=NOW)
    services.donation_observe(
        donation_id=gift.pk,
        facts=Facts(refunds=[RefundInfo("re_early", 2_000, "succeeded")]),
        now=NOW,
    )
    with pytest.raises(ValidationError, match="changed since this run"):
        payouts.payouts_approve(run=run, by=UserFactory(), now=NOW, compare=agrees)
    follow_up = payouts.payouts_compute(event_id=event.pk, now=NOW)
    assert run.payouts.get(organization=first).status == P.CARRIED  # replaced, never paid
    line = follow_up.payouts.get(organization=first)
    assert (line.amount_cents, line.previously_cents) == (7_680, 0)
    with pytest.raises(ValidationError, match="replaces this one"):
        payouts.payouts_approve(run=run, by=UserFactory(), now=NOW, compare=agrees)
    payouts.payouts_approve(run=follow_up, by=UserFactory(), now=NOW, compare=agrees)
    pending = Payout.objects.filter(event=event, status=P.PENDING)
    assert sum(pending.values_list("amount_cents", flat=True)) == 7_680


def test_the_follow_up_check_reads_the_tallies_not_the_highest_id() -> None:
    event = published_event()
    gift = paid(event, 10_000)
    run = payouts.payouts_compute(event_id=closed(event).pk, now=NOW)
    assert not payouts.follow_up_due(run)
    # A write whose ids are older than what the run saw (it committed later) still counts.
    services.donation_observe(
        donation_id=gift.pk,
        facts=Facts(refunds=[RefundInfo("re_late", 500, "succeeded")]),
        now=NOW,
    )
    for number, pk in enumerate(
        Allocation.objects.filter(donation=gift, kind="refund").values_list("pk", flat=True), 1
    ):  # older than any id seen
        Allocation.objects.filter(pk=pk).update(id=-number)  # fmt: skip
    assert payouts.follow_up_due(run)
    assert payouts.payouts_compute(event_id=event.pk, now=NOW).number == 2


def test_the_same_money_written_another_way_needs_no_follow_up() -> None:
    event = published_event()
    paid(event, 10_000)
    run = payouts.payouts_compute(event_id=closed(event).pk, now=NOW)
    from donations.models import MatchPledge

    pledge = MatchPledge.objects.create(event=event, sponsor="Late", cap_cents=100, created_at=NOW)
    services.match_pledge_receive(pledge=pledge, amount_cents=50, now=NOW)  # matched nothing
    assert payouts.follow_up_due(run)
    assert payouts.payouts_compute(event_id=event.pk, now=NOW) is None  # nobody is owed more
    run.refresh_from_db()
    assert not payouts.follow_up_due(run)  # and the scan stops asking


def test_one_day_whose_books_disagree_does_not_stop_the_others(caplog) -> None:
    broken, fine = published_event(), published_event()
    paid(broken, 10_000)
    paid(fine, 5_000)
    closed(broken)
    closed(fine)
    Allocation.objects.filter(event=broken).update(amount_cents=1)  # the allocations drifted
    with caplog.at_level("ERROR", logger="pledgeday.alerts"):
        counts = payouts.payouts_scan(now=NOW)
    assert counts == {"refused": 1, "runs": 1}
    assert f"Payouts of {broken.slug} not computed" in caplog.text
    assert fine.payout_runs.count() == 1
    assert broken.payout_runs.count() == 0


def test_a_partner_given_only_cash_and_checks_bears_no_fee() -> None:
    event = EventFactory()
    partners = [OrganizationFactory() for _ in range(3)]
    event_services.event_partners_replace(
        event=event, shares=list(zip(partners, (3333, 3333, 3334), strict=True))
    )
    event = event_services.event_publish(event=event)
    for amount in (1_001, 2_003, 707):
        services.check_record(
            event=event, amount_cents=amount, donor_name="R", check_number=str(amount),
            donor_email="", designated_to=None, by=UserFactory(), now=NOW,
        )  # fmt: skip
    paid(event, 10_000, designated_to=partners[0])
    owed = owed_compute(closed(event))
    assert [owed.shares[p.pk].fees_cents for p in partners] == [320, 0, 0]
    assert all(share.fees_cents >= 0 for share in owed.shares.values())


# --- The check before paying, against Stripe-shaped payments ------------------------------------


def listing(*intents: dict) -> dict:
    return {
        "object": "list",
        "url": "/v1/payment_intents",
        "has_more": False,
        "data": list(intents),
    }


def intent(gift: Donation, **fields: object) -> dict:
    return shapes.payment_intent(gift, created=int(timezone.now().timestamp()) + 1, **fields)


def test_the_check_accepts_a_second_payment_refunded_or_resolved(fake_stripe: FakeStripe) -> None:
    event = published_event()
    gift = paid(event, 2_500)
    Donation.objects.filter(pk=gift.pk).update(processor_fee_estimated=False)
    second = {**intent(gift), "id": "pi_second_payment", "latest_charge": shapes.charge(gift)}
    refunded = {**intent(gift), "id": "pi_refunded_payment",
                "latest_charge": shapes.charge(gift, 2_500)}  # fmt: skip
    first = intent(gift, latest_charge=shapes.charge(gift))
    fake_stripe.answer("get", "/v1/payment_intents", listing(first, second, refunded))
    [difference] = ledger_stripe_compare(event).differences
    assert difference.payment_intent_id == "pi_second_payment"
    StripeEvent.objects.create(
        stripe_id="evt_second", type="payment_intent.succeeded", payload={}, received_at=NOW,
        status=StripeEvent.Status.RESOLVED, resolution_kind=StripeEvent.Resolution.DISMISSED,
        payment_intent_id="pi_second_payment", event=event, resolved_at=NOW,
        resolved_by=UserFactory(), resolution="refunded by phone",
    )  # fmt: skip
    assert ledger_stripe_compare(event).agrees


def test_the_check_names_disputes_currencies_and_fees_still_being_asked(
    fake_stripe: FakeStripe,
) -> None:
    event = published_event()
    disputed, euros, fresh_fee = (paid(event, 2_500) for _ in range(3))
    Donation.objects.filter(pk=disputed.pk).update(processor_fee_estimated=False)
    Donation.objects.filter(pk=euros.pk).update(processor_fee_estimated=False)
    Donation.objects.filter(pk=fresh_fee.pk).update(stripe_charge_id="ch_fresh")
    fake_stripe.answer(
        "get",
        "/v1/payment_intents",
        listing(
            intent(disputed, latest_charge=shapes.charge(disputed, disputed=True)),
            intent(euros, currency="eur", latest_charge=shapes.charge(euros)),
            intent(fresh_fee, latest_charge=shapes.charge(fresh_fee)),
        ),
    )
    found = {d.donation_id: d.what for d in ledger_stripe_compare(event).differences}
    assert found == {
        disputed.pk: "Stripe says the payment is disputed; the ledger knows no dispute.",
        euros.pk: "Stripe took EUR; the gift is in USD.",
        fresh_fee.pk: "Stripe's actual fee is not known yet (it usually is within minutes).",
    }
    Donation.objects.filter(pk=fresh_fee.pk).update(succeeded_at=NOW - dt.timedelta(days=4))
    found = {d.donation_id for d in ledger_stripe_compare(event).differences}
    assert fresh_fee.pk not in found  # asked for three days: the estimate stands
