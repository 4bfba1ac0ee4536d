"""axe-core on every page a person can reach, in English and in Spanish: the public pages, a
donor's, a volunteer's and an organizer's, in Debian's Chromium driven by Playwright against a
live server, with one realistic set of data (a live pledge day with its corners, pairs, buckets,
gifts and counts; an upcoming day to sign up for; a closed day with its payouts). axe-core comes
from the npm package (package.json; `./pledgeday setup` installs it) and runs its default rules;
a violation of any impact fails the page's test.

Some pages are also looked at in a second state: a form sent with mistakes (its error messages),
the guardian fields shown for a 16- or 17-year-old. Each page is seen on a phone and a laptop
(the big screen on a TV and a laptop).

The data, one browser and the visits are set up once for the module (about seventy pages and
states, in two languages and two sizes: some 270 visits, about 80 seconds); each (page,
language, size) is then its own test, so a failure names the page and lists what axe found there,
element by element. A route of ours that is neither visited here nor named below as not a page
fails `test_every_route_is_visited_or_named_as_not_a_page`.

Set PLEDGEDAY_SCREENSHOTS to a directory to keep a screenshot of every page visited.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from donations import services as donation_services
from donations.models import Donation
from events.models import Event, Membership
from notices.models import Subscription
from notices.preferences import unsubscribe_token
from payouts import services as payout_services
from tests.conftest import CHROMIUM
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
from tests.support.axe import Violation, axe_script, axe_violations
from tests.support.browsers import FLAGS
from tests.support.live_day import live_day
from volunteers import services as volunteer_services
from volunteers.models import BucketAssignment, User

# The tests only read what the module's fixture found; the mark is there so that pytest-django
# sets up the test database (it looks at the tests' marks, not at module fixtures).
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

SHOTS = os.environ.get("PLEDGEDAY_SCREENSHOTS", "")
LANGUAGES = {"en": "en-US", "es": "es-MX"}
SCREENS = {
    "phone": {"width": 390, "height": 844},
    "laptop": {"width": 1366, "height": 900},
    "tv": {"width": 1920, "height": 1080},  # the big screen's
}
PASSWORD = "correct horse battery"  # tests.factories.UserFactory's


@dataclass
class Data:
    """What the pages are about: ids, slugs and tokens the page list builds its URLs from."""

    live: Event
    upcoming: Event
    closed: Event
    organizer: User
    volunteer: User
    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError as missing:
            raise AttributeError(name) from missing


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # public (also a donor's), volunteer, organizer
    url: Callable[[Data], str]
    route: str = ""  # the URL name it covers (namespace:name), if any
    status: int = 200
    screens: tuple[str, ...] = ("phone", "laptop")
    # What the person does on the page before axe looks (a form sent with mistakes...).
    act: Callable[[Any], None] | None = None


def send(form: str = "main form", *, fill: dict[str, str] | None = None) -> Callable[[Any], None]:
    """Send the form with what `fill` gives (nothing else), the browser's own checks off, as a
    browser without them would: the page comes back with the site's error messages."""

    def act(page) -> None:
        page.eval_on_selector_all("form", "forms => forms.forEach((f) => { f.noValidate = true; })")
        for selector, value in (fill or {}).items():
            page.fill(selector, value)
        with page.expect_navigation():
            page.click(f"{form} [type=submit]")

    return act


def choose_16_17(page) -> None:
    page.select_option("#id_age_band", "16-17")


def give_mistakes(page) -> None:
    summary = page.locator("details.split summary")
    if summary.count():
        summary.click()
    send(".give-form", fill={"input[name=custom]": "1", "input[name=donor_email]": "nope"})(page)


