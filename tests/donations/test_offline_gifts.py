"""Checks and cash counts are recorded once however often their form is posted, a repeated check
number is questioned, and finance voids a wrong gift with a reversing entry (issue 7,
scenarios 7 and 15)."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import close_old_connections
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from donations.models import Donation, LedgerEntry
from events.models import Event
from tests.factories import CardDonationFactory, MembershipFactory
from volunteers.models import User

pytestmark = pytest.mark.django_db

CHECK = {
    "amount": "250.00",
    "donor_name": "Ana Díaz",
    "check_number": "1042",
    "donor_email": "ana@example.org",
}


def check_url(event: Event) -> str:
    return f"/organize/{event.slug}/checks/new/"


def form_token(client: Client, url: str) -> str:
    page = client.get(url).content.decode()
    found = re.search(r'name="submission_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def post_check(client: Client, event: Event, **changes: str):
    """Load the check form (for its one-time token) and post it, with changes to CHECK."""
    data = {**CHECK, "submission_token": form_token(client, check_url(event)), **changes}
    return client.post(check_url(event), data)


def net(event: Event) -> int:
    return (
        LedgerEntry.objects.filter(donation__event=event).aggregate(s=Sum("amount_cents"))["s"] or 0
    )


# --- 7. One check, however often it is posted -----------------------------------------------------


def test_the_same_check_posted_three_times_is_one_gift_with_one_receipt(
    client: Client, event: Event, organizer: User, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    client.force_login(organizer)
    data = {**CHECK, "submission_token": form_token(client, check_url(event))}
    with django_capture_on_commit_callbacks(execute=True):
        responses = [client.post(check_url(event), data, follow=True) for _ in range(3)]
    assert Donation.objects.count() == 1
    assert net(event) == 25000
    assert len(mailoutbox) == 1
    assert "Check recorded." in responses[0].content.decode()
    assert "already recorded (sent twice)" in responses[2].content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_check_posted_at_the_same_moment_is_one_gift(
    event: Event, organizer: User
) -> None:
    probe = Client()
    probe.force_login(organizer)
    data = {**CHECK, "submission_token": form_token(probe, check_url(event))}
    start, statuses = threading.Barrier(3), []

    def post() -> None:
        try:
            browser = Client()
            browser.force_login(organizer)
            start.wait()
            statuses.append(browser.post(check_url(event), data).status_code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302, 302]
    assert Donation.objects.count() == 1
    assert net(event) == 25000


def test_a_check_number_already_recorded_is_questioned_then_accepted_when_confirmed(
    client: Client, event: Event, organizer: User
) -> None:
    client.force_login(organizer)
    client.post(
        check_url(event), {**CHECK, "submission_token": form_token(client, check_url(event))}
    )
    other = {**CHECK, "donor_name": "Luis Pérez", "amount": "40"}
    token = form_token(client, check_url(event))
    response = client.post(check_url(event), {**other, "submission_token": token})
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "Check number 1042 was already recorded for this pledge day ($250.00 from Ana Díaz)" in page
    )
    assert 'type="checkbox" name="repeated_number_confirmed"' in page
    assert Donation.objects.count() == 1
    response = client.post(
        check_url(event),
        {**other, "submission_token": token, "repeated_number_confirmed": "on"},
    )
    assert response.status_code == 302
    assert Donation.objects.count() == 2


def test_the_gifts_list_shows_check_numbers(client: Client, event: Event, organizer: User) -> None:
    client.force_login(organizer)
    client.post(
        check_url(event), {**CHECK, "submission_token": form_token(client, check_url(event))}
    )
    page = client.get(f"/organize/{event.slug}/donations/").content.decode()
    assert "Check #1042" in page


# --- 15. One parser, with a limit ---------------------------------------------------------------


@pytest.mark.parametrize("typed", ["999999999999", "1e3", "2.5e1", "-250", "NaN", "250.001"])
def test_a_check_amount_that_is_not_plain_or_beyond_the_limit_is_refused(
    client: Client, event: Event, organizer: User, typed: str
) -> None:
    client.force_login(organizer)
    token = form_token(client, check_url(event))
    response = client.post(check_url(event), {**CHECK, "amount": typed, "submission_token": token})
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert not Donation.objects.exists()


def test_the_largest_check_is_the_events_setting(
    client: Client, event: Event, organizer: User
) -> None:
    Event.objects.filter(pk=event.pk).update(maximum_offline_cents=100_000)
    client.force_login(organizer)
    token = form_token(client, check_url(event))
    response = client.post(
        check_url(event), {**CHECK, "amount": "1000.01", "submission_token": token}
    )
    assert "The largest amount here is $1,000.00." in response.content.decode()
    response = client.post(
        check_url(event), {**CHECK, "amount": "1,000", "submission_token": token}
    )
    assert response.status_code == 302


# --- 7. Voiding: finance only, a reason, a reversing entry, no receipt -------------------------


def _check(client: Client, event: Event) -> Donation:
    client.post(
        check_url(event), {**CHECK, "submission_token": form_token(client, check_url(event))}
    )
    return Donation.objects.get(check_number=CHECK["check_number"])


def test_finance_voids_a_check_with_a_reason_and_the_ledger_reverses_it(
    client: Client, event: Event, organizer: User, finance: User
) -> None:
    client.force_login(organizer)
    gift = _check(client, event)
    client.force_login(finance)
    url = f"/organize/donations/{gift.pk}/void/"
    assert client.post(url, {"reason": ""}).status_code == 200  # a reason is required
    response = client.post(url, {"reason": "Entered for the wrong pledge day"})
    assert response.status_code == 302
    gift.refresh_from_db()
    assert (gift.status, gift.voided_by, gift.void_reason) == (
        Donation.Status.VOIDED,
        finance,
        "Entered for the wrong pledge day",
    )
    assert list(LedgerEntry.objects.filter(donation=gift).values_list("kind", "amount_cents")) == [
        ("gift", 25000),
        ("void", -25000),
    ]
    assert net(event) == 0
    page = client.get(f"/organize/{event.slug}/attention/").content.decode()
    assert "Entered for the wrong pledge day" in page
    # Voided once; a second void is refused and writes nothing.
    client.post(url, {"reason": "again"})
    assert LedgerEntry.objects.filter(donation=gift).count() == 2


def test_a_check_voided_before_its_receipt_went_out_gets_none(
    client: Client, event: Event, organizer: User, finance: User, mailoutbox
) -> None:
    client.force_login(organizer)
    gift = _check(client, event)  # the receipt task is queued on commit, not run here
    client.force_login(finance)
    client.post(f"/organize/donations/{gift.pk}/void/", {"reason": "Entered twice"})
    from donations.tasks import donation_receipt_send

    assert donation_receipt_send(gift.pk) == "not due"
    assert mailoutbox == []


def test_an_organizer_without_a_finance_role_cannot_void(
    client: Client, event: Event, organizer: User
) -> None:
    client.force_login(organizer)
    gift = _check(client, event)
    assert client.post(f"/organize/donations/{gift.pk}/void/", {"reason": "x"}).status_code == 403
    assert Donation.objects.get(pk=gift.pk).status == Donation.Status.SUCCEEDED


def test_a_card_gift_is_refunded_not_voided(client: Client, event: Event, finance: User) -> None:
    card = CardDonationFactory(event=event)
    Donation.objects.filter(pk=card.pk).update(status="succeeded", succeeded_at=timezone.now())
    client.force_login(finance)
    response = client.post(f"/organize/donations/{card.pk}/void/", {"reason": "x"})
    assert "refunded through Stripe, not voided" in response.content.decode()
    assert Donation.objects.get(pk=card.pk).status == Donation.Status.SUCCEEDED


def test_a_closed_pledge_days_cash_counts_are_final(event: Event, organizer: User) -> None:
    from django.core.exceptions import ValidationError

    from donations import services
    from tests.factories import BucketFactory, ShiftFactory
    from volunteers.models import BucketAssignment

    assignment = BucketAssignment.objects.create(
        bucket=BucketFactory(event=event), shift=ShiftFactory(corner__event=event),
        handed_out_at=timezone.now(), handed_out_by=organizer, returned_at=timezone.now(),
    )  # fmt: skip
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED)
    with pytest.raises(ValidationError) as refused:
        services.cash_count_record(
            assignment=assignment, amount_cents=1000, counted_by=organizer,
            witnessed_by=MembershipFactory(event=event).user, now=timezone.now(),
        )  # fmt: skip
    assert refused.value.code == "closed"
    assert not Donation.objects.exists()


def test_a_check_mailed_after_the_day_is_still_recorded(
    client: Client, event: Event, organizer: User
) -> None:
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED)
    client.force_login(organizer)
    assert post_check(client, event).status_code == 302
    assert Donation.objects.get().method == Donation.Method.CHECK
