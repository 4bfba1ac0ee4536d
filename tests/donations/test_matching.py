"""Matching pledges (issue 8): a sponsor's ratio, cap, window, partner, corner, card-only and
first-time rules; matched money kept apart, taken back with refunds and voids, never over the
cap even when gifts are paid at the same moment (PostgreSQL, with a control run)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, close_old_connections
from django.db.models import Sum
from django.utils import timezone

from donations import selectors, services
from donations.models import Donation, MatchClaim, MatchCredit, MatchPledge
from donations.services import matching
from donations.services.payments import Facts
from donations.stripe_api import RefundInfo
from events.models import Event
from tests.factories import CardDonationFactory, CornerFactory, MembershipFactory, published_event

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def pledge(event: Event, **fields: object) -> MatchPledge:
    values: dict[str, object] = {"sponsor": "Valley Bank", "cap_cents": 500_000}
    return services.match_pledge_save(
        pledge=MatchPledge(event=event, **{**values, **fields}), now=NOW
    )


def paid(donation: Donation) -> Donation:
    return services.donation_observe(
        donation_id=donation.pk, facts=Facts(paid=True), now=timezone.now()
    )


def matched(donation: Donation) -> int:
    return MatchCredit.objects.filter(donation=donation).aggregate(s=Sum("amount_cents"))["s"] or 0


def test_a_one_to_one_pledge_doubles_a_gift_split_like_the_gift() -> None:
    event = published_event()
    first, second = (p.organization_id for p in event.partners.order_by("organization_id"))
    pledge(event)
    gift = paid(CardDonationFactory(event=event, amount_cents=2500, fee_cents=106))
    assert matched(gift) == 2500  # the gift, not the donor's fee cover
    assert dict(
        MatchCredit.objects.filter(donation=gift).values_list("organization_id", "amount_cents")
    ) == {first: 1500, second: 1000}
    assert selectors.event_tally(event=event)["match_cents"] == 2500
    assert services.tallies_reconcile(event=event, repair=False) == []


def test_a_two_to_one_pledge_stops_at_its_cap() -> None:
    event = published_event()
    bank = pledge(event, ratio_percent=200, cap_cents=6000)
    first = paid(CardDonationFactory(event=event, amount_cents=2500))
    second = paid(CardDonationFactory(event=event, amount_cents=2500))
    third = paid(CardDonationFactory(event=event, amount_cents=2500))
    assert (matched(first), matched(second), matched(third)) == (5000, 1000, 0)
    assert MatchPledge.objects.get(pk=bank.pk).left_cents == 0


def test_the_window_holds_the_moment_the_gift_was_started() -> None:
    event = published_event()
    pledge(event, starts_at=NOW - dt.timedelta(hours=1), ends_at=NOW + dt.timedelta(hours=1))
    before = paid(CardDonationFactory(event=event, created_at=NOW - dt.timedelta(hours=2)))
    inside = paid(CardDonationFactory(event=event, created_at=NOW))  # paid a moment later
    after = paid(CardDonationFactory(event=event, created_at=NOW + dt.timedelta(hours=1)))
    assert (matched(before), matched(inside), matched(after)) == (0, 2500, 0)


def test_a_pledge_of_one_partner_matches_its_part_and_gives_it_to_that_partner() -> None:
    event = published_event()
    partner = event.partners.order_by("organization_id").first().organization  # 60%
    pledge(event, organization=partner)
    gift = paid(CardDonationFactory(event=event, amount_cents=2500))
    assert list(
        MatchCredit.objects.filter(donation=gift).values_list("organization_id", "amount_cents")
    ) == [(partner.pk, 1500)]


def test_corner_card_and_first_time_rules() -> None:
    event = published_event()
    corner = CornerFactory(event=event)
    pledge(event, corner=corner, card_only=True, first_time_only=True)
    elsewhere = paid(CardDonationFactory(event=event, donor_email="a@example.org"))
    here = paid(CardDonationFactory(event=event, corner=corner, donor_email="B@example.org"))
    again = paid(CardDonationFactory(event=event, corner=corner, donor_email="b@EXAMPLE.org"))
    anonymous = paid(CardDonationFactory(event=event, corner=corner))
    check, _new = services.check_record(
        event=event, amount_cents=5000, donor_name="C", check_number="1",
        donor_email="c@example.org", designated_to=None,
        by=MembershipFactory(event=event).user, now=timezone.now(),
    )  # fmt: skip
    assert [matched(d) for d in (elsewhere, here, again, anonymous, check)] == [0, 2500, 0, 0, 0]


def test_a_refund_takes_back_its_share_of_the_match_and_a_void_all_of_it() -> None:
    event = published_event()
    pledge(event)
    gift = paid(CardDonationFactory(event=event, amount_cents=2500))
    services.donation_observe(
        donation_id=gift.pk,
        facts=Facts(refunds=[RefundInfo(f"re_{gift.pk}", 1250, "succeeded")]),
        now=timezone.now(),
    )
    assert matched(gift) == 1250
    finance = MembershipFactory(event=event, role="finance").user
    check, _new = services.check_record(
        event=event, amount_cents=4000, donor_name="C", check_number="9", donor_email="",
        designated_to=None, by=finance, now=timezone.now(),
    )  # fmt: skip
    assert matched(check) == 4000
    services.donation_void(donation=check, by=finance, reason="twice", now=timezone.now())
    assert matched(check) == 0
    assert selectors.event_tally(event=event)["match_cents"] == 1250
    assert services.tallies_reconcile(event=event, repair=False) == []


def test_a_cap_cannot_go_below_what_gifts_took() -> None:
    from django.core.exceptions import ValidationError

    event = published_event()
    bank = pledge(event, cap_cents=10_000)
    paid(CardDonationFactory(event=event, amount_cents=2500))
    bank.cap_cents = 1000
    with pytest.raises(ValidationError):
        services.match_pledge_save(pledge=bank, now=NOW)
    assert MatchPledge.objects.get(pk=bank.pk).cap_cents == 10_000


def _pay_at_once(donations: list[Donation]) -> list[str]:
    start, outcomes = threading.Barrier(len(donations)), []

    def pay(donation: Donation) -> None:
        try:
            start.wait()
            paid(donation)
            outcomes.append("paid")
        except IntegrityError:
            outcomes.append("refused by the database")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=pay, args=(d,)) for d in donations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_gifts_paid_at_the_same_moment_never_take_more_than_the_cap() -> None:
    event = published_event()
    bank = pledge(event, cap_cents=5000)
    gifts = [CardDonationFactory(event=event, amount_cents=1000) for _ in range(8)]
    assert _pay_at_once(gifts) == ["paid"] * 8
    assert MatchPledge.objects.get(pk=bank.pk).allotted_cents == 5000
    assert sum(c.allotted_cents for c in MatchClaim.objects.all()) == 5000
    assert MatchClaim.objects.count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_without_the_pledge_lock_the_cap_is_raced(monkeypatch) -> None:
    """The control run: the pledge read without its lock (every gift reads it before any
    writes). All see room; the database's cap check refuses those that would pass the cap."""
    all_read = threading.Barrier(8, timeout=10)

    class Unlocked:
        def get(self, **lookup: object) -> MatchPledge:
            found = MatchPledge.objects.get(**lookup)
            all_read.wait()
            return found

    monkeypatch.setattr(matching.MatchPledge.objects, "select_for_update", Unlocked)
    event = published_event()
    bank = pledge(event, cap_cents=5000)
    gifts = [CardDonationFactory(event=event, amount_cents=1000) for _ in range(8)]
    outcomes = _pay_at_once(gifts)
    assert sorted(outcomes) == ["paid"] * 5 + ["refused by the database"] * 3
    assert MatchPledge.objects.get(pk=bank.pk).allotted_cents == 5000


def test_finance_records_the_sponsors_money_and_an_organizer_cannot(client) -> None:
    event = published_event()
    bank = pledge(event)
    url = f"/organize/pledges/{bank.pk}/received/"
    client.force_login(MembershipFactory(event=event).user)  # organizer
    assert client.post(url, {"amount": "250"}).status_code == 403
    client.force_login(MembershipFactory(event=event, role="finance").user)
    page = client.get(f"/organize/{event.slug}/donations/").content.decode()
    assert "Valley Bank" in page
    assert "Record received" in page
    assert client.post(url, {"amount": "250"}).status_code == 302
    received = MatchPledge.objects.get(pk=bank.pk)
    assert (received.received_cents, received.received_at is not None) == (25_000, True)
