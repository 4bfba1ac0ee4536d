"""Allocations per partner organization and the tallies (issue 8): the split adds up to the cent,
every gift's allocations add up to its net whatever happens to it, and the tallies always equal
what the ledger says."""

from __future__ import annotations

import io
import random

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donations import selectors, services
from donations.models import Allocation, Donation, LedgerEntry, Tally
from donations.services.payments import Facts
from donations.stripe_api import RefundInfo
from events import services as event_services
from events.models import Event
from tests.donations import stripe_shapes as shapes
from tests.factories import (
    BucketFactory,
    CardDonationFactory,
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    published_event,
)
from tests.support.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db


# --- The one split function ---------------------------------------------------------------------


@given(
    amount=st.integers(-(10**9), 10**9),
    weights=st.lists(st.integers(0, 10_000), min_size=1, max_size=8).filter(lambda w: sum(w) > 0),
)
def test_the_split_adds_up_to_the_cent_and_each_part_is_within_a_cent_of_its_share(
    amount: int, weights: list[int]
) -> None:
    keyed = list(enumerate(weights))
    parts = services.split_cents(amount, keyed)
    assert sum(cents for _key, cents in parts) == amount
    total = sum(weights)
    for (_key, cents), weight in zip(parts, weights, strict=True):
        exact = amount * weight / total
        assert abs(cents - exact) < 1
    assert parts == services.split_cents(amount, keyed)  # deterministic
    assert [(k, -c) for k, c in parts] == services.split_cents(-amount, keyed)  # mirrored


def test_a_tie_goes_to_the_earlier_partner() -> None:
    assert services.split_cents(100, [(7, 1), (8, 1), (9, 1)]) == [(7, 34), (8, 33), (9, 33)]
    assert services.split_cents(2397, [(1, 6000), (2, 4000)]) == [(1, 1438), (2, 959)]


# --- Allocations of real gifts -------------------------------------------------------------------


def paid(donation: Donation, **facts: object) -> Donation:
    return services.donation_observe(
        donation_id=donation.pk, facts=Facts(paid=True, **facts), now=timezone.now()
    )


def by_organization(donation: Donation) -> dict[int, int]:
    return dict(
        Allocation.objects.filter(donation=donation)
        .values_list("organization_id")
        .annotate(total=Sum("amount_cents"))
    )


def test_a_shared_gift_is_split_by_the_partner_shares() -> None:
    event = published_event()  # shares 60% and 40%
    first, second = (p.organization_id for p in event.partners.order_by("organization_id"))
    gift = paid(CardDonationFactory(event=event))
    assert by_organization(gift) == {first: 1438, second: 959}  # net 2397
    assert not Allocation.objects.filter(donation=gift, designated=True).exists()


def test_a_designated_gift_goes_to_its_partner_alone() -> None:
    event = published_event()
    partner = event.partners.order_by("organization_id").last().organization
    gift = paid(CardDonationFactory(event=event, designated_to=partner))
    assert by_organization(gift) == {partner.pk: 2397}
    assert Allocation.objects.get(donation=gift).designated


def test_a_donor_split_among_chosen_partners_is_equal_parts() -> None:
    event = EventFactory()
    partners = [OrganizationFactory() for _ in range(4)]
    event_services.event_partners_replace(event=event, shares=[(p, 2500) for p in partners])
    event_services.event_publish(event=event)
    chosen = sorted(partners[:3], key=lambda p: p.pk)
    gift = CardDonationFactory(event=event, amount_cents=1000)
    gift.split_among.set(chosen)
    gift = paid(gift)
    net = 1000 - (1000 * 290 + 5000) // 10000 - 30
    assert by_organization(gift) == {chosen[0].pk: 314, chosen[1].pk: 314, chosen[2].pk: 313}
    assert sum(by_organization(gift).values()) == net == 941