PAGES = [
    # Public, and the donor's
    Page("home", "public", lambda d: "/", "events:home"),
    Page("event page (live)", "public", lambda d: f"/events/{d.live.slug}/", "events:detail"),
    Page("event page (upcoming)", "public", lambda d: f"/events/{d.upcoming.slug}/"),
    Page(
        "shift list",
        "public",
        lambda d: f"/events/{d.upcoming.slug}/shifts/",
        "volunteers:shift_list",
    ),
    Page("give from a bucket", "public", lambda d: f"/g/{d.bucket_token}", "donations:give_bucket"),
    Page(
        "give from a bucket not out",
        "public",
        lambda d: f"/g/{d.bucket_in_token}",
    ),
    Page(
        "give, with mistakes",
        "public",
        lambda d: f"/g/{d.bucket_token}",
        act=give_mistakes,
    ),
    Page(
        "give for the event",
        "public",
        lambda d: f"/events/{d.live.slug}/give/",
        "donations:give_event",
    ),
    Page(
        "demo payment",
        "public",
        lambda d: f"/give/demo-pay/{d.pending_token}/",
        "donations:demo_pay",
    ),
    Page("thanks", "public", lambda d: f"/give/thanks/{d.paid_token}/", "donations:thanks"),
    Page(
        "big screen",
        "public",
        lambda d: f"/events/{d.live.slug}/screen/",
        "donations:screen",
        screens=("tv", "laptop"),
    ),
    Page("not found", "public", lambda d: "/no-such-page/", status=404),
    Page(
        "unsubscribe",
        "public",
        lambda d: f"/notices/unsubscribe/{d.unsubscribe_token}/",
        "notices:unsubscribe",
    ),
    Page("sign in", "public", lambda d: "/accounts/login/", "account_login"),
    Page(
        "sign in, wrong password",
        "public",
        lambda d: "/accounts/login/",
        act=send(fill={"input[name=login]": "nobody@example.org", "input[name=password]": "x"}),
    ),
    Page("sign up", "public", lambda d: "/accounts/signup/", "account_signup"),
    Page("sign up, with mistakes", "public", lambda d: "/accounts/signup/", act=send()),
    Page(
        "password reset", "public", lambda d: "/accounts/password/reset/", "account_reset_password"
    ),
    Page(
        "password reset, with mistakes",
        "public",
        lambda d: "/accounts/password/reset/",
        act=send(fill={"input[name=email]": "not an address"}),
    ),
    Page(
        "password reset sent",
        "public",
        lambda d: "/accounts/password/reset/done/",
        "account_reset_password_done",
    ),
    Page(
        "password reset, old link",
        "public",
        lambda d: "/accounts/password/reset/key/1-set-password/",
        "account_reset_password_from_key",
    ),
    Page(
        "password reset complete",
        "public",
        lambda d: "/accounts/password/reset/key/done/",
        "account_reset_password_from_key_done",
    ),
    Page(
        "verify your email",
        "public",
        lambda d: "/accounts/confirm-email/",
        "account_email_verification_sent",
    ),
    Page(
        "email confirmation, old link",
        "public",
        lambda d: "/accounts/confirm-email/not-a-key/",
        "account_confirm_email",
    ),
    Page("account inactive", "public", lambda d: "/accounts/inactive/", "account_inactive"),
    # The volunteer's
    Page("my shifts", "volunteer", lambda d: "/volunteer/shifts/", "volunteers:my_shifts"),
    Page("profile", "volunteer", lambda d: "/volunteer/profile/", "volunteers:profile"),
    Page("profile, 16 or 17", "volunteer", lambda d: "/volunteer/profile/", act=choose_16_17),
    Page(
        "profile, with mistakes",
        "volunteer",
        lambda d: "/volunteer/profile/",
        act=send(fill={"#id_phone": "", "#id_emergency_contact_phone": ""}),
    ),
    Page(
        "sign up for a shift",
        "volunteer",
        lambda d: f"/shifts/{d.open_shift_id}/signup/",
        "volunteers:shift_signup",
    ),
    Page(
        "sign up for a shift, waiver not accepted",
        "volunteer",
        lambda d: f"/shifts/{d.open_shift_id}/signup/",
        act=send(),
    ),
    Page(
        "cancel a shift",
        "volunteer",
        lambda d: f"/signups/{d.my_signup_id}/cancel/",
        "volunteers:signup_cancel",
    ),
    Page(
        "leave the waitlist",
        "volunteer",
        lambda d: f"/signups/{d.waitlisted_id}/cancel/",
    ),
    Page(
        "anywhere pool",
        "volunteer",
        lambda d: f"/events/{d.upcoming.slug}/anywhere/",
        "volunteers:pool_join",
    ),
    Page(
        "anywhere pool, with a waiver",
        "volunteer",
        lambda d: f"/events/{d.waivered_slug}/anywhere/",
    ),
    Page("not allowed", "volunteer", lambda d: f"/organize/{d.live.slug}/", status=403),
    Page("sign out", "volunteer", lambda d: "/accounts/logout/", "account_logout"),
    Page("email addresses", "volunteer", lambda d: "/accounts/email/", "account_email"),
    Page(
        "change password",
        "volunteer",
        lambda d: "/accounts/password/change/",
        "account_change_password",
    ),
    Page(
        "confirm it is you",
        "volunteer",
        lambda d: "/accounts/reauthenticate/",
        "account_reauthenticate",
    ),
    # The organizer's
    Page("dashboard", "organizer", lambda d: f"/organize/{d.live.slug}/", "volunteers:organize"),
    Page("dashboard (upcoming)", "organizer", lambda d: f"/organize/{d.upcoming.slug}/"),
    Page("dashboard (closed)", "organizer", lambda d: f"/organize/{d.closed.slug}/"),
    Page(
        "add shifts",
        "organizer",
        lambda d: f"/organize/{d.upcoming.slug}/shifts/new/",
        "volunteers:shifts_bulk",
    ),
    Page(
        "add shifts, with mistakes",
        "organizer",
        lambda d: f"/organize/{d.upcoming.slug}/shifts/new/",
        act=send(),
    ),
    Page(
        "copy shifts",
        "organizer",
        lambda d: f"/organize/{d.upcoming.slug}/shifts/copy/",
        "volunteers:shifts_copy",
    ),
    Page(
        "roster",
        "organizer",
        lambda d: f"/organize/shifts/{d.live_shift_id}/",
        "volunteers:organize_shift",
    ),
    Page(
        "edit a shift",
        "organizer",
        lambda d: f"/organize/shifts/{d.live_shift_id}/edit/",
        "volunteers:shift_edit",
    ),
    Page(
        "cancel a shift (organizer)",
        "organizer",
        lambda d: f"/organize/shifts/{d.open_shift_id}/cancel/",
        "volunteers:shift_cancel",
    ),
    Page(
        "control room",
        "organizer",
        lambda d: f"/organize/{d.live.slug}/live/",
        "donations:control_room",
    ),
    Page(
        "gifts",
        "organizer",
        lambda d: f"/organize/{d.live.slug}/donations/",
        "donations:organize_list",
    ),
    Page(
        "record a check",
        "organizer",
        lambda d: f"/organize/{d.live.slug}/checks/new/",
        "donations:check_new",
    ),
    Page(
        "record a check, with mistakes",
        "organizer",
        lambda d: f"/organize/{d.live.slug}/checks/new/",
        act=send(),
    ),
    Page(
        "bucket labels",
        "organizer",
        lambda d: f"/organize/{d.live.slug}/labels/",
        "donations:labels",
    ),
    Page(
        "needs attention",
        "organizer",
        lambda d: f"/organize/{d.live.slug}/attention/",
        "donations:attention",
    ),
    Page(
        "cash count",
        "organizer",
        lambda d: f"/organize/buckets/{d.returned_assignment_id}/count/",
        "donations:cash_count",
    ),
    Page(
        "cash count, with mistakes",
        "organizer",
        lambda d: f"/organize/buckets/{d.returned_assignment_id}/count/",
        act=send(),
    ),
    Page(
        "void a gift",
        "organizer",
        lambda d: f"/organize/donations/{d.check_id}/void/",
        "donations:void",
    ),
    Page(
        "messages",
        "organizer",
        lambda d: f"/organize/{d.live.slug}/messages/",
        "notices:messages",
    ),
    Page(
        "messages, with mistakes",
        "organizer",
        lambda d: f"/organize/{d.live.slug}/messages/",
        act=send(),
    ),
    Page("notices log", "organizer", lambda d: f"/organize/{d.live.slug}/notices/", "notices:log"),
    Page("payouts (live)", "organizer", lambda d: f"/organize/{d.live.slug}/payouts/"),
    Page(
        "payouts (closed)",
        "organizer",
        lambda d: f"/organize/{d.closed.slug}/payouts/",
        "payouts:day",
    ),
    Page(
        "grant report",
        "organizer",
        lambda d: f"/organize/payout-runs/{d.run_id}/grants/",
        "payouts:grant_report",
    ),
    Page(
        "late count",
        "organizer",
        lambda d: f"/organize/buckets/{d.closed_assignment_id}/late-count/",
        "payouts:late_count",
    ),
    Page(
        "partner page",
        "organizer",
        lambda d: f"/partners/{d.partner_slug}/",
        "payouts:organization",
    ),
    Page(
        "partner statement",
        "organizer",
        lambda d: f"/partners/{d.partner_slug}/{d.live.slug}/statement/",
        "payouts:statement",
    ),
]

