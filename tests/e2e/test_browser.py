"""Real browser (Debian's Chromium driven by Playwright) on a phone-sized screen, against a live
server: a volunteer signs up in Spanish, and a donor gives from a bucket's QR link and pays on
the demo page (localstripe running, its signed webhook delivered to the live server)."""

from __future__ import annotations

import datetime as dt

import pytest

from donations.models import Donation
from events.models import Bucket
from tests.factories import BucketFactory, CornerFactory, ShiftFactory, published_event, volunteer
from tests.support.browsers import phone
from tests.support.localstripe import register_webhook, wait_for
from volunteers import services as volunteer_services
from volunteers.models import Signup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_volunteer_signs_up_for_a_corner_in_spanish(browser, live_server) -> None:
    event = published_event(waiver_text="Quédate en la banqueta.")
    shift = ShiftFactory(corner=CornerFactory(event=event, name="Blackstone & Shaw"))
    person = volunteer()
    page = phone(browser, "es-MX")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", person.email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/events/{event.slug}/shifts/")
    assert page.locator("html").get_attribute("lang") == "es"
    page.click("text=Inscribirme >> nth=0")
    page.check("#accept_waiver")
    page.click("main button[type=submit]")
    page.wait_for_url("**/volunteer/shifts/")
    assert "Blackstone & Shaw" in page.inner_text("main")
    assert Signup.objects.get(user=person).shift == shift


def test_a_donor_gives_from_a_bucket_qr_link_and_pays_on_the_demo_page(
    browser, live_server, localstripe
) -> None:
    register_webhook(localstripe, f"{live_server.url}/stripe/webhook/")
    event = published_event()
    shift = ShiftFactory(corner=CornerFactory(event=event, name="Shaw & Clovis", city="Clovis"))
    pair = [volunteer(), volunteer()]
    for person in pair:
        signup = volunteer_services.signup_create(
            user=person, shift=shift, now=shift.starts_at - dt.timedelta(days=1)
        )
        volunteer_services.signup_check_in(signup=signup, now=shift.starts_at)
    bucket: Bucket = BucketFactory(event=event)
    volunteer_services.bucket_hand_out(bucket=bucket, shift=shift, by=pair[0], now=shift.starts_at)

    page = phone(browser)
    page.goto(f"{live_server.url}/g/{bucket.token}")
    # Nothing third-party loads before the donor presses Give: only the page's own script.
    sources = page.eval_on_selector_all("script", "scripts => scripts.map(s => s.src)")
    assert sources == [f"{live_server.url}/static/js/give.js"]
    page.click("label.amount-choice >> nth=1")
    page.fill("input[name=donor_email]", "donor@example.org")
    page.click("button.give-button")
    page.wait_for_url("**/give/demo-pay/**")
    page.click("button.give-button")
    page.wait_for_url("**/give/thanks/**")
    assert wait_for(lambda: Donation.objects.filter(status="succeeded").exists())
    page.reload()
    page.wait_for_selector("text=Thank you!")
    donation = Donation.objects.get()
    assert donation.corner.name == "Shaw & Clovis"
    assert set(donation.volunteers.all()) == set(pair)
