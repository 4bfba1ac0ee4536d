"""Organizer pages of the money path: gifts list, cash counts, checks, refunds, bucket labels."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

import pytest
import stripe
from django.http import HttpResponse
from django.test import Client, override_settings
from django.utils import timezone

from donations import stripe_api
from donations.models import CashCount, Donation, LedgerEntry
from events.models import Event
from tests.factories import (
    BucketFactory,
    CardDonationFactory,
    CornerFactory,
    MembershipFactory,
    ShiftFactory,
    UserFactory,
    published_event,
    volunteer,
)
from volunteers import services as volunteer_services
from volunteers.models import BucketAssignment, User

pytestmark = pytest.mark.django_db


class RecordingTransport(stripe.HTTPClient):
    """Stands in for Stripe and records every request; these tests expect none to reach it."""

    name = "recording"

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):  # type: ignore[override]
        self.requests.append(
            {
                "method": method,
                "path": url.split("?", 1)[0].split("api.stripe.com", 1)[-1],
                "params": dict(parse_qsl(post_data or "", keep_blank_values=True)),
            }
        )
        return json.dumps({"error": {"message": "not expected in these tests"}}), 400, {}


@pytest.fixture
def stripe_live(monkeypatch: pytest.MonkeyPatch) -> RecordingTransport:
    transport = RecordingTransport()
    monkeypatch.setattr(stripe_api, "http_client", transport)
    with override_settings(STRIPE_SECRET_KEY="sk_test_recorded"):
        yield transport


def text(response: HttpResponse) -> str:
    return response.content.decode()


def handed_out(event: Event, by: User) -> BucketAssignment:
    """A bucket handed to the two checked-in volunteers of a shift."""
    shift = ShiftFactory(corner=CornerFactory(event=event))
    now = timezone.now()
    for person in (volunteer(), volunteer()):
        signup = volunteer_services.signup_create(user=person, shift=shift, now=now)
        volunteer_services.signup_check_in(signup=signup, now=shift.starts_at)
    return volunteer_services.bucket_hand_out(
        bucket=BucketFactory(event=event), shift=shift, by=by, now=now
    )


@pytest.fixture
def assignment(event: Event, organizer: User) -> BucketAssignment:
    """A bucket that went out with a pair of volunteers and came back."""
    out = handed_out(event, organizer)
    return volunteer_services.bucket_return(assignment=out, by=organizer, now=timezone.now())


def count_url(assignment: BucketAssignment) -> str:
    return f"/organize/buckets/{assignment.pk}/count/"


def page_token(page: str) -> str:
    """The one-time token a money form carries (posting it twice records once)."""
    found = re.search(r'name="submission_token" value="([^"]+)"', page)
    assert found, "the form has no submission token"
    return found.group(1)


def count(client: Client, assignment: BucketAssignment, amount: str, witness: User) -> HttpResponse:
    """As a browser would: load the page (it names the count it shows, if any), then post."""
    page = client.get(count_url(assignment)).content.decode()
    shown = re.search(r'name="corrects" value="(\d+)"', page)
    data = {"amount": amount, "witnessed_by": str(witness.pk), "submission_token": page_token(page)}
    if shown:
        data["corrects"] = shown.group(1)
    return client.post(count_url(assignment), data)


def test_posting_the_same_count_page_twice_does_not_correct_silently(
    client: Client, assignment: BucketAssignment, organizer: User, witness: User
) -> None:
    client.force_login(organizer)
    data = {"amount": "40.00", "witnessed_by": str(witness.pk), "submission_token": "a" * 32}
    assert client.post(count_url(assignment), data).status_code == 302
    again = client.post(count_url(assignment), {**data, "submission_token": "b" * 32})
    assert again.status_code == 200
    assert "already counted" in again.content.decode()
    assert CashCount.objects.count() == 1
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED


def paid_card_gift(event: Event, **fields: Any) -> Donation:
    donation = CardDonationFactory(event=event, **fields)
    Donation.objects.filter(pk=donation.pk).update(
        status=Donation.Status.SUCCEEDED, succeeded_at=timezone.now()
    )
    return Donation.objects.get(pk=donation.pk)


# --- The gifts list ---------------------------------------------------------------------------


def test_the_gifts_list_is_forbidden_to_a_volunteer(client: Client, event: Event) -> None:
    client.force_login(volunteer())
    assert client.get(f"/organize/{event.slug}/donations/").status_code == 403


def test_the_gifts_list_is_forbidden_to_the_organizer_of_another_event(
    client: Client, event: Event
) -> None:
    client.force_login(MembershipFactory(event=published_event()).user)
    assert client.get(f"/organize/{event.slug}/donations/").status_code == 403


def test_the_gifts_list_sends_signed_out_visitors_to_sign_in(client: Client, event: Event) -> None:
    response = client.get(f"/organize/{event.slug}/donations/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_gifts_list_shows_an_organizer_the_net_received_from_the_ledger(
    client: Client, event: Event, organizer: User
) -> None:
    donation = paid_card_gift(event, fee_cents=106)
    now = timezone.now()
    LedgerEntry.objects.create(
        donation=donation, kind="gift", key="gift", amount_cents=2500, created_at=now
    )
    LedgerEntry.objects.create(
        donation=donation, kind="refund", key="refund-to-606", amount_cents=-606, created_at=now
    )
    client.force_login(organizer)
    response = client.get(f"/organize/{event.slug}/donations/")
    assert response.status_code == 200
    assert "Net received: $18.94" in text(response)


def test_the_gifts_list_leaves_out_card_gifts_that_were_never_paid(
    client: Client, event: Event, organizer: User
) -> None:
    CardDonationFactory(event=event, donor_name="Pending Person")
    paid_card_gift(event, donor_name="Paid Person")
    client.force_login(organizer)
    page = text(client.get(f"/organize/{event.slug}/donations/"))
    assert "Paid Person" in page
    assert "Pending Person" not in page


# --- Cash counts ----------------------------------------------------------------------------------


def test_counting_a_returned_bucket_records_the_count_and_both_counters(
    client: Client, assignment: BucketAssignment, organizer: User, witness: User
) -> None:
    client.force_login(organizer)
    response = count(client, assignment, "123.45", witness)
    assert response.status_code == 302
    assert response["Location"] == f"/organize/shifts/{assignment.shift_id}/"
    cash_count = CashCount.objects.get()
    assert cash_count.amount_cents == 12345
    assert (cash_count.counted_by, cash_count.witnessed_by) == (organizer, witness)


def test_a_count_becomes_a_cash_gift_credited_to_the_buckets_corner_shift_and_holders(
    client: Client, assignment: BucketAssignment, organizer: User, witness: User
) -> None:
    client.force_login(organizer)
    count(client, assignment, "123.45", witness)
    gift = Donation.objects.get()
    assert gift == CashCount.objects.get().donation
    assert gift.method == Donation.Method.CASH
    assert gift.status == Donation.Status.SUCCEEDED
    assert gift.amount_cents == 12345
    assert gift.fee_cents == 0
    assert gift.recorded_by == organizer
    assert (gift.bucket, gift.shift, gift.corner) == (
        assignment.bucket,
        assignment.shift,
        assignment.shift.corner,
    )
    assert set(gift.volunteers.all()) == set(assignment.holders.all())
    assert gift.volunteers.count() == 2


def test_a_count_writes_its_whole_amount_to_the_ledger(
    client: Client, assignment: BucketAssignment, organizer: User, witness: User
) -> None:
    client.force_login(organizer)
    count(client, assignment, "123.45", witness)
    assert list(LedgerEntry.objects.values_list("kind", "amount_cents")) == [("gift", 12345)]


def test_a_bucket_still_on_the_corner_cannot_be_counted(
    client: Client, event: Event, organizer: User, witness: User
) -> None:
    still_out = handed_out(event, organizer)
    client.force_login(organizer)
    response = count(client, still_out, "50", witness)
    assert response.status_code == 200
    assert "Check the bucket back in before counting it." in text(response)
    assert not CashCount.objects.exists()
    assert not Donation.objects.exists()


def test_the_counter_cannot_witness_their_own_count(
    client: Client, assignment: BucketAssignment, organizer: User, witness: User
) -> None:
    client.force_login(organizer)
    response = count(client, assignment, "123.45", organizer)
    assert response.status_code == 200
    assert response.context["form"].errors["witnessed_by"]
    assert not CashCount.objects.exists()


def test_the_counter_is_not_offered_as_their_own_witness(
    client: Client, assignment: BucketAssignment, organizer: User, witness: User
) -> None:
    client.force_login(organizer)
    form = client.get(count_url(assignment)).context["form"]
    offered = set(form.fields["witnessed_by"].queryset)
    assert organizer not in offered
    assert witness in offered
    assert set(assignment.holders.all()) <= offered


def test_a_volunteer_cannot_count_a_bucket(
    client: Client, assignment: BucketAssignment, witness: User
) -> None:
    holder = assignment.holders.first()
    client.force_login(holder)
    assert client.get(count_url(assignment)).status_code == 403
    data = {"amount": "123.45", "witnessed_by": str(witness.pk), "submission_token": "a" * 32}
    assert client.post(count_url(assignment), data).status_code == 403
    assert not CashCount.objects.exists()


def test_a_second_count_voids_the_first_gift_and_records_the_new_one(
    client: Client, assignment: BucketAssignment, organizer: User, witness: User
) -> None:
    client.force_login(organizer)
    count(client, assignment, "123.45", witness)
    first_gift = Donation.objects.get()
    response = count(client, assignment, "120.00", witness)
    assert response.status_code == 302
    first_gift.refresh_from_db()
    assert first_gift.status == Donation.Status.VOIDED
    new_gift = Donation.objects.exclude(pk=first_gift.pk).get()
    assert (new_gift.status, new_gift.amount_cents) == (Donation.Status.SUCCEEDED, 12000)
    first_count, correction = CashCount.objects.order_by("id")
    assert correction.corrects == first_count
    assert correction.donation == new_gift


def test_a_correction_writes_a_negative_void_entry_for_the_first_gift(
    client: Client, assignment: BucketAssignment, organizer: User, witness: User
) -> None:
    client.force_login(organizer)
    count(client, assignment, "123.45", witness)
    first_gift = Donation.objects.get()
    count(client, assignment, "120.00", witness)
    assert list(
        LedgerEntry.objects.filter(donation=first_gift).values_list("kind", "amount_cents")
    ) == [("gift", 12345), ("void", -12345)]
    assert sum(LedgerEntry.objects.values_list("amount_cents", flat=True)) == 12000


def test_the_count_history_shows_the_first_count_and_its_correction(
    client: Client, assignment: BucketAssignment, organizer: User, witness: User
) -> None:
    client.force_login(organizer)
    count(client, assignment, "123.45", witness)
    count(client, assignment, "120.00", witness)
    page = text(client.get(count_url(assignment)))
    history = page[page.index("History") :]
    assert "$123.45" in history
    assert "$120.00" in history
    assert history.count("(correction)") == 1
    assert "Already counted: $120.00." in page


def test_the_gifts_list_after_a_correction_shows_the_corrected_net(
    client: Client, assignment: BucketAssignment, organizer: User, witness: User
) -> None:
    client.force_login(organizer)
    count(client, assignment, "123.45", witness)
    count(client, assignment, "120.00", witness)
    page = text(client.get(f"/organize/{assignment.bucket.event.slug}/donations/"))
    assert "Net received: $120.00" in page


def test_an_empty_bucket_left_blank_records_a_count_without_a_gift(
    client: Client, assignment: BucketAssignment, organizer: User, witness: User
) -> None:
    client.force_login(organizer)
    response = count(client, assignment, "", witness)
    assert response.status_code == 302
    cash_count = CashCount.objects.get()
    assert (cash_count.amount_cents, cash_count.donation) == (0, None)
    assert not Donation.objects.exists()


def test_an_empty_bucket_counted_as_zero_records_a_count_without_a_gift(
    client: Client, assignment: BucketAssignment, organizer: User, witness: User
) -> None:
    client.force_login(organizer)
    response = count(client, assignment, "0", witness)
    assert response.status_code == 302
    cash_count = CashCount.objects.get()
    assert (cash_count.amount_cents, cash_count.donation) == (0, None)
    assert not Donation.objects.exists()


# --- Checks ---------------------------------------------------------------------------------------


def check_url(event: Event) -> str:
    return f"/organize/{event.slug}/checks/new/"


def post_check(client: Client, event: Event, data: dict[str, str]) -> HttpResponse:
    """As a browser would: load the form (for its one-time token), then post it."""
    token = page_token(client.get(check_url(event)).content.decode())
    return client.post(check_url(event), {"submission_token": token, **data})


CHECK = {
    "amount": "250.00",
    "donor_name": "Ana Díaz",
    "check_number": "1042",
    "donor_email": "ana@example.org",
}


def test_a_check_is_recorded_as_a_succeeded_check_gift(
    client: Client, event: Event, organizer: User
) -> None:
    client.force_login(organizer)
    response = post_check(client, event, CHECK)
    assert response.status_code == 302
    assert response["Location"] == f"/organize/{event.slug}/donations/"
    gift = Donation.objects.get()
    assert (gift.method, gift.status) == (Donation.Method.CHECK, Donation.Status.SUCCEEDED)
    assert (gift.amount_cents, gift.check_number, gift.donor_name) == (25000, "1042", "Ana Díaz")
    assert gift.recorded_by == organizer
    assert list(LedgerEntry.objects.values_list("kind", "amount_cents")) == [("gift", 25000)]


def test_a_check_sends_a_receipt_naming_the_fiscal_host_tax_id_and_check_number(
    client: Client, event: Event, organizer: User, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    client.force_login(organizer)
    with django_capture_on_commit_callbacks(execute=True):
        post_check(client, event, CHECK)
    (receipt,) = mailoutbox
    assert receipt.to == ["ana@example.org"]
    assert event.fiscal_host.tax_id in receipt.body
    assert "#1042" in receipt.body
    assert "$250.00" in receipt.body
    assert Donation.objects.get().receipt_sent_at is not None


def test_a_check_without_its_number_is_a_form_error(
    client: Client, event: Event, organizer: User
) -> None:
    client.force_login(organizer)
    response = post_check(client, event, {**CHECK, "check_number": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["check_number"]
    assert not Donation.objects.exists()


def test_recording_a_check_is_forbidden_to_a_volunteer(client: Client, event: Event) -> None:
    client.force_login(volunteer())
    assert client.post(check_url(event), CHECK).status_code == 403
    assert not Donation.objects.exists()


# --- Refunds --------------------------------------------------------------------------------------


def refund_url(donation: Donation) -> str:
    return f"/organize/donations/{donation.pk}/refund/"


def test_a_refund_by_a_volunteer_is_forbidden(
    client: Client, event: Event, stripe_live: RecordingTransport
) -> None:
    donation = paid_card_gift(event)
    client.force_login(volunteer())
    assert (
        client.post(
            refund_url(donation), {"amount": "5.00", "refunded_seen": "0", "refunds_seen": "0"}
        ).status_code
        == 403
    )
    assert stripe_live.requests == []


def test_a_refund_larger_than_what_is_left_is_refused_without_calling_stripe(
    client: Client, event: Event, finance: User, stripe_live: RecordingTransport
) -> None:
    donation = paid_card_gift(event)
    client.force_login(finance)
    response = client.post(
        refund_url(donation),
        {"amount": "25.01", "refunded_seen": "0", "refunds_seen": "0"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/organize/{event.slug}/donations/", 302)]
    assert "You can refund between $0.01 and $25.00." in text(response)
    assert stripe_live.requests == []
    donation.refresh_from_db()
    assert (donation.status, donation.refunded_cents) == (Donation.Status.SUCCEEDED, 0)


def test_a_refund_from_a_stale_page_is_refused_without_calling_stripe(
    client: Client, event: Event, finance: User, stripe_live: RecordingTransport
) -> None:
    donation = paid_card_gift(event)
    Donation.objects.filter(pk=donation.pk).update(refunded_cents=500)
    client.force_login(finance)
    response = client.post(
        refund_url(donation),
        {"amount": "5.00", "refunded_seen": "0", "refunds_seen": "0"},
        follow=True,
    )
    assert "changed since the page was loaded" in text(response)
    assert stripe_live.requests == []


def test_an_unpaid_card_gift_cannot_be_refunded(
    client: Client, event: Event, finance: User, stripe_live: RecordingTransport
) -> None:
    donation = CardDonationFactory(event=event)
    client.force_login(finance)
    response = client.post(
        refund_url(donation),
        {"amount": "5.00", "refunded_seen": "0", "refunds_seen": "0"},
        follow=True,
    )
    assert "Only a completed card gift can be refunded." in text(response)
    assert stripe_live.requests == []
    donation.refresh_from_db()
    assert donation.status == Donation.Status.PENDING


# --- Bucket labels --------------------------------------------------------------------------------


def test_the_labels_sheet_has_a_qr_code_url_and_call_to_give_for_each_bucket(
    client: Client, event: Event, organizer: User
) -> None:
    buckets = [BucketFactory(event=event), BucketFactory(event=event)]
    client.force_login(organizer)
    response = client.get(f"/organize/{event.slug}/labels/")
    assert response.status_code == 200
    page = text(response)
    assert page.count("<svg") == 2
    assert page.count("Scan to give") == page.count("Escanea para donar") == 2
    for bucket in buckets:
        assert f"http://testserver/g/{bucket.token}" in page


def test_the_labels_sheet_is_forbidden_to_a_volunteer(client: Client, event: Event) -> None:
    client.force_login(volunteer())
    assert client.get(f"/organize/{event.slug}/labels/").status_code == 403


def test_the_finance_role_can_open_the_money_pages(client: Client, event: Event) -> None:
    treasurer = UserFactory()
    MembershipFactory(user=treasurer, event=event, role="finance")
    client.force_login(treasurer)
    assert client.get(f"/organize/{event.slug}/donations/").status_code == 200
    assert client.get(f"/organize/{event.slug}/checks/new/").status_code == 200
