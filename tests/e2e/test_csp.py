"""The Content-Security-Policy in a real browser (Debian's Chromium driven by Playwright): the
site's main pages, a donor's whole path on the demo gateway, a volunteer's and an organizer's
pages, and the Django admin load without a single violation; the give page's redirect to Stripe
Checkout passes form-action (and would not without it)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.db import connections
from django.test import override_settings
from django.utils import timezone

from donations.models import Donation
from events.models import Bucket, Event, Shift
from tests.conftest import CHROMIUM
from tests.donations import stripe_shapes as shapes
from tests.factories import BucketFactory, CornerFactory, ShiftFactory, published_event, volunteer
from tests.support.browsers import FLAGS
from tests.support.stripe_fake import FakeStripe
from volunteers import services as volunteer_services
from volunteers.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHECKOUT = "https://checkout.stripe.com"
NO_STRIPE = "MAP checkout.stripe.com 127.0.0.1:9"  # a closed port: the browser never reaches Stripe
# Also catches what the console shows: the page reports each violation as an event.
WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


@dataclass
class Watched:
    """A phone-sized page whose CSP violations (console and events) are collected."""

    page: object
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def visit(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def violations(self) -> list[str]:
        """What the console showed on every page so far, and what this page reported."""
        reported = self.page.evaluate("window.__csp || []")
        return self.console + [f"{self.page.url}: {line}" for line in reported]


@pytest.fixture
def chromium(live_server) -> Iterator[object]:
    """Closed before the live server stops (see tests/e2e/test_browser.py)."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*FLAGS, f"--host-resolver-rules={NO_STRIPE}"]
        )
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def watched(chromium, width: int = 390, height: int = 844) -> Watched:
    context = chromium.new_context(viewport={"width": width, "height": height}, locale="en-US")
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    result = Watched(page=page)

    def on_console(message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            result.console.append(f"{page.url}: {message.text}")

    def on_response(response) -> None:
        """Every page of ours must carry the strict policy, or there is nothing to violate."""
        if response.request.resource_type != "document" or not response.url.startswith("http:"):
            return
        policy = response.headers.get("content-security-policy", "")
        if "script-src 'self'" not in policy or "unsafe-inline" in policy:
            result.console.append(f"{response.url} has no strict policy: {policy!r}")

    page.on("console", on_console)
    page.on("response", on_response)
    return result


def sign_in(tab: Watched, base: str, user: User) -> None:
    tab.visit(f"{base}/accounts/login/")
    tab.page.fill("input[name=login]", user.email)
    tab.page.fill("input[name=password]", "correct horse battery")
    tab.page.click("main button[type=submit]")
    tab.page.wait_for_load_state("load")


def staffed(event: Event) -> tuple[Shift, Bucket, User]:
    """A shift whose pair of volunteers has checked in and holds a bucket; one of the pair."""
    shift = ShiftFactory(corner=CornerFactory(event=event, name="Shaw & Clovis", city="Clovis"))
    pair = [volunteer(), volunteer()]
    for person in pair:
        signup = volunteer_services.signup_create(
            user=person, shift=shift, now=shift.starts_at - dt.timedelta(days=1)
        )
        volunteer_services.signup_check_in(signup=signup, now=shift.starts_at)
    bucket = BucketFactory(event=event)
    volunteer_services.bucket_hand_out(bucket=bucket, shift=shift, by=pair[0], now=shift.starts_at)
    return shift, bucket, pair[0]


def test_every_page_of_the_site_loads_without_a_csp_violation(
    chromium, live_server, localstripe
) -> None:
    event = published_event()
    shift, bucket, person = staffed(event)
    staff = volunteer()
    staff.is_staff = staff.is_superuser = True
    staff.save()
    base = live_server.url
    partner = event.partners.first().organization

    donor = watched(chromium)
    for path in ["/", f"/events/{event.slug}/", f"/events/{event.slug}/shifts/", "/nowhere/"]:
        donor.visit(base + path)
    donor.visit(f"{base}/g/{bucket.token}")
    # Nothing third-party loads before Give: only the page's own deferred script.
    sources = donor.page.eval_on_selector_all("script", "scripts => scripts.map(s => s.src)")
    assert sources == [f"{base}/static/js/give.js"]
    donor.page.click("label.amount-choice >> nth=1")
    donor.page.click("button.give-button")
    donor.page.wait_for_url("**/give/demo-pay/**")
    donor.page.click("button.give-button")
    donor.page.wait_for_url("**/give/thanks/**")
    for path in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]:
        donor.visit(base + path)

    helper = watched(chromium)
    sign_in(helper, base, person)
    helper.visit(f"{base}/volunteer/shifts/")
    helper.page.click("details.give-link summary")
    helper.page.locator("details.give-link input[readonly]").focus()
    # The handler moved from onfocus="" to static/js: focus still selects the whole link.
    link_selected = helper.page.evaluate(
        "(() => { const f = document.activeElement;"
        " return f.value.length > 0 && f.selectionStart === 0 && f.selectionEnd === f.value.length;"
        " })()"
    )
    for path in ["/volunteer/profile/", f"/events/{event.slug}/anywhere/", "/accounts/email/"]:
        helper.visit(base + path)

    organizer = watched(chromium, width=1280, height=900)
    sign_in(organizer, base, staff)
    organizer_pages = [
        f"/organize/{event.slug}/",
        f"/organize/shifts/{shift.pk}/",
        f"/organize/{event.slug}/donations/",
        f"/organize/{event.slug}/labels/",
        f"/organize/{event.slug}/attention/",
        "/admin/",
        "/admin/events/event/",
        f"/admin/events/event/{event.pk}/change/",
        "/admin/events/membership/add/",
        "/admin/volunteers/user/",
        f"/admin/volunteers/user/{person.pk}/change/",
        "/admin/donations/donation/",
        f"/organize/{event.slug}/payouts/",
        f"/partners/{partner.slug}/",
        f"/partners/{partner.slug}/{event.slug}/statement/",
        "/admin/payouts/auditentry/",
    ]
    for path in organizer_pages:
        organizer.visit(base + path)
        assert organizer.page.url == base + path, f"{path} redirected to {organizer.page.url}"
    from payouts import services as payouts

    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED)
    run = payouts.payouts_compute(event_id=event.pk, now=timezone.now())
    for path in [f"/organize/{event.slug}/payouts/", f"/organize/payout-runs/{run.pk}/grants/"]:
        organizer.visit(base + path)
        assert organizer.page.url == base + path
    organizer.visit(f"{base}/admin/events/event/{event.pk}/change/")
    organizer.page.click("#calendarlink0")  # the admin's date picker
    organizer.page.wait_for_selector(".calendarbox", state="visible")
    organizer.visit(f"{base}/admin/events/membership/add/")
    organizer.page.locator(".select2-selection").nth(1).click()  # the admin's autocomplete
    organizer.page.wait_for_selector(".select2-results__option")

    violations = donor.violations() + helper.violations() + organizer.violations()
    assert not violations, "\n".join(violations)
    assert link_selected
    assert Donation.objects.count() == 1