def test_the_give_page_takes_a_split_among_two_or_three_partners(
    client: Client, fake_stripe: FakeStripe
) -> None:
    fake_stripe.answer(
        "post",
        "/v1/checkout/sessions",
        shapes.shape("checkout.session", id="cs_split", url="https://checkout.stripe.com/x"),
    )
    event = EventFactory()
    partners = [OrganizationFactory() for _ in range(4)]
    event_services.event_partners_replace(event=event, shares=[(p, 2500) for p in partners])
    event_services.event_publish(event=event)
    bucket = BucketFactory(event=event)
    page = client.get(f"/events/{event.slug}/give/").content.decode()  # the bucket is not out
    assert 'name="split_among"' in page
    one = client.post(f"/g/{bucket.token}", {"preset": "1000", "split_among": [partners[0].pk]})
    assert "Choose two or three partners" in one.content.decode()
    client.post(
        f"/g/{bucket.token}", {"preset": "1000", "split_among": [p.pk for p in partners[:2]]}
    )
    donation = Donation.objects.get()
    assert sorted(donation.split_among.values_list("pk", flat=True)) == sorted(
        p.pk for p in partners[:2]
    )


# --- The invariant, whatever happens to a gift (hypothesis) -------------------------------------


@st.composite
def lives(draw: st.DrawFn) -> dict:
    partners = draw(st.integers(2, 4))
    cuts = sorted(
        draw(
            st.lists(
                st.integers(1, 9999), min_size=partners - 1, max_size=partners - 1, unique=True
            )
        )
    )
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    return {
        "shares": shares,
        "amount": draw(st.integers(500, 500_000)),
        "cover": draw(st.booleans()),
        "refunds": draw(st.lists(st.integers(1, 100), max_size=3)),
        "failed": draw(st.sets(st.integers(0, 2), max_size=2)),
        "dispute": draw(st.sampled_from(["", "needs_response", "won", "lost"])),
        "fee": draw(st.one_of(st.none(), st.integers(0, 5000))),
        "designated": draw(st.booleans()),
    }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(life=lives())
