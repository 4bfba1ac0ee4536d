"""Refunds: confirmed first, made once even when two organizers click at once, with a key from
what the page showed (issue 7, scenario 6)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone

from donations import services
from donations.models import Donation, Refund
from donations.services import refunds as refund_services
from events.models import Membership
from tests.donations import stripe_shapes as shapes
from tests.factories import CardDonationFactory, MembershipFactory, UserFactory
from tests.support.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db


def paid(donation: Donation) -> Donation:
    Donation.objects.filter(pk=donation.pk).update(
        status=Donation.Status.SUCCEEDED, succeeded_at=timezone.now(), stripe_charge_id="ch_1"
    )
    return Donation.objects.get(pk=donation.pk)


def refund_answer(donation: Donation):
    """Stripe answers a refund request with the refund it made (one id per request)."""
    numbers = iter(range(1, 100))

    def reply(request: dict) -> dict:
        amount = int(request["params"]["amount"])
        return shapes.refund(donation, amount, number=next(numbers))

    return reply


def test_a_refund_asks_for_confirmation_before_calling_stripe(
    client: Client, fake_stripe: FakeStripe
) -> None:
    donation = paid(CardDonationFactory())
    fake_stripe.answer("post", "/v1/refunds", refund_answer(donation))
    client.force_login(MembershipFactory(event=donation.event, role=Membership.Role.FINANCE).user)
    url = f"/organize/donations/{donation.pk}/refund/"
    page = client.post(url, {"amount": "5.00", "refunded_seen": "0", "refunds_seen": "0"})
    assert page.status_code == 200
    assert "Refund $5.00?" in page.content.decode()
    assert fake_stripe.requests == []
    done = client.post(
        url, {"amount": "5.00", "refunded_seen": "0", "refunds_seen": "0", "confirmed": "on"}
    )
    assert done.status_code == 302
    assert len(fake_stripe.calls("post", "/v1/refunds")) == 1
    assert Donation.objects.get(pk=donation.pk).refunded_cents == 500


def test_an_organizer_without_a_finance_role_cannot_refund(
    client: Client, fake_stripe: FakeStripe
) -> None:
    donation = paid(CardDonationFactory())
    client.force_login(MembershipFactory(event=donation.event).user)  # organizer
    url = f"/organize/donations/{donation.pk}/refund/"
    data = {"amount": "5.00", "refunded_seen": "0", "refunds_seen": "0", "confirmed": "on"}
    assert client.post(url, data).status_code == 403
    assert fake_stripe.requests == []


def test_the_key_comes_from_what_the_page_showed_so_two_amounts_share_it(
    fake_stripe: FakeStripe,
) -> None:
    """$5 then $7 from the same page ("$0 refunded"): the second is refused before Stripe
    (the gift changed); had it reached Stripe, its key would be the first one's."""
    donation = paid(CardDonationFactory())
    fake_stripe.answer("post", "/v1/refunds", refund_answer(donation))
    by = UserFactory()
    services.donation_refund(
        donation=donation,
        amount_cents=500,
        refunded_seen=0,
        refunds_seen=0,
        by=by,
        now=timezone.now(),
    )
    with pytest.raises(ValidationError) as refused:
        services.donation_refund(
            donation=donation,
            amount_cents=700,
            refunded_seen=0,
            refunds_seen=0,
            by=by,
            now=timezone.now(),
        )
    assert refused.value.code == "stale"
    (call,) = fake_stripe.calls("post", "/v1/refunds")
    assert call["headers"]["Idempotency-Key"] == f"donation-{donation.pk}-refund-0-after-0"


def test_a_refund_in_flight_holds_the_gift_until_its_claim_expires(
    fake_stripe: FakeStripe,
) -> None:
    donation = paid(CardDonationFactory())
    now = timezone.now()
    Donation.objects.filter(pk=donation.pk).update(
        refund_claimed_until=now + refund_services.REFUND_CLAIM
    )
    with pytest.raises(ValidationError) as refused:
        services.donation_refund(
            donation=donation,
            amount_cents=500,
            refunded_seen=0,
            refunds_seen=0,
            by=UserFactory(),
            now=now,
        )
    assert refused.value.code == "busy"
    assert fake_stripe.requests == []
    # A worker that died mid-call leaves a claim that expires by itself.
    fake_stripe.answer("post", "/v1/refunds", refund_answer(donation))
    later = now + refund_services.REFUND_CLAIM + timezone.timedelta(seconds=1)
    services.donation_refund(
        donation=donation,
        amount_cents=500,
        refunded_seen=0,
        refunds_seen=0,
        by=UserFactory(),
        now=later,
    )
    assert Donation.objects.get(pk=donation.pk).refund_claimed_until is None


