"""Closing a pledge day and its payouts (issue 9): the arithmetic adds up to the net raised to
the cent whatever happened to the gifts (hypothesis), follow-ups carry late gifts and refunds,
running the close again changes nothing, a paid payout and the audit trail never change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donations import services
from donations.models import Allocation, Donation, MatchPledge
from donations.services.payments import Facts
from donations.stripe_api import RefundInfo
from events import services as event_services
from events.models import Event, Organization
from payouts import services as payouts
from payouts.check import Comparison, Difference
from payouts.models import AuditEntry, Payout, PayoutRun
from payouts.owed import owed_compute
from tests.factories import (
    CardDonationFactory,
    EventFactory,
    OrganizationFactory,
    UserFactory,
    published_event,
)

pytestmark = pytest.mark.django_db
NOW = timezone.now()
P = Payout.Status


def paid(donation: Donation, **facts: object) -> Donation:
    return services.donation_observe(
        donation_id=donation.pk, facts=Facts(paid=True, **facts), now=NOW
    )


def closed(event: Event) -> Event:
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED, closed_at=NOW)
    return Event.objects.get(pk=event.pk)


def ledger_net(event: Event) -> int:
    return Allocation.objects.filter(event=event).aggregate(s=Sum("amount_cents"))["s"] or 0


def committed(event: Event) -> int:
    rows = Payout.objects.filter(payouts.COMMITTED_Q, event=event)
    return rows.aggregate(s=Sum("amount_cents"))["s"] or 0


def agrees(event: Event) -> Comparison:
    return Comparison(compared=1)


def check(event: Event, amount_cents: int, *, to: Organization | None = None) -> Donation:
    gift, _new = services.check_record(
        event=event,
        amount_cents=amount_cents,
        donor_name="Rosa",
        check_number=f"{amount_cents}-{timezone.now().timestamp()}",
        donor_email="",
        designated_to=to,
        by=UserFactory(),
        now=NOW,
        repeated_number_confirmed=True,
    )
    return gift


# --- The arithmetic ------------------------------------------------------------------------------


def test_each_partner_gets_designated_plus_its_share_less_refunds_and_its_fees() -> None:
    event = published_event()  # 60% / 40%
    first, second = (p.organization for p in event.partners.order_by("organization_id"))
    paid(CardDonationFactory(event=event, amount_cents=10_000))  # net 9680 (fee 2.9% + 30¢)
    paid(CardDonationFactory(event=event, amount_cents=5_000, designated_to=second))  # net 4825
    check(event, 2_000)
    run = payouts.payouts_compute(event_id=closed(event).pk, now=NOW)
    assert run is not None
    assert run.number == 1
    lines = {line.organization_id: line for line in run.payouts.all()}
    one, two = lines[first.pk], lines[second.pk]
    assert (one.designated_cents, one.pooled_cents) == (0, 7_200)  # 60% of 12,000 before fees
    assert (two.designated_cents, two.pooled_cents) == (5_000, 4_800)
    assert one.fees_cents == 7_200 - (5_808 + 1_200)  # its part of the shared card gift's fee
    assert two.fees_cents == 175 + (4_800 - 3_872 - 800)
    assert one.amount_cents + two.amount_cents == ledger_net(event) == 9_680 + 4_825 + 2_000
    assert run.net_raised_cents == ledger_net(event)
    assert {line.method for line in lines.values()} == {Payout.Method.GRANT}


def test_the_pool_policy_shares_all_fees_in_proportion_to_what_each_raised() -> None:
    event = published_event(fee_policy=Event.FeePolicy.POOL)
    first, second = (p.organization for p in event.partners.order_by("organization_id"))
    paid(CardDonationFactory(event=event, amount_cents=10_000, designated_to=first))  # fee 320
    check(event, 10_000, to=second)  # no fee
    owed = owed_compute(closed(event))
    assert owed.shares[first.pk].fees_cents == 160 == owed.shares[second.pk].fees_cents
    assert owed.net_raised_cents == 19_680
    event.fee_policy = Event.FeePolicy.OWN
    own = owed_compute(event)
    assert own.shares[first.pk].fees_cents == 320


def test_matched_money_counts_once_the_sponsor_paid_and_only_what_was_paid() -> None:
    event = published_event()
    first, second = (p.organization for p in event.partners.order_by("organization_id"))
    pledge = services.match_pledge_save(
        pledge=MatchPledge(event=event, sponsor="Valley Bank", cap_cents=100_000), now=NOW
    )
    paid(CardDonationFactory(event=event, amount_cents=10_000))
    owed = owed_compute(closed(event))
    assert owed.total("matched_cents") == 0  # promised, not received
    services.match_pledge_receive(pledge=pledge, amount_cents=5_000, now=NOW)
    owed = owed_compute(event)
    assert owed.shares[first.pk].matched_cents == 3_000
    assert owed.shares[second.pk].matched_cents == 2_000
    services.match_pledge_receive(pledge=pledge, amount_cents=99_000, now=NOW)
    owed = owed_compute(event)
    assert owed.total("matched_cents") == 10_000  # all it matched, not the extra received
    assert owed.net_raised_cents == ledger_net(event) + 10_000


@st.composite
def days(draw: st.DrawFn) -> dict:
    partners = draw(st.integers(2, 4))
    cuts = sorted(
        draw(
            st.lists(
                st.integers(1, 9999), min_size=partners - 1, max_size=partners - 1, unique=True
            )
        )
    )
    gift = st.fixed_dictionaries(
        {
            "method": st.sampled_from(["card", "card", "check"]),
            "amount": st.integers(500, 200_000),
            "cover": st.booleans(),
            "to": st.one_of(st.none(), st.integers(0, partners - 1), st.just("split")),
            "refund": st.integers(0, 100),
            "dispute": st.booleans(),
            "fee": st.one_of(st.none(), st.integers(0, 3000)),
            "void": st.booleans(),
        }
    )
    return {
        "shares": [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)],
        "policy": draw(st.sampled_from(["own", "pool"])),
        "gifts": draw(st.lists(gift, min_size=1, max_size=6)),
        "match": draw(
            st.one_of(st.none(), st.tuples(st.integers(50, 200), st.integers(0, 30_000)))
        ),
        "late": draw(st.lists(gift, max_size=2)),
    }


def apply(event: Event, organizations: list[Organization], gift: dict) -> None:
    to = gift["to"]
    designated = organizations[to] if isinstance(to, int) else None
    if gift["method"] == "check":
        donation = check(event, gift["amount"], to=designated)
        if gift["void"]:
            services.donation_void(donation=donation, by=UserFactory(), reason="typo", now=NOW)
        return
    fee = (gift["amount"] * 3 // 100 + 31) if gift["cover"] else 0
    donation = CardDonationFactory(
        event=event, amount_cents=gift["amount"], fee_cents=fee, designated_to=designated
    )
    if to == "split":
        donation.split_among.set(organizations[:2])
    donation = paid(donation)
    if gift["fee"] is not None:
        Donation.objects.filter(pk=donation.pk).update(
            processor_fee_cents=gift["fee"], processor_fee_estimated=False
        )
        with transaction.atomic():
            services.ledger_settle(
                Donation.objects.select_for_update().get(pk=donation.pk), now=NOW
            )
    refund = donation.total_cents * gift["refund"] // 100
    if refund:
        services.donation_observe(
            donation_id=donation.pk,
            facts=Facts(refunds=[RefundInfo(f"re_{donation.pk}", refund, "succeeded")]),
            now=NOW,
        )
    if gift["dispute"]:
        services.donation_observe(
            donation_id=donation.pk, facts=Facts(dispute_status="lost"), now=NOW
        )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(day=days())
def test_payouts_add_up_to_the_net_raised_to_the_cent_and_follow_ups_keep_it(day: dict) -> None:
    event = EventFactory(fee_policy=day["policy"])
    organizations = [OrganizationFactory() for _ in day["shares"]]
    event_services.event_partners_replace(
        event=event, shares=list(zip(organizations, day["shares"], strict=True))
    )
    event = event_services.event_publish(event=event)
    pledge = None
    if day["match"]:
        pledge = services.match_pledge_save(
            pledge=MatchPledge(event=event, sponsor="S", ratio_percent=day["match"][0],
                               cap_cents=500_000), now=NOW,
        )  # fmt: skip
    for gift in day["gifts"]:
        apply(event, organizations, gift)
    if pledge is not None and day["match"][1]:
        services.match_pledge_receive(pledge=pledge, amount_cents=day["match"][1], now=NOW)
    event = closed(event)

    def matched_received() -> int:
        owed = owed_compute(event)
        return owed.total("matched_cents")

    run = payouts.payouts_compute(event_id=event.pk, now=NOW)
    assert run is not None
    assert run.net_raised_cents == ledger_net(event) + matched_received()
    assert sum(run.payouts.values_list("amount_cents", flat=True)) == run.net_raised_cents
    for line in run.payouts.all():  # the database checks each line's arithmetic, too
        assert line.owed_cents == (
            line.designated_cents + line.pooled_cents + line.matched_cents
            - line.reversed_cents - line.fees_cents
        )  # fmt: skip
    assert payouts.payouts_compute(event_id=event.pk, now=NOW) is None  # again: nothing changes
    # Pay the first run's grants, then late gifts and refunds arrive: a follow-up carries them.
    run.approved_at, run.approved_by = NOW, UserFactory()
    run.save()
    for line in run.payouts.filter(status=P.PENDING):
        payouts.payout_grant_paid(
            payout=line, by=run.approved_by, paid_on=NOW.date(), method="check",
            reference="1001", now=NOW,
        )  # fmt: skip
    paid_lines = run.payouts.filter(status=P.PAID)
    paid_before = list(paid_lines.values_list("pk", "amount_cents", "paid_reference"))
    for gift in day["late"]:
        apply(event, organizations, gift)
    follow_up = payouts.payouts_compute(event_id=event.pk, now=NOW)
    total = ledger_net(event) + matched_received()
    if day["late"] and follow_up is not None:
        assert follow_up.number == 2
    outstanding = Payout.objects.filter(event=event).exclude(
        status__in=(P.CARRIED, P.SETTLED, P.FAILED)
    )  # paid, on their way, waiting for approval, or to deduct
    assert sum(outstanding.values_list("amount_cents", flat=True)) == total
    assert list(paid_lines.values_list("pk", "amount_cents", "paid_reference")) == paid_before


# --- Closing and running again ----------------------------------------------------------------


def test_a_lead_closes_the_day_and_the_payouts_are_computed_once(
    django_capture_on_commit_callbacks,
) -> None:
    event = published_event()
    paid(CardDonationFactory(event=event, amount_cents=10_000))
    lead = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        payouts.event_close(event=event, by=lead, now=NOW)
    event.refresh_from_db()
    assert event.status == Event.Status.CLOSED
    run = PayoutRun.objects.get(event=event)
    assert sum(run.payouts.values_list("amount_cents", flat=True)) == ledger_net(event) == 9_680
    actions = list(AuditEntry.objects.filter(event=event).values_list("action", "actor"))
    assert actions == [("closed", lead.pk), ("computed", None)]
    with django_capture_on_commit_callbacks(execute=True):
        payouts.event_close(event=event, by=lead, now=NOW)  # closed already: nothing
    assert payouts.payouts_compute(event_id=event.pk, now=NOW) is None
    assert PayoutRun.objects.filter(event=event).count() == 1
    assert Payout.objects.filter(event=event).count() == 2


def test_a_draft_cannot_be_closed_nor_an_open_day_computed() -> None:
    draft = EventFactory()
    with pytest.raises(ValidationError):
        payouts.event_close(event=draft, by=UserFactory(), now=NOW)
    live = published_event()
    with pytest.raises(ValidationError):
        payouts.payouts_compute(event_id=live.pk, now=NOW)


def test_the_scan_computes_days_that_closed_by_themselves_and_follow_ups() -> None:
    event = published_event(
        starts_at=NOW - dt.timedelta(hours=30), ends_at=NOW - dt.timedelta(hours=26)
    )
    paid(CardDonationFactory(event=event, amount_cents=10_000))
    event_services.events_advance_status(now=NOW)  # past its grace: closes
    assert payouts.payouts_scan(now=NOW) == {"runs": 1}
    assert AuditEntry.objects.filter(event=event, action="closed", actor=None).exists()
    assert payouts.payouts_scan(now=NOW) == {}  # nothing changed
    first = PayoutRun.objects.get(event=event, number=1)
    payouts.payouts_approve(run=first, by=UserFactory(), now=NOW, compare=agrees)
    check(event, 5_000)  # a check that came by mail after the day closed
    assert payouts.payouts_scan(now=NOW) == {"runs": 1}
    follow_up = PayoutRun.objects.get(event=event, number=2)
    assert sum(follow_up.payouts.values_list("amount_cents", flat=True)) == 5_000


def test_a_refund_after_payment_is_a_negative_line_deducted_from_the_next_payment() -> None:
    event = published_event()
    first, second = (p.organization for p in event.partners.order_by("organization_id"))
    gift = paid(CardDonationFactory(event=event, amount_cents=10_000, designated_to=first))
    check(event, 2_000, to=second)
    run = payouts.payouts_compute(event_id=closed(event).pk, now=NOW)
    PayoutRun.objects.filter(pk=run.pk).update(approved_at=NOW, approved_by=UserFactory())
    line = run.payouts.get(organization=first)
    payouts.payout_grant_paid(
        payout=line, by=UserFactory(), paid_on=NOW.date(), method="check", reference="7", now=NOW
    )
    services.donation_observe(
        donation_id=gift.pk,
        facts=Facts(refunds=[RefundInfo("re_late", 4_000, "succeeded")]),
        now=NOW,
    )
    second_run = payouts.payouts_compute(event_id=event.pk, now=NOW)
    negative = second_run.payouts.get()
    assert (negative.organization, negative.amount_cents, negative.status) == (
        first,
        -4_000,
        P.OFFSET,
    )
    assert Payout.objects.get(pk=line.pk).status == P.PAID  # the paid one never changes
    assert payouts.payouts_compute(event_id=event.pk, now=NOW) is None
    check(event, 10_000, to=first)  # more money for it: the next payment is net of the -40
    third = payouts.payouts_compute(event_id=event.pk, now=NOW)
    assert third.payouts.get().amount_cents == 6_000
    assert Payout.objects.get(pk=negative.pk).status == P.CARRIED


# --- Paying by hand, and what never changes ---------------------------------------------------


def approved_run(event: Event) -> PayoutRun:
    run = payouts.payouts_compute(event_id=closed(event).pk, now=NOW)
    return payouts.payouts_approve(run=run, by=UserFactory(), now=NOW, compare=agrees)


def test_a_grant_is_recorded_paid_once_and_never_edited() -> None:
    event = published_event()
    paid(CardDonationFactory(event=event, amount_cents=10_000))
    unapproved = payouts.payouts_compute(event_id=closed(event).pk, now=NOW)
    line = unapproved.payouts.first()
    with pytest.raises(ValidationError, match="Approve"):
        payouts.payout_grant_paid(
            payout=line, by=UserFactory(), paid_on=NOW.date(), method="check", reference="1",
            now=NOW,
        )  # fmt: skip
    payouts.payouts_approve(run=unapproved, by=UserFactory(), now=NOW, compare=agrees)
    finance = UserFactory()
    payouts.payout_grant_paid(
        payout=line, by=finance, paid_on=NOW.date(), method="bank", reference="ACH 55", now=NOW
    )
    line.refresh_from_db()
    assert (line.status, line.paid_method, line.paid_reference, line.paid_by) == (
        P.PAID,
        "bank",
        "ACH 55",
        finance,
    )
    with pytest.raises(ValidationError, match="correction"):
        payouts.payout_grant_paid(
            payout=line, by=finance, paid_on=NOW.date(), method="check", reference="2", now=NOW
        )
    with pytest.raises(DatabaseError), transaction.atomic():  # the database refuses, too
        Payout.objects.filter(pk=line.pk).update(paid_reference="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        Payout.objects.filter(pk=line.pk).delete()
    payouts.payout_note(
        payout=line, by=finance, note="Reference was ACH 56", recovered=False, now=NOW
    )
    assert AuditEntry.objects.filter(payout=line, action="correction").exists()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(event=event).update(detail="nothing happened")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(event=event).delete()


@pytest.mark.parametrize(
    ("method", "reference", "on", "message"),
    [
        ("cash", "1", 0, "how the grant"),
        ("check", "  ", 0, "check number"),
        ("check", "1", 5, "future"),
    ],
)
def test_recording_a_grant_refuses_what_is_missing(method, reference, on, message) -> None:
    event = published_event()
    paid(CardDonationFactory(event=event, amount_cents=10_000))
    line = approved_run(event).payouts.first()
    with pytest.raises(ValidationError, match=message):
        payouts.payout_grant_paid(
            payout=line, by=UserFactory(), paid_on=NOW.date() + dt.timedelta(days=on),
            method=method, reference=reference, now=NOW,
        )  # fmt: skip
    assert Payout.objects.get(pk=line.pk).status == P.PENDING


def test_approval_is_refused_when_the_ledger_and_stripe_differ(caplog) -> None:
    event = published_event()
    gift = paid(CardDonationFactory(event=event, amount_cents=10_000))
    run = payouts.payouts_compute(event_id=closed(event).pk, now=NOW)

    def differs(_event: Event) -> Comparison:
        return Comparison(
            compared=1,
            differences=[Difference(gift.pk, gift.stripe_payment_intent_id, "Stripe took $90.00")],
        )

    with (
        caplog.at_level("ERROR", logger="pledgeday.alerts"),
        pytest.raises(payouts.PayoutRefused) as refused,
    ):
        payouts.payouts_approve(run=run, by=UserFactory(), now=NOW, compare=differs)
    assert f"#{gift.pk} {gift.stripe_payment_intent_id}: Stripe took $90.00" in str(refused.value)
    assert "the ledger and Stripe differ" in caplog.text
    run.refresh_from_db()
    assert run.approved_at is None
    entry = AuditEntry.objects.get(event=event, action="check_failed")
    assert str(gift.pk) in entry.detail


def test_a_partner_with_nothing_left_in_a_follow_up_is_not_touched() -> None:
    event = published_event()
    first, second = (p.organization for p in event.partners.order_by("organization_id"))
    check(event, 1_000, to=first)
    check(event, 1_000, to=second)
    first_run = payouts.payouts_compute(event_id=closed(event).pk, now=NOW)
    payouts.payouts_approve(run=first_run, by=UserFactory(), now=NOW, compare=agrees)
    check(event, 500, to=second)
    follow_up = payouts.payouts_compute(event_id=event.pk, now=NOW)
    assert list(follow_up.payouts.values_list("organization", "amount_cents")) == [(second.pk, 500)]


def test_a_run_number_is_taken_once() -> None:
    event = published_event()
    check(event, 1_000)
    run = payouts.payouts_compute(event_id=closed(event).pk, now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutRun.objects.create(
            event=event, number=run.number, fee_policy="own", net_raised_cents=0, gross_cents=0,
            fees_cents=0, reversed_cents=0, matched_cents=0, computed_at=NOW,
        )  # fmt: skip