def test_a_gifts_allocations_add_up_to_its_net_after_every_write(life: dict) -> None:
    event = EventFactory()
    organizations = [OrganizationFactory() for _ in life["shares"]]
    event_services.event_partners_replace(
        event=event, shares=list(zip(organizations, life["shares"], strict=True))
    )
    event_services.event_publish(event=event)
    fee = (life["amount"] * 3 // 100 + 31) if life["cover"] else 0
    donation = CardDonationFactory(
        event=event,
        amount_cents=life["amount"],
        fee_cents=fee,
        designated_to=organizations[-1] if life["designated"] else None,
    )
    now = timezone.now()

    def check() -> None:
        gift = Donation.objects.get(pk=donation.pk)
        entries = LedgerEntry.objects.filter(donation=gift)
        net = entries.aggregate(s=Sum("amount_cents"))["s"] or 0
        allocated = Allocation.objects.filter(donation=gift).aggregate(s=Sum("amount_cents"))
        assert (allocated["s"] or 0) == net
        for entry in entries:
            assert entry.allocations.aggregate(s=Sum("amount_cents"))["s"] == entry.amount_cents
        assert services.tallies_reconcile(event=event, repair=False) == []

    total = donation.total_cents
    services.donation_observe(donation_id=donation.pk, facts=Facts(paid=True), now=now)
    check()
    refunds, left = [], total
    for number, percent in enumerate(life["refunds"], 1):
        amount = min(left, max(1, total * percent // 100))
        if amount <= 0:
            break
        left -= amount
        refunds.append(RefundInfo(f"re_{donation.pk}_{number}", amount, "succeeded"))
        services.donation_observe(
            donation_id=donation.pk, facts=Facts(refunds=list(refunds)), now=now
        )
        check()
    for index in life["failed"]:
        if index < len(refunds):
            failed = RefundInfo(
                refunds[index].stripe_refund_id, refunds[index].amount_cents, "failed"
            )
            services.donation_observe(
                donation_id=donation.pk, facts=Facts(refunds=[failed]), now=now
            )
            check()
    if life["fee"] is not None:
        Donation.objects.filter(pk=donation.pk).update(
            processor_fee_cents=life["fee"], processor_fee_estimated=False
        )
        with transaction.atomic():
            services.ledger_settle(
                Donation.objects.select_for_update().get(pk=donation.pk), now=now
            )
        check()
    if life["dispute"]:
        services.donation_observe(
            donation_id=donation.pk, facts=Facts(dispute_status=life["dispute"]), now=now
        )
        check()


# --- Tallies ------------------------------------------------------------------------------------


def test_the_tallies_of_a_day_read_in_a_constant_number_of_rows(django_assert_num_queries) -> None:
    event = published_event()
    for _ in range(30):
        paid(CardDonationFactory(event=event))
    assert Tally.objects.filter(event=event, scope="event").count() <= Tally.SLOTS
    with django_assert_num_queries(1):
        totals = selectors.event_tally(event=event)
    assert totals["raised_cents"] == 30 * 2397
    assert totals["gifts"] == totals["card_gifts"] == 30
    assert totals["gross_cents"] == 30 * 2500


def test_tallies_follow_cash_checks_voids_corners_pairs_and_buckets() -> None:
    event = published_event()
    finance = MembershipFactory(event=event, role="finance").user
    check, _new = services.check_record(
        event=event, amount_cents=25_000, donor_name="Ana", check_number="1", donor_email="",
        designated_to=None, by=finance, now=timezone.now(),
    )  # fmt: skip
    services.donation_void(donation=check, by=finance, reason="twice", now=timezone.now())
    bucket = BucketFactory(event=event)
    card = paid(CardDonationFactory(event=event, bucket=bucket, credit_key="3-7"))
    totals = selectors.event_tally(event=event)
    assert (totals["gifts"], totals["check_gifts"], totals["check_cents"]) == (1, 0, 0)
    assert totals["raised_cents"] == 2397
    assert (
        selectors.tallies_by_key(event=event, scope="bucket")[str(bucket.pk)]["raised_cents"]
        == 2397
    )
    assert selectors.tallies_by_key(event=event, scope="pair")["3-7"]["raised_cents"] == 2397
    organizations = selectors.tallies_by_key(event=event, scope="org")
    assert sum(t["raised_cents"] for t in organizations.values()) == totals["raised_cents"]
    assert card.credit_key == "3-7"


def test_reconcile_reports_drift_exits_non_zero_and_repairs_it() -> None:
    event = published_event()
    paid(CardDonationFactory(event=event))
    call_command("tallies_reconcile", stdout=io.StringIO())  # no drift: exits normally
    Tally.objects.filter(event=event, scope="event").update(raised_cents=0)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("tallies_reconcile", stdout=out, stderr=io.StringIO())
    assert exited.value.code == 1
    assert f"{event.slug} event - raised_cents: tally 0, ledger 2397" in out.getvalue()
    call_command("tallies_reconcile", "--repair", stdout=io.StringIO())
    assert selectors.event_tally(event=event)["raised_cents"] == 2397
    assert services.tallies_reconcile(event=event, repair=False) == []


def test_the_nightly_reconcile_alerts_on_drift(
    mailoutbox, settings, django_capture_on_commit_callbacks
) -> None:
    from donations.tasks import tallies_reconcile

    settings.ADMINS = [("Ops", "ops@example.org")]
    event = published_event()
    paid(CardDonationFactory(event=event))
    assert tallies_reconcile() == 0
    Tally.objects.filter(event=event, scope="org").update(gifts=99)
    with django_capture_on_commit_callbacks(execute=True):
        assert tallies_reconcile() == 1
    assert any("drifted from the ledger" in m.subject for m in mailoutbox)


def test_many_gifts_in_random_order_keep_every_tally_exact() -> None:
    random.seed(8)
    event = published_event()
    bucket = BucketFactory(event=event)
    gifts = [
        paid(
            CardDonationFactory(event=event, bucket=bucket, amount_cents=random.randint(500, 9000))
        )
        for _ in range(25)
    ]
    for gift in random.sample(gifts, 8):
        refund = RefundInfo(f"re_{gift.pk}", random.randint(1, gift.total_cents), "succeeded")
        services.donation_observe(
            donation_id=gift.pk, facts=Facts(refunds=[refund]), now=timezone.now()
        )
    assert services.tallies_reconcile(event=event, repair=False) == []
    assert (
        selectors.event_tally(event=event)["raised_cents"]
        == LedgerEntry.objects.filter(donation__event=event).aggregate(s=Sum("amount_cents"))["s"]
    )
    assert Event.objects.get(pk=event.pk)