# Our routes that are not pages a person reads, and why. A new route must be visited above or
# named here.
NOT_PAGES = {
    "healthz": "a health check (plain text)",
    "media": "uploaded pictures",
    "set_language": "the language switch (POST, then a redirect)",
    "volunteers:language_switch": "the language switch (POST, then a redirect)",
    "volunteers:signup_ics": "a calendar file",
    "volunteers:calendar_feed": "a calendar feed",
    "volunteers:calendar_link_reset": "POST only (a button on My shifts)",
    "volunteers:pool_leave": "POST only (a button on My shifts)",
    "volunteers:auto_assign": "POST only (a button on the dashboard)",
    "volunteers:signup_action": "POST only (buttons on the roster)",
    "volunteers:bucket_hand_out": "POST only (a form on the roster)",
    "volunteers:bucket_return": "POST only (a button on the roster)",
    "donations:totals_json": "JSON for the pages' script",
    "donations:screen_panels": "a fragment the big screen's script fetches",
    "donations:control_room_panels": "a fragment the control room's script fetches",
    "donations:stripe_webhook": "Stripe's webhook (POST)",
    "donations:refund": "POST only (a form on the gifts page)",
    "donations:pledge_received": "POST only (a button in the control room)",
    "donations:receipt_retry": "POST only (a button on the attention page)",
    "donations:refund_handled": "POST only (a button on the attention page)",
    "donations:parked_resolve": "POST only (buttons on the attention page)",
    "payouts:close": "POST only (a form on the payouts page)",
    "payouts:compute": "POST only (a button on the payouts page)",
    "payouts:export_payouts": "a CSV file",
    "payouts:approve": "POST only (a button on the payouts page)",
    "payouts:grant_csv": "a CSV file",
    "payouts:grant_paid": "POST only (a form on the payouts page)",
    "payouts:note": "POST only (forms on the payouts page)",
    "payouts:connect": "POST only (a button on the partner page, then Stripe)",
    "payouts:connect_return": "Stripe's return (a redirect to the partner page)",
    "payouts:statement_csv": "a CSV file",
    "notices:sms_inbound": "the SMS provider's webhook (POST)",
    "account_confirm_login_code": "sign-in by code is off (a redirect to sign in)",
    "account_set_password": "for accounts without a password, which ours all have (a redirect)",
}
NOT_PAGES_BY_PREFIX = {"donations:export_": "CSV files"}


