"""Paying partners by Stripe Connect (issue 9): one transfer per (event, organization, run),
with an idempotency key derived from exactly that; a re-run, a retried send, two workers at once
or a worker that died after Stripe answered never pay twice. The requests are asserted as the
official SDK sends them, to a stand-in transport (Connect cannot be tried against localstripe,
which has no Connect; nothing here ran against Stripe itself)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from donations import services
from donations.services.payments import Facts
from events.models import Event, Organization
from payouts import services as payouts
from payouts.check import Comparison
from payouts.models import AuditEntry, Payout, PayoutRun
from tests.donations import stripe_shapes as shapes
from tests.factories import CardDonationFactory, UserFactory, published_event
from tests.payouts.stripe_connect import Transfers
from tests.support.concurrency import at_once
from tests.support.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db
NOW = timezone.now()
P = Payout.Status


def agrees(event: Event) -> Comparison:
    return Comparison(compared=1)


def connected_day(fake_stripe: FakeStripe) -> tuple[Event, Organization, Organization, Transfers]:
    """A closed day of two partners, the first ready on Stripe Connect; Stripe's transfers."""
    event = published_event()
    first, second = (p.organization for p in event.partners.order_by("organization_id"))
    Organization.objects.filter(pk=first.pk).update(
        stripe_account_id="acct_1Partner", stripe_account_state=Organization.StripeState.READY
    )
    first.refresh_from_db()
    for amount in (10_000, 5_000):
        services.donation_observe(
            donation_id=CardDonationFactory(event=event, amount_cents=amount).pk,
            facts=Facts(paid=True),
            now=NOW,
        )
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED, closed_at=NOW)
    transfers = Transfers()
    fake_stripe.answer(
        "post",
        "/v1/transfers",
        lambda request: transfers.create(request["params"], request["headers"]["Idempotency-Key"]),
    )
    fake_stripe.answer(
        "get",
        "/v1/transfers",
        lambda request: transfers.listing(request["params"]["transfer_group"]),
    )
    return Event.objects.get(pk=event.pk), first, second, transfers


def test_an_approved_run_sends_one_transfer_per_connected_partner_with_its_key(
    fake_stripe: FakeStripe, django_capture_on_commit_callbacks
) -> None:
    event, first, second, transfers = connected_day(fake_stripe)
    run = payouts.payouts_compute(event_id=event.pk, now=NOW)
    lines = {line.organization_id: line for line in run.payouts.all()}
    assert lines[first.pk].method == Payout.Method.TRANSFER
    assert lines[second.pk].method == Payout.Method.GRANT  # no connected account: a grant
    assert fake_stripe.requests == []  # nothing moves before approval
    finance = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        payouts.payouts_approve(run=run, by=finance, now=NOW, compare=agrees)
    [sent] = fake_stripe.calls("post", "/v1/transfers")
    line = Payout.objects.get(pk=lines[first.pk].pk)
    assert sent["headers"]["Idempotency-Key"] == (
        f"payout-{settings.PLEDGEDAY_INSTANCE}-{event.pk}-{first.pk}-1"
    )
    assert sent["params"] == {
        "amount": str(line.amount_cents),
        "currency": "usd",
        "destination": "acct_1Partner",
        "transfer_group": f"pledgeday-{settings.PLEDGEDAY_INSTANCE}-event-{event.pk}",
        "metadata[pledgeday_payout]": str(line.pk),
        "metadata[pledgeday_organization]": first.slug,
        "metadata[pledgeday_instance]": settings.PLEDGEDAY_INSTANCE,
    }
    assert (line.status, line.stripe_transfer_id) == (P.PAID, "tr_test_0001")
    assert AuditEntry.objects.filter(payout=line, action="transfer_sent").count() == 1
    # Sending again, the beat's scan, closing again: no request reaches Stripe.
    assert payouts.payouts_send(run_id=run.pk, now=NOW) == {}
    assert payouts.payouts_scan(now=NOW + dt.timedelta(hours=1)) == {}
    assert payouts.payouts_compute(event_id=event.pk, now=NOW) is None
    assert len(fake_stripe.requests) == 1
    assert len(transfers.made) == 1


