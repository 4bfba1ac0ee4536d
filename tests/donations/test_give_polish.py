"""The donor at the corner (issue 11): the amount on Give, the official-bucket line or its
caution, the demo payment's breakdown, the thank-you page, presets in the event's currency, and
the weight of the first render."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from donations.models import Donation
from events.models import Bucket, Event
from events.money import cents_format, cents_parse, fee_cover_cents
from tests.donations import stripe_shapes as shapes
from tests.factories import (
    BucketFactory,
    CardDonationFactory,
    CornerFactory,
    MembershipFactory,
    ShiftFactory,
    published_event,
    volunteer,
)
from tests.support.stripe_fake import FakeStripe
from volunteers import services as volunteer_services
from volunteers.models import BucketAssignment, Signup

pytestmark = pytest.mark.django_db

GIVE_JS = Path(settings.BASE_DIR) / "static" / "js" / "give.js"
# Runs the give page's own functions under Node on the inputs given, and prints what they make.
NODE_CHECK = """
const input = %s;
const g = require(input.script);
const strip = process.argv[1];
const parsed = input.typed.map((t) => {
  const cents = g.parseCents(t, strip);
  return cents ? Number(cents) : null;
});
const fees = input.rates.map(([bp, fixed]) =>
  input.amounts.map((a) => Number(g.feeCover(BigInt(a), BigInt(bp), BigInt(fixed))))
);
const formatted = input.amounts.map(
  (a) => g.format(BigInt(a), "$") + " " + g.format(BigInt(a), "MX$", true)
);
console.log(JSON.stringify({ parsed, fees, formatted }));
"""


def text(response: HttpResponse) -> str:
    return response.content.decode()


def give_button(page: str) -> str:
    match = re.search(r'<button type="submit" class="button give-button">([^<]*)</button>', page)
    assert match, "the page has a Give button"
    return match.group(1)


def bucket_out(event: Event, *, label: str = "B-01", corner: str = "Blackstone & Shaw") -> Bucket:
    """A bucket of `event` handed out now to a checked-in pair at `corner`."""
    now = timezone.now()
    shift = ShiftFactory(
        corner=CornerFactory(event=event, name=corner),
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=2),
    )
    for person in (volunteer(), volunteer()):
        signup = volunteer_services.signup_create(
            user=person, shift=shift, now=now - dt.timedelta(days=1)
        )
        volunteer_services.signup_check_in(signup=signup, now=now - dt.timedelta(minutes=30))
    bucket = BucketFactory(event=event, label=label)
    volunteer_services.bucket_hand_out(
        bucket=bucket, shift=shift, by=MembershipFactory(event=event).user, now=now
    )
    return bucket


def live_event(**fields: object) -> Event:
    now = timezone.now()
    event = published_event(
        starts_at=now - dt.timedelta(hours=2), ends_at=now + dt.timedelta(hours=6), **fields
    )
    Event.objects.filter(pk=event.pk).update(status=Event.Status.LIVE)
    event.refresh_from_db()
    return event


@pytest.fixture
def event() -> Event:
    return live_event()


@pytest.fixture
def bucket(event: Event) -> Bucket:
    return bucket_out(event)


def assignment_of(bucket: Bucket) -> BucketAssignment:
    return BucketAssignment.objects.get(bucket=bucket)


# --- The amount on Give ---------------------------------------------------------------------------


def test_before_an_amount_is_chosen_the_button_says_only_give(
    client: Client, bucket: Bucket
) -> None:
    assert give_button(text(client.get(f"/g/{bucket.token}"))) == "Give"


def test_a_form_shown_again_puts_the_gift_plus_the_covered_fee_on_the_button(
    client: Client, bucket: Bucket
) -> None:
    response = client.post(
        f"/g/{bucket.token}", {"custom": "37.13", "cover_fee": "on", "donor_email": "not-an-email"}
    )
    assert response.status_code == 400
    total = 3713 + fee_cover_cents(3713, fee_bp=290, fixed_cents=30)
    assert total == 3855
    page = text(response)
    assert give_button(page) == "Give $38.55"
    assert "$37.13 gift + $1.42 card fee" in page
    assert not Donation.objects.exists()


def test_a_refused_amount_is_not_put_on_the_button_and_says_why(
    client: Client, bucket: Bucket
) -> None:
    """The button shows the amount as the form read it: $1 under a $5 minimum is no amount."""
    response = client.post(f"/g/{bucket.token}", {"custom": "1", "donor_email": "not-an-email"})
    assert response.status_code == 400
    page = text(response)
    assert give_button(page) == "Give"
    assert "custom_error" in page  # the amount's own error, beside the email's
    assert not Donation.objects.exists()


def test_without_covering_the_fee_the_button_shows_the_gift_and_the_fee_it_bears(
    client: Client, bucket: Bucket
) -> None:
    page = text(client.post(f"/g/{bucket.token}", {"preset": "2500", "donor_email": "x"}))
    assert give_button(page) == "Give $25"
    assert "$25.00 gift; the $1.06 card fee comes out of it" in page


def test_the_page_gives_its_script_the_events_fee_and_currency(client: Client) -> None:
    event = live_event(card_fee_bp=350, card_fee_fixed_cents=25, currency="eur")
    page = text(client.get(f"/g/{bucket_out(event).token}"))
    assert 'data-fee-bp="350"' in page
    assert 'data-fee-fixed="25"' in page
    assert 'data-symbol="€"' in page


def test_the_give_script_is_a_deferred_same_origin_file_and_nothing_is_third_party(
    client: Client, bucket: Bucket
) -> None:
    page = text(client.get(f"/g/{bucket.token}"))
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts == [f'<script src="{settings.STATIC_URL}js/give.js" defer>']
    assert not re.search(r'(src|href|action)="(https?:)?//', page)


def static_text(path: str) -> bytes:
    found = finders.find(path)
    assert found, path
    return Path(found).read_bytes()


def test_the_first_render_of_the_give_page_is_under_14_kb_compressed(
    client: Client, bucket: Bucket
) -> None:
    """HTML, stylesheets and script of the first render, each compressed as a server would."""
    page = client.get(f"/g/{bucket.token}").content
    assets = re.findall(
        rb'(?:href|src)="' + settings.STATIC_URL.encode() + rb'([^"]+\.(?:css|js))"', page
    )
    assert {b"css/give.css", b"js/give.js"} <= set(assets)
    weight = len(gzip.compress(page)) + sum(
        len(gzip.compress(static_text(asset.decode()))) for asset in assets
    )
    assert weight < 14 * 1024


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js runs the page's script here")
def test_the_scripts_fee_parsing_and_formatting_agree_with_the_servers_to_the_cent() -> None:
    rng = random.Random(11)
    typed = ["25", "25.5", "25,50", "$1,000.00", "1,000", ".5", "0", "1e3", "-5", "CA$12.34", "€7"]
    typed += [f"{rng.randrange(1, 1_000_000)}.{rng.randrange(100):02d}" for _ in range(200)]
    rates = [(290, 30), (350, 25), (0, 0), (4999, 100)]
    amounts = [rng.randrange(1, 10_000_000) for _ in range(300)]
    script = NODE_CHECK % json.dumps(
        {"script": str(GIVE_JS), "typed": typed, "rates": rates, "amounts": amounts}
    )
    from events.money import SYMBOL_CHARACTERS

    out = subprocess.run(
        [shutil.which("node") or "node", "-e", script, SYMBOL_CHARACTERS],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    result = json.loads(out.stdout)
    assert result["parsed"] == [cents_parse(t) or None for t in typed]
    assert result["fees"] == [
        [fee_cover_cents(a, fee_bp=bp, fixed_cents=fixed) for a in amounts] for bp, fixed in rates
    ]
    assert result["formatted"] == [
        f"{cents_format(a, 'usd')} {cents_format(a, 'mxn', whole_if_round=True)}" for a in amounts
    ]


# --- Presets in the event's currency --------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_euro_pledge_days_presets_and_amounts_are_in_euros(client: Client, language: str) -> None:
    event = live_event(currency="eur", suggested_amounts_cents=[1000, 2000, 5000])
    page = text(client.get(f"/g/{bucket_out(event).token}", HTTP_ACCEPT_LANGUAGE=language))
    for label in ("€10", "€20", "€50"):
        assert f"<span>{label}</span>" in page
    assert '<span class="currency" aria-hidden="true">€</span>' in page
    assert "<span>$" not in page


def test_a_peso_pledge_day_shows_its_currency_on_the_button(client: Client) -> None:
    event = live_event(
        currency="mxn", suggested_amounts_cents=[10000, 20000], minimum_gift_cents=1000
    )
    page = text(
        client.post(f"/g/{bucket_out(event).token}", {"preset": "20000", "donor_email": "x"})
    )
    assert give_button(page) == "Give MX$200"
    assert "<span>MX$100</span>" in page


# --- Trust at the bucket --------------------------------------------------------------------------


def test_a_bucket_out_now_is_named_with_its_corner_and_the_local_time_it_went_out(
    client: Client, bucket: Bucket, event: Event
) -> None:
    since = assignment_of(bucket).handed_out_at.astimezone(event.tzinfo)
    page = text(client.get(f"/g/{bucket.token}"))
    assert "Official bucket B-01" in page
    assert f"out at {escape('Blackstone & Shaw')} since" in page
    hour = since.strftime("%I").lstrip("0")
    assert re.search(rf"since {hour}(:{since:%M})? [ap]\.m\. with 2 checked-in volunteers", page)
    assert event.title in page
    assert 'name="preset"' in page


def caution(client: Client, bucket: Bucket, **headers: str) -> str:
    response = client.get(f"/g/{bucket.token}", **headers)
    assert response.status_code == 200
    page = text(response)
    assert "This bucket is not out right now" in page
    assert "please don’t give here" in page
    assert f'href="/events/{bucket.event.slug}/give/"' in page
    assert 'name="preset"' not in page
    assert "Official bucket" not in page
    return page


def test_a_bucket_never_handed_out_shows_a_caution_instead_of_the_form(
    client: Client, event: Event
) -> None:
    bucket = BucketFactory(event=event, label="B-09")
    assert "Bucket B-09 of" in caution(client, bucket)
    assert "has not been handed out" in caution(client, bucket)


def test_a_returned_bucket_shows_a_caution(client: Client, bucket: Bucket) -> None:
    assignment = assignment_of(bucket)
    volunteer_services.bucket_return(
        assignment=assignment, by=assignment.handed_out_by, now=timezone.now()
    )
    assert "has been returned to the organizers" in caution(client, bucket)


def test_a_bucket_whose_volunteers_checked_out_shows_a_caution(
    client: Client, bucket: Bucket
) -> None:
    Signup.objects.filter(shift=assignment_of(bucket).shift).update(checked_out_at=timezone.now())
    assert "has no checked-in volunteer with it" in caution(client, bucket)


def test_one_volunteer_still_checked_in_keeps_the_bucket_out(
    client: Client, bucket: Bucket
) -> None:
    first = Signup.objects.filter(shift=assignment_of(bucket).shift).order_by("pk").first()
    Signup.objects.filter(pk=first.pk).update(checked_out_at=timezone.now())
    assert "with 1 checked-in volunteer." in text(client.get(f"/g/{bucket.token}"))


def test_a_bucket_of_a_pledge_day_that_has_ended_shows_a_caution(
    client: Client, bucket: Bucket, event: Event
) -> None:
    # Over, but within its grace period: gifts are still taken, the bucket is not out.
    Event.objects.filter(pk=event.pk).update(ends_at=timezone.now() - dt.timedelta(minutes=5))
    assert "which is not under way now" in caution(client, bucket)


def test_the_caution_is_in_spanish_on_a_spanish_phone(client: Client, event: Event) -> None:
    page = text(client.get(f"/g/{BucketFactory(event=event).token}", HTTP_ACCEPT_LANGUAGE="es"))
    assert '<html lang="es">' in page
    assert f'href="/events/{event.slug}/give/"' in page


def test_a_gift_posted_from_a_page_opened_while_the_bucket_was_out_still_goes_through(
    client: Client, bucket: Bucket, fake_stripe: FakeStripe
) -> None:
    fake_stripe.answer(
        "post",
        "/v1/checkout/sessions",
        shapes.shape("checkout.session", id="cs_late", url="https://checkout.stripe.com/c/pay/x"),
    )
    assignment = assignment_of(bucket)
    volunteer_services.bucket_return(
        assignment=assignment, by=assignment.handed_out_by, now=timezone.now()
    )
    response = client.post(f"/g/{bucket.token}", {"preset": "2500"})
    assert response.status_code == 303
    donation = Donation.objects.get()
    assert donation.bucket == bucket
    assert donation.shift == assignment.shift


# --- The demo payment page ------------------------------------------------------------------------


def demo_page(client: Client, donation: Donation) -> str:
    response = client.get(f"/give/demo-pay/{donation.public_token}/")
    assert response.status_code == 200
    return text(response)


def breakdown(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', page)


def test_the_demo_payment_page_shows_gift_fee_and_total(client: Client) -> None:
    page = demo_page(client, CardDonationFactory(amount_cents=3713, fee_cents=142))
    assert breakdown(page) == [
        ("Gift", "$37.13"),
        ("Card fee you cover", "$1.42"),
        ("Total", "$38.55"),
    ]
    assert "Pay $38.55 with the test card" in page
    assert "Shared among all partner organizations" in page


def test_the_demo_payment_page_names_the_partner_chosen(client: Client, event: Event) -> None:
    partner = event.partners.select_related("organization").first().organization
    page = demo_page(client, CardDonationFactory(event=event, designated_to=partner))
    assert f"For {escape(partner.name)}." in page
    assert ("Card fee you cover", "$0.00") in breakdown(page)


def test_the_demo_payment_page_names_the_partners_of_a_split(client: Client, event: Event) -> None:
    partners = [p.organization for p in event.partners.select_related("organization")]
    donation = CardDonationFactory(event=event)
    donation.split_among.set(partners)
    page = demo_page(client, donation)
    assert "Split in equal parts among:" in page
    assert all(escape(partner.name) in page for partner in partners)


# --- Thanks ---------------------------------------------------------------------------------------


def succeeded(donation: Donation) -> Donation:
    Donation.objects.filter(pk=donation.pk).update(
        status=Donation.Status.SUCCEEDED, succeeded_at=timezone.now()
    )
    donation.refresh_from_db()
    return donation


def test_the_thanks_page_shows_the_hotline_once(client: Client) -> None:
    donation = succeeded(CardDonationFactory())
    page = text(client.get(f"/give/thanks/{donation.public_token}/"))
    assert page.count("1-888-373-7888") == 1


def test_the_thanks_page_shows_the_progress_toward_the_goal(client: Client, event: Event) -> None:
    donation = succeeded(CardDonationFactory(event=event))
    page = text(client.get(f"/give/thanks/{donation.public_token}/"))
    assert '<progress class="goal-progress"' in page
    assert "raised of our $10,000 goal" in page


def test_the_thanks_page_has_a_share_link_that_works_without_script(
    client: Client, event: Event
) -> None:
    donation = succeeded(CardDonationFactory(event=event))
    page = text(client.get(f"/give/thanks/{donation.public_token}/"))
    event_url = f"http://testserver/events/{event.slug}/"
    assert re.search(rf'<a class="button share-link" href="{re.escape(event_url)}"', page)
    assert f'readonly value="{event_url}"' in page


def test_give_again_leads_back_to_the_same_bucket(client: Client, bucket: Bucket) -> None:
    donation = succeeded(CardDonationFactory(event=bucket.event, bucket=bucket))
    page = text(client.get(f"/give/thanks/{donation.public_token}/"))
    assert f'href="/g/{bucket.token}">Give again</a>' in page


def test_give_again_without_a_bucket_leads_to_the_events_give_page(
    client: Client, event: Event
) -> None:
    donation = succeeded(CardDonationFactory(event=event))
    page = text(client.get(f"/give/thanks/{donation.public_token}/"))
    assert f'href="/events/{event.slug}/give/">Give again</a>' in page


def test_a_closed_pledge_day_offers_no_give_again(client: Client, event: Event) -> None:
    donation = succeeded(CardDonationFactory(event=event))
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED)
    assert "Give again" not in text(client.get(f"/give/thanks/{donation.public_token}/"))


def test_the_ended_page_shows_the_hotline_once(client: Client, bucket: Bucket) -> None:
    Event.objects.filter(pk=bucket.event_id).update(status=Event.Status.CLOSED)
    response = client.get(f"/g/{bucket.token}")
    assert response.status_code == 410
    assert text(response).count("1-888-373-7888") == 1


def test_give_again_after_a_personal_link_credits_the_same_volunteer(
    client: Client, event: Event
) -> None:
    person = volunteer()
    donation = succeeded(CardDonationFactory(event=event))
    donation.volunteers.set([person])
    page = text(client.get(f"/give/thanks/{donation.public_token}/"))
    token = person.volunteer_profile.give_token
    assert f'href="/events/{event.slug}/give/?v={token}">Give again</a>' in page


def test_a_preset_that_is_not_the_events_puts_no_amount_on_the_button(
    client: Client, bucket: Bucket
) -> None:
    response = client.post(f"/g/{bucket.token}", {"preset": "99999999999"})
    assert response.status_code == 400
    assert give_button(text(response)) == "Give"


def test_the_give_page_reads_the_partners_once(client: Client) -> None:
    """The designation's choices, the split's choices and their count come from one read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from events import services as event_services
    from tests.factories import OrganizationFactory

    event = live_event()
    partners = [OrganizationFactory() for _ in range(4)]
    Event.objects.filter(pk=event.pk).update(status=Event.Status.DRAFT)
    event.refresh_from_db()
    event_services.event_partners_replace(event=event, shares=[(p, 2500) for p in partners])
    Event.objects.filter(pk=event.pk).update(status=Event.Status.LIVE)
    bucket = bucket_out(event)
    with CaptureQueriesContext(connection) as queries:
        page = text(client.get(f"/g/{bucket.token}"))
    assert page.count('name="split_among"') == 4
    assert page.count("<option") == 5  # "all partners (shared)" and each of the four
    sql = [q["sql"] for q in queries.captured_queries]
    reads = [q for q in sql if 'FROM "events_organization"' in q and "events_eventpartner" in q]
    assert len(reads) == 1