def route_names() -> set[str]:
    """The names of our own routes (the apps' and allauth's account pages); not the admin's."""
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "admin":
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}{entry.name}"
                module = getattr(entry.callback, "__module__", "")
                if namespace or name.startswith("account_") or not module.startswith("allauth"):
                    names.add(name)

    walk(get_resolver().url_patterns, "")
    return {name for name in names if not name.startswith(("socialaccount_", "mfa_"))}


def test_every_route_is_visited_or_named_as_not_a_page() -> None:
    visited = {page.route for page in PAGES if page.route}
    named = set(NOT_PAGES) | {
        name for name in route_names() if name.startswith(tuple(NOT_PAGES_BY_PREFIX))
    }
    missing = route_names() - visited - named
    assert not missing, f"routes no accessibility test visits: {sorted(missing)}"
    gone = (visited | set(NOT_PAGES)) - route_names()
    assert not gone, f"named here but no longer routes: {sorted(gone)}"


# --- The data -------------------------------------------------------------------------------


def _signed_up(person: User, shift, *, check_in: bool = False):
    signup = volunteer_services.signup_create(
        user=person, shift=shift, now=shift.starts_at - dt.timedelta(days=1)
    )
    if check_in:
        volunteer_services.signup_check_in(signup=signup, now=shift.starts_at)
    return signup