def test_a_worker_that_died_after_stripe_answered_is_finished_without_a_second_transfer(
    fake_stripe: FakeStripe,
) -> None:
    event, first, _second, transfers = connected_day(fake_stripe)
    run = payouts.payouts_compute(event_id=event.pk, now=NOW)
    PayoutRun.objects.filter(pk=run.pk).update(approved_at=NOW, approved_by=UserFactory())
    line = run.payouts.get(organization=first)
    # The worker claims the transfer, Stripe makes it, the worker dies before writing it down.
    claimed = payouts._claim(line.pk, now=NOW)
    payouts._transfer(claimed)
    assert Payout.objects.get(pk=line.pk).status == P.SENDING
    # Another worker finds the claim still held: it leaves the transfer alone.
    assert payouts.payout_send(payout_id=line.pk, now=NOW + dt.timedelta(seconds=30)) == "skipped"
    # Once the claim expires, the scan looks the transfer up at Stripe and records it.
    later = NOW + dt.timedelta(seconds=121)
    assert payouts.payouts_scan(now=later) == {"paid": 1}
    line.refresh_from_db()
    assert (line.status, line.stripe_transfer_id) == (P.PAID, "tr_test_0001")
    assert [r["method"] for r in fake_stripe.requests] == ["post", "get"]
    assert len(transfers.made) == 1


def test_a_retry_that_stripe_does_not_know_yet_uses_the_same_key(fake_stripe: FakeStripe) -> None:
    event, first, _second, transfers = connected_day(fake_stripe)
    run = payouts.payouts_compute(event_id=event.pk, now=NOW)
    PayoutRun.objects.filter(pk=run.pk).update(approved_at=NOW, approved_by=UserFactory())
    line = run.payouts.get(organization=first)
    payouts._claim(line.pk, now=NOW)  # claimed, then the worker died before calling Stripe
    assert payouts.payouts_scan(now=NOW + dt.timedelta(seconds=121)) == {"paid": 1}
    posts = fake_stripe.calls("post", "/v1/transfers")
    assert [p["headers"]["Idempotency-Key"] for p in posts] == [
        payouts.transfer_key(event_id=event.pk, organization_id=first.pk, run_number=1)
    ]
    assert len(transfers.made) == 1