def test_every_response_carries_the_strict_policy(client) -> None:
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["form-action"] == f"'self' {CHECKOUT}"
    assert "unsafe-inline" not in policy


def test_the_404_page_carries_the_policy_too(client) -> None:
    assert "script-src 'self'" in client.get("/nowhere/").headers["Content-Security-Policy"]


def _give_and_follow_to_checkout(chromium, live_server, fake_stripe: FakeStripe) -> Watched:
    """Give with Stripe keys set: we answer 303 to Checkout. Returns the tab, which recorded
    every request the browser sent (Checkout's host resolves to a closed local port: nothing
    leaves the machine, but a request is only attempted if the policy let the redirect go)."""
    fake_stripe.answer(
        "post",
        "/v1/checkout/sessions",
        shapes.shape("checkout.session", id="cs_test_csp", url=f"{CHECKOUT}/c/pay/cs_test_csp"),
    )
    bucket = BucketFactory(event=published_event())
    tab = watched(chromium)
    tab.page.on("request", lambda request: tab.requests.append(request.url))
    # The event's give page: this bucket is not out, so its own page only cautions.
    tab.visit(f"{live_server.url}/events/{bucket.event.slug}/give/")
    tab.page.click("label.amount-choice >> nth=1")
    tab.page.click("button.give-button")
    tab.page.wait_for_load_state("load")
    tab.page.wait_for_timeout(500)
    return tab


def test_the_redirect_to_stripe_checkout_is_allowed_by_form_action(
    chromium, live_server, fake_stripe: FakeStripe
) -> None:
    tab = _give_and_follow_to_checkout(chromium, live_server, fake_stripe)
    assert f"{CHECKOUT}/c/pay/cs_test_csp" in tab.requests
    assert not tab.violations()


def test_control_without_checkout_in_form_action_the_browser_blocks_the_redirect(
    chromium, live_server, fake_stripe: FakeStripe
) -> None:
    from django.conf import settings

    directives = {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "form-action": ["'self'"]}
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": directives}):
        tab = _give_and_follow_to_checkout(chromium, live_server, fake_stripe)
    assert not [url for url in tab.requests if url.startswith(CHECKOUT)]
    assert any("form-action" in line for line in tab.violations())