def build() -> Data:
    now = timezone.now()
    day = live_day()
    live = day.event

    upcoming = published_event(title="Clovis Pledge Day", story="Stand with us on a corner.")
    upcoming_corner = CornerFactory(event=upcoming, name="Herndon & Willow", city="Clovis")
    mine = ShiftFactory(corner=upcoming_corner)
    # A day with a waiver the volunteer has not accepted yet, and a corner with notes.
    waivered = published_event(
        title="Madera Pledge Day",
        waiver_text="\n\n".join(["I will stay on the sidewalk and never step into traffic."] * 12),
    )
    open_shift = ShiftFactory(
        corner=CornerFactory(
            event=waivered,
            name="Gateway & Yosemite",
            city="Madera",
            address="NW corner, by the bank",
            safety_notes="Stay behind the curb; the light is short.",
        )
    )
    full = ShiftFactory(
        corner=CornerFactory(event=upcoming, name="Shaw & Willow", city="Clovis"),
        starts_at=mine.starts_at + dt.timedelta(hours=7),
        ends_at=mine.starts_at + dt.timedelta(hours=10),
        capacity=1,
        min_volunteers=1,
    )
    _signed_up(volunteer(), full)

    start = now - dt.timedelta(days=3)
    closed = published_event(
        title="Fresno Pledge Day 2025", starts_at=start, ends_at=start + dt.timedelta(hours=10)
    )
    closed_shift = ShiftFactory(corner=CornerFactory(event=closed, name="Olive & Maroa"))
    pair = [volunteer(), volunteer()]
    for person in pair:
        _signed_up(person, closed_shift, check_in=True)
    closed_bucket = BucketFactory(event=closed, label="B-01")
    at = closed_shift.starts_at
    volunteer_services.bucket_hand_out(bucket=closed_bucket, shift=closed_shift, by=pair[0], now=at)
    closed_assignment = BucketAssignment.objects.get(bucket=closed_bucket)
    volunteer_services.bucket_return(assignment=closed_assignment, by=pair[0], now=at)
    donation_services.cash_count_record(
        assignment=closed_assignment,
        amount_cents=12_345,
        counted_by=pair[0],
        witnessed_by=pair[1],
        now=at + dt.timedelta(hours=1),
    )
    Event.objects.filter(pk=closed.pk).update(status=Event.Status.CLOSED)
    run = payout_services.payouts_compute(event_id=closed.pk, now=now)
    assert run is not None

    organizer = UserFactory(name="Olivia Organizer")
    for event in (live, upcoming, waivered, closed):
        MembershipFactory(user=organizer, event=event, role=Membership.Role.LEAD)
    partner = day.partners[0]
    MembershipFactory(user=organizer, event=None, organization=partner, role=Membership.Role.LEAD)

    person = volunteer(user__name="Valeria Volunteer")
    my_signup = _signed_up(person, mine)
    waitlisted = _signed_up(person, full)
    assert waitlisted.status == "waitlisted"
    _signed_up(person, day.shifts[0], check_in=True)

    returned = BucketAssignment.objects.filter(
        bucket__in=day.buckets, returned_at__isnull=False, cash_counts__isnull=True
    ).first()
    assert returned is not None
    bucket_in = BucketFactory(event=live, label="B-99")
    pending = CardDonationFactory(event=live, bucket=day.buckets[2], amount_cents=3842)
    paid = next(gift for gift in day.gifts if gift.bucket_id and gift.status == "succeeded")
    check = next(gift for gift in day.gifts if gift.method == Donation.Method.CHECK)
    return Data(
        live=live,
        upcoming=upcoming,
        closed=closed,
        organizer=organizer,
        volunteer=person,
        values={
            "bucket_token": day.buckets[2].token,
            "bucket_in_token": bucket_in.token,
            "pending_token": pending.public_token,
            "paid_token": paid.public_token,
            "open_shift_id": open_shift.pk,
            "my_signup_id": my_signup.pk,
            "waitlisted_id": waitlisted.pk,
            "waivered_slug": waivered.slug,
            "live_shift_id": day.shifts[0].pk,
            "returned_assignment_id": returned.pk,
            "check_id": check.pk,
            "run_id": run.pk,
            "closed_assignment_id": closed_assignment.pk,
            "partner_slug": partner.slug,
        },
    )


# --- The visits -----------------------------------------------------------------------------


@dataclass
class Visit:
    url: str
    status: int | None
    problem: str = ""
    violations: list[Violation] = field(default_factory=list)


ERRORS = ".errors, .errorlist, .has-error, .message.error, [role=alert]"


def _context(browser, language: str):
    return browser.new_context(
        locale=LANGUAGES[language],
        bypass_csp=True,  # for the injected axe-core only: tests/e2e/test_csp.py checks the CSP
    )


def _sign_in(page, base: str, user: User) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    assert "/accounts/login/" not in page.url, f"{user.email} could not sign in"


