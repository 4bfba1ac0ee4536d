"""The donor's pages: the give page from a bucket's QR code or a volunteer's link, thanks, demo pay.

Every gift that is POSTed goes to a recording Stripe transport (keys set), never to a network.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from typing import Any
from urllib.parse import parse_qsl

import pytest
import stripe
from django.http import HttpResponse
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.html import escape

from donations import stripe_api
from donations.models import Donation
from events.models import Bucket, Event, Shift
from events.money import fee_cover_cents, fee_estimate_cents
from tests.donations import stripe_shapes as shapes
from tests.factories import (
    BucketFactory,
    CardDonationFactory,
    CornerFactory,
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    ShiftFactory,
    published_event,
    volunteer,
)
from volunteers import services as volunteer_services
from volunteers.models import BucketAssignment, User

pytestmark = pytest.mark.django_db


class RecordingTransport(stripe.HTTPClient):
    """Answers Stripe's API like Stripe would, from its published shapes, and records requests.

    Each Checkout Session gets its own id: a donation's session id is unique in the database.
    """

    name = "recording"

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def request(self, method, url, headers, post_data=None, *, _usage=None):  # type: ignore[override]
        path = url.split("?", 1)[0].split("api.stripe.com", 1)[-1]
        self.requests.append(
            {
                "method": method,
                "path": path,
                "params": dict(parse_qsl(post_data or "", keep_blank_values=True)),
            }
        )
        if path != "/v1/checkout/sessions":
            return json.dumps({"error": {"message": f"unexpected {path}"}}), 404, {}
        session_id = f"cs_test_give_{next(self._ids)}"
        session = shapes.shape(
            "checkout.session", id=session_id, url=f"https://checkout.stripe.com/c/pay/{session_id}"
        )
        return json.dumps(session), 200, {}


@pytest.fixture
def stripe_live(monkeypatch: pytest.MonkeyPatch) -> RecordingTransport:
    transport = RecordingTransport()
    monkeypatch.setattr(stripe_api, "http_client", transport)
    with override_settings(STRIPE_SECRET_KEY="sk_test_recorded"):
        yield transport


@pytest.fixture
def bucket(event: Event) -> Bucket:
    return BucketFactory(event=event)


def text(response: HttpResponse) -> str:
    return response.content.decode()


def give_url(bucket: Bucket) -> str:
    return f"/g/{bucket.token}"


def give(client: Client, bucket: Bucket, data: dict[str, str], **extra: str) -> HttpResponse:
    return client.post(give_url(bucket), data, **extra)


def staffed_shift(event: Event, hour: int = 9) -> tuple[Shift, list[User]]:
    """A shift of the event with two confirmed, checked-in volunteers."""
    start = event.starts_at.astimezone(event.tzinfo).replace(hour=hour)
    shift = ShiftFactory(
        corner=CornerFactory(event=event), starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    pair = [volunteer(), volunteer()]
    now = timezone.now()
    for person in pair:
        signup = volunteer_services.signup_create(user=person, shift=shift, now=now)
        volunteer_services.signup_check_in(signup=signup, now=shift.starts_at)
    return shift, pair


def hand_out(bucket: Bucket, shift: Shift, at: dt.datetime) -> BucketAssignment:
    organizer = MembershipFactory(event=bucket.event).user
    return volunteer_services.bucket_hand_out(bucket=bucket, shift=shift, by=organizer, now=at)


def give_back(assignment: BucketAssignment, at: dt.datetime) -> BucketAssignment:
    return volunteer_services.bucket_return(
        assignment=assignment, by=assignment.handed_out_by, now=at
    )


# --- The give page --------------------------------------------------------------------------------


def test_the_give_page_of_a_bucket_offers_the_events_suggested_amounts(
    client: Client, bucket: Bucket
) -> None:
    hand_out(bucket, staffed_shift(bucket.event)[0], timezone.now())  # out: the form is shown
    response = client.get(give_url(bucket))
    assert response.status_code == 200
    page = text(response)
    for label in ("$10", "$25", "$50"):
        assert f"<span>{label}</span>" in page
    for cents in (1000, 2500, 5000):
        assert f'value="{cents}"' in page


def test_the_give_page_loads_no_third_party_script(client: Client, bucket: Bucket) -> None:
    hand_out(bucket, staffed_shift(bucket.event)[0], timezone.now())
    page = text(client.get(give_url(bucket)))
    # Only its own deferred script (the total on Give); nothing from elsewhere before Give.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/give.js" defer>']


def test_an_unknown_bucket_token_is_a_friendly_not_found_page(client: Client) -> None:
    response = client.get("/g/nosuchbucket2345")
    assert response.status_code == 404
    assert "We couldn’t find that page" in text(response)


def test_a_bucket_token_typed_in_capitals_still_finds_the_bucket(
    client: Client, bucket: Bucket
) -> None:
    response = client.get(f"/g/{bucket.token.upper()}")
    assert response.status_code == 200
    assert bucket.event.title in text(response)


def test_the_bucket_of_a_draft_event_is_not_found(client: Client) -> None:
    bucket = BucketFactory(event=EventFactory())  # drafts are the factory's default
    assert bucket.event.status == Event.Status.DRAFT
    assert client.get(give_url(bucket)).status_code == 404


def test_the_bucket_of_a_closed_event_points_to_the_partners_and_the_hotline(
    client: Client, bucket: Bucket
) -> None:
    Event.objects.filter(pk=bucket.event_id).update(status=Event.Status.CLOSED)
    response = client.get(give_url(bucket))
    assert response.status_code == 410
    page = text(response)
    assert "is over" in page
    assert "1-888-373-7888" in page
    for partner in bucket.event.partners.select_related("organization"):
        assert partner.organization.name in page
    assert 'name="preset"' not in response.content.decode()
    assert client.post(give_url(bucket), {"preset": "2500"}).status_code == 410
    assert not Donation.objects.exists()


# --- Starting a gift ------------------------------------------------------------------------------


def test_a_preset_amount_opens_stripe_checkout(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    response = give(client, bucket, {"preset": "2500"})
    assert response.status_code == 303
    donation = Donation.objects.get()
    assert response["Location"] == (
        f"https://checkout.stripe.com/c/pay/{donation.stripe_checkout_session_id}"
    )
    assert [r["path"] for r in stripe_live.requests] == ["/v1/checkout/sessions"]


def test_a_preset_amount_records_a_pending_card_gift_of_that_amount_from_the_bucket(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    give(client, bucket, {"preset": "5000"})
    donation = Donation.objects.get()
    assert donation.status == Donation.Status.PENDING
    assert donation.method == Donation.Method.CARD
    assert donation.amount_cents == 5000
    assert donation.fee_cents == 0
    assert donation.bucket == bucket
    assert donation.corner is None
    assert donation.shift is None
    assert list(donation.volunteers.all()) == []


def test_a_gift_from_a_handed_out_bucket_is_credited_to_its_corner_shift_and_pair(
    client: Client, event: Event, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    shift, pair = staffed_shift(event)
    hand_out(bucket, shift, timezone.now())
    give(client, bucket, {"preset": "2500"})
    donation = Donation.objects.get()
    assert donation.bucket == bucket
    assert donation.shift == shift
    assert donation.corner == shift.corner
    assert {v.pk for v in donation.volunteers.all()} == {p.pk for p in pair}


def test_the_give_page_of_a_handed_out_bucket_names_its_corner(
    client: Client, event: Event, bucket: Bucket
) -> None:
    shift, _pair = staffed_shift(event)
    hand_out(bucket, shift, timezone.now())
    assert escape(shift.corner.name) in text(client.get(give_url(bucket)))


def test_a_gift_goes_to_the_bucket_that_is_out_now_not_to_an_earlier_hand_out(
    client: Client, event: Event, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    now = timezone.now()
    morning, _ = staffed_shift(event, hour=8)
    give_back(hand_out(bucket, morning, now), now + dt.timedelta(hours=1))
    afternoon, afternoon_pair = staffed_shift(event, hour=13)
    hand_out(bucket, afternoon, now + dt.timedelta(hours=2))
    give(client, bucket, {"preset": "2500"})
    donation = Donation.objects.get()
    assert donation.shift == afternoon
    assert {v.pk for v in donation.volunteers.all()} == {p.pk for p in afternoon_pair}


def test_a_gift_after_the_bucket_is_back_goes_to_its_latest_hand_out(
    client: Client, event: Event, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    now = timezone.now()
    morning, _ = staffed_shift(event, hour=8)
    give_back(hand_out(bucket, morning, now), now + dt.timedelta(hours=1))
    afternoon, _ = staffed_shift(event, hour=13)
    give_back(hand_out(bucket, afternoon, now + dt.timedelta(hours=2)), now + dt.timedelta(hours=3))
    give(client, bucket, {"preset": "2500"})
    assert Donation.objects.get().shift == afternoon


# --- Amounts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["25.50", "25,50"])
def test_a_custom_amount_is_read_with_a_decimal_point_or_a_decimal_comma(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport, typed: str
) -> None:
    response = give(client, bucket, {"custom": typed})
    assert response.status_code == 303
    assert Donation.objects.get().amount_cents == 2550


def test_a_custom_amount_below_the_events_minimum_is_refused(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    assert bucket.event.minimum_gift_cents == 500
    response = give(client, bucket, {"custom": "4.99"})
    assert response.status_code == 400
    assert "The smallest gift online is $5.00." in text(response)
    assert not Donation.objects.exists()
    assert stripe_live.requests == []


def test_a_custom_amount_above_the_online_maximum_is_refused(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    too_much = bucket.event.maximum_gift_cents + 1
    response = give(client, bucket, {"custom": f"{too_much // 100}.{too_much % 100:02d}"})
    assert response.status_code == 400
    assert "please contact the organizers" in text(response)
    assert not Donation.objects.exists()


def test_the_online_maximum_itself_is_accepted(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    most = bucket.event.maximum_gift_cents
    response = give(client, bucket, {"custom": f"{most // 100}.{most % 100:02d}"})
    assert response.status_code == 303
    assert Donation.objects.get().amount_cents == most


def test_a_custom_amount_that_is_not_a_number_is_refused(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    response = give(client, bucket, {"custom": "abc"})
    assert response.status_code == 400
    assert "Enter an amount like 25 or 25.50." in text(response)
    assert not Donation.objects.exists()


def test_a_gift_without_any_amount_is_refused(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    response = give(client, bucket, {"donor_name": "Ana"})
    assert response.status_code == 400
    assert "Choose or enter an amount." in text(response)
    assert not Donation.objects.exists()


def test_a_preset_that_is_not_one_of_the_events_amounts_is_refused(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    response = give(client, bucket, {"preset": "1"})
    assert response.status_code == 400
    assert not Donation.objects.exists()


# --- Covering the card fee ------------------------------------------------------------------------


def test_the_fee_that_covers_2500_at_the_default_rate_is_106() -> None:
    event = published_event()
    assert (event.card_fee_bp, event.card_fee_fixed_cents) == (290, 30)
    fee = fee_cover_cents(2500, fee_bp=290, fixed_cents=30)
    assert fee == 106
    assert 2500 + fee - fee_estimate_cents(2500 + fee, fee_bp=290, fixed_cents=30) >= 2500


def test_covering_the_fee_charges_the_gift_plus_the_fee(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    give(client, bucket, {"preset": "2500", "cover_fee": "on"})
    donation = Donation.objects.get()
    assert (donation.amount_cents, donation.fee_cents, donation.total_cents) == (2500, 106, 2606)
    (sent,) = stripe_live.requests
    assert sent["params"]["line_items[0][price_data][unit_amount]"] == "2606"


def test_covering_the_fee_lets_the_whole_gift_arrive_after_the_processors_fee(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    give(client, bucket, {"custom": "37.13", "cover_fee": "on"})
    donation = Donation.objects.get()
    event = bucket.event
    processor_fee = fee_estimate_cents(
        donation.total_cents, fee_bp=event.card_fee_bp, fixed_cents=event.card_fee_fixed_cents
    )
    assert donation.total_cents - processor_fee >= donation.amount_cents == 3713


def test_without_covering_the_fee_only_the_gift_is_charged(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    give(client, bucket, {"preset": "2500"})
    (sent,) = stripe_live.requests
    assert sent["params"]["line_items[0][price_data][unit_amount]"] == "2500"


# --- Designation ----------------------------------------------------------------------------------


def test_a_gift_designated_to_a_partner_of_the_event_records_the_partner(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    partner = bucket.event.partners.first().organization
    response = give(client, bucket, {"preset": "2500", "designation": str(partner.pk)})
    assert response.status_code == 303
    assert Donation.objects.get().designated_to == partner


def test_a_gift_designated_to_an_organization_that_is_not_a_partner_is_refused(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    stranger = OrganizationFactory()
    response = give(client, bucket, {"preset": "2500", "designation": str(stranger.pk)})
    assert response.status_code == 400
    assert not Donation.objects.exists()


def test_a_partner_of_another_event_cannot_be_chosen(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    other_partner = published_event().partners.first().organization
    response = give(client, bucket, {"preset": "2500", "designation": str(other_partner.pk)})
    assert response.status_code == 400
    assert not Donation.objects.exists()


# --- A volunteer's personal link ------------------------------------------------------------------


def test_a_volunteers_personal_link_credits_that_volunteer(
    client: Client, event: Event, stripe_live: RecordingTransport
) -> None:
    person = volunteer()
    url = f"/events/{event.slug}/give/?v={person.volunteer_profile.give_token}"
    response = client.post(url, {"preset": "2500"})
    assert response.status_code == 303
    donation = Donation.objects.get()
    assert list(donation.volunteers.all()) == [person]
    assert donation.bucket is None


def test_the_give_page_never_names_the_volunteers(client: Client, event: Event) -> None:
    # Volunteers may be minors: their names are not for anyone holding the link.
    person = volunteer()
    url = f"/events/{event.slug}/give/?v={person.volunteer_profile.give_token}"
    page = text(client.get(url))
    assert person.get_short_name() not in page
    assert person.email not in page


def test_an_unknown_personal_code_still_shows_the_page(client: Client, event: Event) -> None:
    response = client.get(f"/events/{event.slug}/give/?v=nobody")
    assert response.status_code == 200
    assert "Thank you for supporting" not in text(response)


def test_an_unknown_personal_code_credits_no_one(
    client: Client, event: Event, stripe_live: RecordingTransport
) -> None:
    volunteer()
    response = client.post(f"/events/{event.slug}/give/?v=nobody", {"preset": "2500"})
    assert response.status_code == 303
    assert list(Donation.objects.get().volunteers.all()) == []


def test_the_give_page_of_a_draft_event_is_not_found(client: Client) -> None:
    assert client.get(f"/events/{EventFactory().slug}/give/").status_code == 404


# --- Languages ------------------------------------------------------------------------------------


def test_a_spanish_speaking_phone_gets_the_give_page_in_spanish(
    client: Client, bucket: Bucket
) -> None:
    response = client.get(give_url(bucket), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert '<html lang="es">' in text(response)


def test_an_english_speaking_phone_gets_the_give_page_in_english(
    client: Client, bucket: Bucket
) -> None:
    assert '<html lang="en">' in text(client.get(give_url(bucket), HTTP_ACCEPT_LANGUAGE="en"))


# --- Thanks ---------------------------------------------------------------------------------------


def test_the_thanks_page_of_a_pending_gift_refreshes_itself(client: Client) -> None:
    donation = CardDonationFactory()
    response = client.get(f"/give/thanks/{donation.public_token}/")
    assert response.status_code == 200
    assert '<meta http-equiv="refresh"' in text(response)


def test_the_thanks_page_of_a_succeeded_gift_thanks_and_shows_the_hotline(client: Client) -> None:
    donation = CardDonationFactory()
    Donation.objects.filter(pk=donation.pk).update(
        status=Donation.Status.SUCCEEDED, succeeded_at=timezone.now()
    )
    page = text(client.get(f"/give/thanks/{donation.public_token}/"))
    assert "Thank you!" in page
    assert "1-888-373-7888" in page
    assert 'http-equiv="refresh"' not in page


def test_the_thanks_page_of_an_unknown_gift_is_not_found(client: Client) -> None:
    assert client.get("/give/thanks/no-such-token/").status_code == 404


# --- The demo payment page ------------------------------------------------------------------------


@override_settings(STRIPE_SECRET_KEY="sk_test_x")
def test_the_demo_payment_page_does_not_exist_when_stripe_keys_are_set(client: Client) -> None:
    donation = CardDonationFactory()
    assert client.get(f"/give/demo-pay/{donation.public_token}/").status_code == 404
    assert client.post(f"/give/demo-pay/{donation.public_token}/").status_code == 404


@pytest.mark.parametrize("typed", ["1e3", "2.5e1", "1E2", "-25", "0x19", "25.001"])
def test_an_amount_written_in_a_form_people_do_not_type_is_refused(
    client: Client, bucket: Bucket, stripe_live: RecordingTransport, typed: str
) -> None:
    """Issue 7, scenario 15: "1e3" used to start a $1,000 gift."""
    response = give(client, bucket, {"custom": typed})
    assert response.status_code == 400
    assert "Enter an amount like 25 or 25.50." in text(response)
    assert not Donation.objects.exists()
    assert stripe_live.requests == []


def test_a_gift_started_while_the_fee_changes_is_refused_not_given_under_old_settings(
    bucket: Bucket, stripe_live: RecordingTransport
) -> None:
    """The donor's page was built with the old fee; the insert sees the new one (it holds a
    share lock on the event from then on) and refuses instead of mixing the two."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from donations import services

    shown = Event.objects.get(pk=bucket.event_id)
    Event.objects.filter(pk=shown.pk).update(card_fee_bp=350)  # committed meanwhile
    with pytest.raises(ValidationError) as refused:
        services.donation_start(
            event=shown, amount_cents=2500, cover_fee=True, designated_to=None,
            attribution=services.Attribution(bucket=bucket), donor_name="", donor_email="",
            anonymous=False, language="en", now=timezone.now(), success_url="https://x/{token}",
            cancel_url="https://x/", demo_pay_url="https://x/{token}",
        )  # fmt: skip
    assert refused.value.code == "settings_changed"
    assert not Donation.objects.exists()
    assert stripe_live.requests == []