def test_stripe_refusing_a_refund_releases_the_claim_and_says_why(
    fake_stripe: FakeStripe,
) -> None:
    donation = paid(CardDonationFactory())
    with pytest.raises(ValidationError) as refused:
        services.donation_refund(
            donation=donation, amount_cents=500, refunded_seen=0, refunds_seen=0, by=UserFactory(),
            now=timezone.now(),
        )  # fmt: skip
    assert refused.value.code == "gateway"
    assert Donation.objects.get(pk=donation.pk).refund_claimed_until is None


def _race(donation: Donation, amounts: list[int]) -> list[str]:
    """Each amount refunded from its own thread, all from a page that showed $0 refunded."""
    start, outcomes = threading.Barrier(len(amounts)), []

    def organizer(amount: int) -> None:
        try:
            start.wait()
            services.donation_refund(
                donation=donation, amount_cents=amount, refunded_seen=0, refunds_seen=0, by=by,
                now=timezone.now(),
            )  # fmt: skip
            outcomes.append("refunded")
        except ValidationError as error:
            outcomes.append(str(error.code))
        finally:
            close_old_connections()

    by = UserFactory()
    threads = [threading.Thread(target=organizer, args=(a,)) for a in amounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_organizers_refunding_at_once_refund_once(fake_stripe: FakeStripe) -> None:
    donation = paid(CardDonationFactory())
    fake_stripe.answer("post", "/v1/refunds", refund_answer(donation))
    fake_stripe.delay_seconds = 0.3  # Stripe takes a while: both clicks are in flight
    outcomes = _race(donation, [500, 700])
    assert sorted(outcomes) == ["busy", "refunded"]
    assert len(fake_stripe.calls("post", "/v1/refunds")) == 1
    assert Refund.objects.count() == 1
    assert Donation.objects.get(pk=donation.pk).refunded_cents in (500, 700)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_without_the_claim_both_refunds_reach_stripe(
    fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control run: with the claim replaced by a plain check, both clicks call Stripe
    (which would refund twice wherever idempotency keys differ, and localstripe ignores them)."""
    donation = paid(CardDonationFactory())
    fake_stripe.answer("post", "/v1/refunds", refund_answer(donation))
    fake_stripe.delay_seconds = 0.3
    monkeypatch.setattr(refund_services, "_refund_claim", lambda **_kwargs: True)
    outcomes = _race(donation, [500, 700])
    assert len(fake_stripe.calls("post", "/v1/refunds")) == 2
    assert outcomes.count("refunded") >= 1


def test_a_refund_made_again_after_one_failed_reaches_stripe_with_a_new_key(
    client: Client, fake_stripe: FakeStripe
) -> None:
    from tests.support.webhooks import deliver, fresh, succeeded

    donation = CardDonationFactory()
    deliver(client, succeeded(donation))
    replies: dict[str, dict] = {}
    numbers = iter(range(1, 100))

    def stripe_like(request: dict) -> dict:  # Stripe replays a key's first answer for 24 h
        key = request["headers"]["Idempotency-Key"]
        if key not in replies:
            amount = int(request["params"]["amount"])
            replies[key] = shapes.refund(donation, amount, number=next(numbers), status="pending")
        return replies[key]

    fake_stripe.answer("post", "/v1/refunds", stripe_like)
    by = UserFactory()
    services.donation_refund(
        donation=fresh(donation), amount_cents=500, refunded_seen=0, refunds_seen=0, by=by,
        now=timezone.now(),
    )  # fmt: skip
    failed = shapes.refund(donation, 500, number=1, status="failed")
    deliver(client, shapes.event("charge.refund.updated", failed))
    assert fresh(donation).refunded_cents == 0
    services.donation_refund(
        donation=fresh(donation), amount_cents=500, refunded_seen=0, refunds_seen=1, by=by,
        now=timezone.now(),
    )  # fmt: skip
    keys = [c["headers"]["Idempotency-Key"] for c in fake_stripe.calls("post", "/v1/refunds")]
    assert keys == [
        f"donation-{donation.pk}-refund-0-after-0",
        f"donation-{donation.pk}-refund-1-after-0",
    ]
    assert fresh(donation).refunded_cents == 500