def _visit(page, base: str, spec: Page, data: Data, language: str, screen: str) -> Visit:
    page.set_viewport_size(SCREENS[screen])
    path = spec.url(data)
    response = page.goto(f"{base}{path}")
    page.wait_for_load_state("load")
    status = response.status if response else None
    visit = Visit(url=path, status=status)
    if status != spec.status:
        visit.problem = f"answered {status} (expected {spec.status}) at {page.url}"
    elif page.url != f"{base}{path}":
        visit.problem = f"redirected to {page.url}"
    elif spec.act is not None:
        spec.act(page)
        page.wait_for_load_state("load")
        if page.url != f"{base}{path}":
            visit.problem = f"the form went through (now at {page.url})"
        elif spec.name.endswith("mistakes") and not page.locator(ERRORS).count():
            visit.problem = "the form came back without an error message"
    lang = page.get_attribute("html", "lang") or ""
    if not visit.problem and not lang.startswith(language):
        visit.problem = f'<html lang="{lang}">, expected {language}'
    visit.violations = axe_violations(page)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        name = (
            f"{spec.name}-{language}-{screen}".replace(" ", "-").replace(",", "").replace("/", "-")
        )
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)
    return visit


def _control(page, base: str) -> Visit:
    """A page spoilt on purpose (a picture without a text alternative): axe must see it, or it
    is not running and every page would pass."""
    page.goto(f"{base}/")
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")
    return Visit(url="/", status=200, violations=axe_violations(page))


def _visit_all(base: str, data: Data) -> dict[tuple[str, ...], Visit]:
    from playwright.sync_api import sync_playwright

    results: dict[tuple[str, ...], Visit] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for language in LANGUAGES:
                User.objects.filter(pk__in=[data.volunteer.pk, data.organizer.pk]).update(
                    preferred_language=language
                )
                data.values["unsubscribe_token"] = unsubscribe_token(
                    user_id=data.volunteer.pk, topic=Subscription.Topic.NEWS
                )
                for who in ("public", "volunteer", "organizer"):
                    context = _context(browser, language)
                    page = context.new_page()
                    if who != "public":
                        person = data.volunteer if who == "volunteer" else data.organizer
                        _sign_in(page, base, person)
                    elif language == "en":
                        results[("control",)] = _control(page, base)
                    for spec in PAGES:
                        for screen in spec.screens if spec.who == who else ():
                            results[(spec.name, language, screen)] = _visit(
                                page, base, spec, data, language, screen
                            )
                    context.close()
        finally:
            browser.close()
            # The ORM calls above ran inside Playwright's context, to which Django keyed their
            # connection: close it here, or PostgreSQL refuses to drop the test database.
            connections.close_all()
    return results


def _flush() -> None:
    """Empty the database as a transactional test's teardown does. On SQLite the payout
    triggers refuse DELETE, so they step aside for those two tables (as in tests/conftest.py)."""
    if connection.vendor == "sqlite":
        from payouts import triggers

        with connection.schema_editor() as editor:
            triggers.uninstall(None, editor)
            editor.execute("DELETE FROM payouts_auditentry", params=None)
            editor.execute("DELETE FROM payouts_payout", params=None)
            triggers.install(None, editor)
    call_command("flush", verbosity=0, interactive=False)


@pytest.fixture(scope="module")
def visits(request, django_db_setup, django_db_blocker) -> Iterator[dict[tuple[str, ...], Visit]]:
    """Every page in both languages and sizes, visited once for the whole module on one set of
    data; each test then reads its page's findings. The data are removed here at the end.

    The live server is asked for inside, not named as an argument: a test whose fixtures
    include `live_server` gets pytest-django's transactional database, flushed after the test,
    and 260 flushes of nothing (a TRUNCATE of every table on PostgreSQL) would take longer
    than the visits."""
    axe_script()
    live_server = request.getfixturevalue("live_server")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop here
    try:
        with django_db_blocker.unblock():
            try:
                results = _visit_all(live_server.url, build())
            except BaseException:
                _flush()
                raise
        yield results
        with django_db_blocker.unblock():
            _flush()
    finally:
        connections.close_all()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_axe_runs_and_sees_a_picture_without_alternative_text(visits) -> None:
    assert "image-alt" in {violation.rule for violation in visits[("control",)].violations}


@pytest.mark.parametrize(
    ("name", "language", "screen"),
    [
        (page.name, language, screen)
        for page in PAGES
        for language in LANGUAGES
        for screen in page.screens
    ],
)
def test_axe_finds_nothing_on_the_page(visits, name: str, language: str, screen: str) -> None:
    visit = visits[(name, language, screen)]
    lines = [f"{name} ({language}, {screen}) {visit.url}"]
    if visit.problem:
        lines.append(f"  not the page meant: {visit.problem}")
    lines += [f"  {violation.line()}" for violation in visit.violations]
    if visit.problem or visit.violations:
        pytest.fail("\n".join(lines), pytrace=False)