def test_a_transfer_stripe_refuses_is_failed_told_and_paid_by_a_follow_up(
    fake_stripe: FakeStripe, caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks
) -> None:
    event, first, _second, transfers = connected_day(fake_stripe)
    refusal = {"error": {"type": "invalid_request_error", "code": "balance_insufficient",
                         "message": "Insufficient funds in Stripe account."}}  # fmt: skip
    answers = iter([refusal])

    def answer(request: dict) -> dict:
        refused = next(answers, None)
        if refused is not None:
            return refused  # answered with Stripe's 400
        return transfers.create(request["params"], request["headers"]["Idempotency-Key"])

    fake_stripe.answer("post", "/v1/transfers", answer)
    run = payouts.payouts_compute(event_id=event.pk, now=NOW)
    with (
        caplog.at_level("ERROR", logger="pledgeday.alerts"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        payouts.payouts_approve(run=run, by=UserFactory(), now=NOW, compare=agrees)
    line = run.payouts.get(organization=first)
    assert line.status == P.FAILED
    assert "Insufficient funds" in line.error
    assert "Stripe refused the transfer" in caplog.text
    assert AuditEntry.objects.filter(payout=line, action="transfer_failed").exists()
    assert payouts.payouts_compute(event_id=event.pk, now=NOW) is None  # nothing new by itself
    follow_up = payouts.payouts_compute(event_id=event.pk, now=NOW, by=UserFactory(), force=True)
    again = follow_up.payouts.get()
    assert (again.organization, again.amount_cents) == (first, line.amount_cents)
    assert again.idempotency_key == payouts.transfer_key(
        event_id=event.pk, organization_id=first.pk, run_number=2
    )
    with django_capture_on_commit_callbacks(execute=True):
        payouts.payouts_approve(run=follow_up, by=UserFactory(), now=NOW, compare=agrees)
    assert Payout.objects.get(pk=again.pk).status == P.PAID
    assert Payout.objects.get(pk=line.pk).status == P.CARRIED
    assert len(transfers.made) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_one_run_at_once_make_one_transfer(fake_stripe: FakeStripe) -> None:
    event, first, _second, transfers = connected_day(fake_stripe)
    run = payouts.payouts_compute(event_id=event.pk, now=NOW)
    PayoutRun.objects.filter(pk=run.pk).update(approved_at=NOW, approved_by=UserFactory())
    fake_stripe.delay_seconds = 0.5  # each call held open while the other worker races it
    outcomes = at_once(lambda: payouts.payouts_send(run_id=run.pk, now=NOW), 2)
    assert sorted(outcomes, key=str) == sorted([{"paid": 1}, {"skipped": 1}], key=str)
    assert len(fake_stripe.calls("post", "/v1/transfers")) == 1
    assert len(transfers.made) == 1
    assert Payout.objects.get(run=run, organization=first).status == P.PAID


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_computations_at_once_write_one_run() -> None:
    event = published_event()
    for amount in (10_000, 2_500, 700):
        services.donation_observe(
            donation_id=CardDonationFactory(event=event, amount_cents=amount).pk,
            facts=Facts(paid=True),
            now=NOW,
        )
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED, closed_at=NOW)
    runs = at_once(lambda: payouts.payouts_compute(event_id=event.pk, now=NOW), 3)
    assert sum(run is not None for run in runs) == 1
    assert PayoutRun.objects.filter(event=event).count() == 1
    assert Payout.objects.filter(event=event).count() == 2
    assert AuditEntry.objects.filter(event=event, action="computed").count() == 1


# --- Connecting a partner's account (Account Links) ---------------------------------------------


def test_a_partner_connects_through_stripes_hosted_onboarding(fake_stripe: FakeStripe) -> None:
    organization = published_event().partners.first().organization
    fake_stripe.answer("post", "/v1/accounts", shapes.shape("account", id="acct_1New"))
    fake_stripe.answer(
        "post",
        "/v1/account_links",
        shapes.shape("account_link", url="https://connect.stripe.com/setup/e/acct_1New/x"),
    )
    url = payouts.organization_connect_start(
        organization=organization, by=UserFactory(), email="money@partner.org",
        refresh_url="https://pd.example/r", return_url="https://pd.example/back", now=NOW,
    )  # fmt: skip
    assert url == "https://connect.stripe.com/setup/e/acct_1New/x"
    account, link = fake_stripe.requests
    assert account["headers"]["Idempotency-Key"] == f"organization-{organization.pk}-account"
    assert account["params"]["type"] == "express"
    assert account["params"]["capabilities[transfers][requested]"] == "true"
    assert link["params"] == {
        "account": "acct_1New",
        "refresh_url": "https://pd.example/r",
        "return_url": "https://pd.example/back",
        "type": "account_onboarding",
    }
    organization.refresh_from_db()
    assert (organization.stripe_account_id, organization.stripe_account_state) == (
        "acct_1New",
        Organization.StripeState.PENDING,
    )
    fake_stripe.answer(
        "get",
        "/v1/accounts/acct_1New",
        shapes.shape("account", id="acct_1New", details_submitted=True,
                     capabilities={"transfers": "active"}),
    )  # fmt: skip
    # The partner finished onboarding without coming back to our page: the beat's scan asks.
    assert payouts.payouts_scan(now=NOW + dt.timedelta(hours=2)) == {"accounts": 1}
    organization.refresh_from_db()
    assert organization.stripe_account_state == Organization.StripeState.READY
    assert AuditEntry.objects.get(action="connect", message="account_state").text == (
        "Stripe account acct_1New: Ready for transfers."
    )
    # Onboarding again (a link expired): the same account, a new link.
    payouts.organization_connect_start(
        organization=organization, by=UserFactory(), email="money@partner.org",
        refresh_url="https://pd.example/r", return_url="https://pd.example/back", now=NOW,
    )  # fmt: skip
    assert len(fake_stripe.calls("post", "/v1/accounts")) == 1


def test_without_stripe_keys_partners_are_paid_as_grants() -> None:
    event = published_event()
    organization = event.partners.first().organization
    Organization.objects.filter(pk=organization.pk).update(
        stripe_account_id="acct_1Partner", stripe_account_state=Organization.StripeState.READY
    )
    services.check_record(
        event=event, amount_cents=5_000, donor_name="Rosa", check_number="1", donor_email="",
        designated_to=organization, by=UserFactory(), now=NOW,
    )  # fmt: skip
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED, closed_at=NOW)
    run = payouts.payouts_compute(event_id=event.pk, now=NOW)
    assert run.payouts.get(organization=organization).method == Payout.Method.GRANT
    with pytest.raises(Exception, match="Stripe keys"):
        payouts.organization_connect_start(
            organization=organization, by=None, email="", refresh_url="", return_url="", now=NOW
        )
