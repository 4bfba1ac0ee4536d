"""Receipts go out once and are never lost: a worker killed mid-send, a soft time limit, a
broker down at commit, a mail server that refuses an address (issue 7, scenarios 17 and 18)."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from donations import services
from donations.models import Donation
from donations.services import receipts
from donations.tasks import donation_receipt_send, donation_receipts_scan
from events.models import Membership
from tests.factories import (
    CardDonationFactory,
    MembershipFactory,
    OrganizationFactory,
    published_event,
)
from tests.support.mail import FailingBackend
from tests.support.webhooks import deliver, fresh, succeeded

pytestmark = pytest.mark.django_db
R = Donation.ReceiptStatus


@pytest.fixture(autouse=True)
def failing_mail():
    FailingBackend.failures = []
    with override_settings(EMAIL_BACKEND="tests.support.mail.FailingBackend"):
        yield FailingBackend
    FailingBackend.failures = []


def paid_gift(client: Client, **fields: object) -> Donation:
    """A card gift paid through the webhook; its receipt task is NOT run (the on-commit queue
    is not executed here), as when the broker was down or the worker died before taking it."""
    donation = CardDonationFactory(donor_email="donor@example.org", **fields)
    deliver(client, succeeded(donation))
    assert fresh(donation).receipt_status == R.PENDING
    return fresh(donation)


def test_a_paid_gift_with_an_email_has_a_pending_receipt_that_the_task_sends_once(
    client: Client, mailoutbox
) -> None:
    donation = paid_gift(client)
    assert donation_receipt_send(donation.pk) == "sent"
    assert donation_receipt_send(donation.pk) == "not due"
    assert len(mailoutbox) == 1
    gift = fresh(donation)
    assert (gift.receipt_status, gift.receipt_attempts) == (R.SENT, 1)
    assert gift.receipt_sent_at is not None


def test_a_receipt_whose_task_never_ran_is_sent_by_the_beat_scan(
    client: Client, mailoutbox
) -> None:
    donation = paid_gift(client)
    Donation.objects.filter(pk=donation.pk).update(
        succeeded_at=timezone.now() - dt.timedelta(minutes=5)
    )
    assert donation_receipts_scan() == 1  # eager Celery: the send ran
    assert [m.to for m in mailoutbox] == [["donor@example.org"]]
    assert donation_receipts_scan() == 0


def test_a_worker_killed_mid_send_leaves_a_claim_that_expires_and_is_sent_again(
    client: Client, mailoutbox
) -> None:
    donation = paid_gift(client)
    now = timezone.now()
    # The worker claimed it, then was killed: the row says "sending" with a lease.
    Donation.objects.filter(pk=donation.pk).update(
        receipt_status=R.SENDING, receipt_claimed_until=now + receipts.RECEIPT_LEASE
    )
    assert services.donation_receipts_due(now=now) == []  # still leased: nobody else sends
    later = now + receipts.RECEIPT_LEASE + dt.timedelta(seconds=1)
    assert services.donation_receipts_due(now=later) == [donation.pk]
    assert services.donation_receipt_send(donation_id=donation.pk, now=later) == "sent"
    assert len(mailoutbox) == 1


def test_a_soft_time_limit_puts_the_receipt_back_for_the_retry(
    client: Client, failing_mail, mailoutbox
) -> None:
    donation = paid_gift(client)
    failing_mail.failures = [SoftTimeLimitExceeded()]
    with pytest.raises(SoftTimeLimitExceeded):
        services.donation_receipt_send(donation_id=donation.pk, now=timezone.now())
    gift = fresh(donation)
    assert (gift.receipt_status, gift.receipt_claimed_until) == (R.PENDING, None)
    assert services.donation_receipt_send(donation_id=donation.pk, now=timezone.now()) == "sent"
    assert len(mailoutbox) == 1


def test_the_task_retries_a_mail_server_that_is_down(
    client: Client, failing_mail, mailoutbox
) -> None:
    donation = paid_gift(client)
    failing_mail.failures = [ConnectionRefusedError(), smtplib.SMTPServerDisconnected("bye")]
    for _failure in range(2):  # eager Celery hands the retry back instead of waiting
        with pytest.raises(Retry):
            donation_receipt_send.delay(donation.pk)
        assert fresh(donation).receipt_status == R.PENDING
    donation_receipt_send.delay(donation.pk)
    assert [m.to for m in mailoutbox] == [["donor@example.org"]]
    assert fresh(donation).receipt_attempts == 3


def test_an_address_the_server_refuses_is_not_retried_and_finance_sees_it(
    client: Client, failing_mail, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    donation = paid_gift(client)
    refused = smtplib.SMTPRecipientsRefused({"donor@example.org": (550, b"No such user")})
    failing_mail.failures = [refused, refused]
    with override_settings(ADMINS=[("Ops", "ops@example.org")]):
        assert donation_receipt_send(donation.pk) == "refused"
    gift = fresh(donation)
    assert (gift.receipt_status, gift.receipt_attempts) == (R.FAILED, 1)
    assert "No such user" in gift.receipt_error
    assert failing_mail.failures == [refused]  # the second refusal was never asked for
    assert donation_receipts_scan() == 0
    finance = MembershipFactory(event=gift.event, role=Membership.Role.FINANCE).user
    client.force_login(finance)
    page = client.get(f"/organize/{gift.event.slug}/attention/").content.decode()
    assert "Receipts that could not be sent" in page
    assert "donor@example.org" in page
    failing_mail.failures = []
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/organize/donations/{gift.pk}/receipt/", {"donor_email": "ana@example.org"})
    assert fresh(donation).receipt_status == R.SENT
    assert mailoutbox[-1].to == ["ana@example.org"]


def test_after_the_last_attempt_a_receipt_is_failed_not_retried_for_ever(
    client: Client, failing_mail
) -> None:
    donation = paid_gift(client)
    Donation.objects.filter(pk=donation.pk).update(
        receipt_attempts=receipts.RECEIPT_MAX_ATTEMPTS - 1
    )
    failing_mail.failures = [TimeoutError()]
    with pytest.raises(TimeoutError):
        services.donation_receipt_send(donation_id=donation.pk, now=timezone.now())
    assert fresh(donation).receipt_status == R.FAILED


def test_mail_has_a_timeout() -> None:
    assert settings.EMAIL_TIMEOUT == 20


# --- 18. The receipt says who receives the gift, and on whose behalf -------------------------


def test_the_receipt_says_the_fiscal_host_receives_it_for_the_coalitions_partners(
    client: Client, mailoutbox
) -> None:
    host = OrganizationFactory(
        name="Fresno EOC", legal_name="Fresno Economic Opportunities Commission"
    )

    event = published_event(fiscal_host=host)
    donation = paid_gift(client, event=event)
    donation_receipt_send(donation.pk)
    body = mailoutbox[0].body
    assert "Fresno Economic Opportunities Commission" in body
    assert "receives this gift on behalf of" in body
    for partner in event.partners.select_related("organization"):
        assert partner.organization.name in body


def test_a_gift_kept_after_its_refund_failed_gets_its_receipt(
    client: Client, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    from tests.donations import stripe_shapes as shapes
    from tests.support.webhooks import refunded

    donation = paid_gift(client)  # receipt pending; its task has not run
    deliver(client, refunded(donation, donation.total_cents))
    assert fresh(donation).receipt_status == R.NONE  # refunded in full: no receipt
    failed = shapes.refund(donation, donation.total_cents, number=1, status="failed")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, shapes.event("charge.refund.updated", failed))
    gift = fresh(donation)
    assert (gift.status, gift.receipt_status) == (Donation.Status.SUCCEEDED, R.SENT)
    assert [m.to for m in mailoutbox] == [["donor@example.org"]]
