"""Hostile input against every URL of the URL map: NUL bytes and other junk in path parameters,
query strings and form bodies never answer a server error (5xx), on any database.

PostgreSQL refuses NUL in text, so on PostgreSQL (CI runs the whole suite there) a NUL byte
that reached a query used to answer 500. Each request runs in a savepoint that is rolled back,
so every request meets the same data, whatever the one before did.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from donations.models import Donation, MatchPledge, Refund, StripeEvent
from events.models import Bucket, Event, Shift
from payouts.models import Payout, PayoutRun
from tests.donations import stripe_shapes as shapes
from tests.factories import (
    BucketFactory,
    CardDonationFactory,
    CornerFactory,
    ShiftFactory,
    published_event,
    volunteer,
)
from volunteers import services as volunteer_services
from volunteers.models import BucketAssignment, PoolEntry, Profile, Signup, User

pytestmark = pytest.mark.django_db


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


ROUTES = sorted(set(_routes(get_resolver().url_patterns)))

# Path parameters: each replaces one parameter at a time (already percent-encoded).
NUL_VALUES = ["%00", "{valid}%00", "%00{valid}"]
JUNK_VALUES = ["%ff%fe", "9" * 30, "-1", "x" * 400, "%E2%80%AE", "..%2F..%2F", "%27%22%3C%3E"]
# Query-string keys the site's and the admin's views read.
QUERY_KEYS = ["v", "city", "part", "next", "token", "status", "page", "q", "o", "p"]
ADMIN_QUERY_KEYS = ["q", "o", "p", "e", "_changelist_filters"]
JUNK_QUERY = "v=%27x&city=" + "x" * 300 + "&part=dawn&next=%2F%2Fevil.example&q=%25&o=-x.9&p=-1"
# Admin pages share one implementation: fewer variants, but every one of them is walked.
ADMIN_NUL_VALUES = ["%00", "{valid}%00"]
ADMIN_JUNK_VALUES = ["%ff%fe", "9" * 30]

FIELD_NAME = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
AUTOCOMPLETE = re.compile(r'<select name="([^"]+)"[^>]*class="[^"]*admin-autocomplete')
ROUTE_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


@dataclass
class World:
    event: Event
    shift: Shift
    bucket: Bucket
    staff: User
    profile: Profile
    signup: Signup
    entry: PoolEntry
    assignment: BucketAssignment
    donation: Donation
    refund: Refund
    parked: StripeEvent
    pledge: MatchPledge
    run: PayoutRun
    payout: Payout


@pytest.fixture
def world() -> World:
    event = published_event()
    shift = ShiftFactory(corner=CornerFactory(event=event, city="Fresno"))
    staff = volunteer()
    staff.is_staff = staff.is_superuser = True
    staff.save()
    now = timezone.now()
    signup = volunteer_services.signup_create(user=staff, shift=shift, now=now)
    bucket = BucketFactory(event=event)
    assignment = BucketAssignment.objects.create(
        bucket=bucket, shift=shift, handed_out_at=now, handed_out_by=staff
    )
    donation = CardDonationFactory(event=event, bucket=bucket)
    run = PayoutRun.objects.create(
        event=event, number=1, fee_policy="own", net_raised_cents=100, gross_cents=100,
        fees_cents=0, reversed_cents=0, matched_cents=0, computed_at=now,
    )  # fmt: skip
    payout = Payout.objects.create(
        run=run, event=event, organization=event.partners.first().organization,
        method="grant", status="pending", amount_cents=100, designated_cents=100,
        pooled_cents=0, reversed_cents=0, fees_cents=0, matched_cents=0, owed_cents=100,
        previously_cents=0,
    )  # fmt: skip
    return World(
        event=event,
        shift=shift,
        bucket=bucket,
        staff=staff,
        profile=staff.volunteer_profile,
        signup=signup,
        entry=PoolEntry.objects.create(
            user=staff,
            event=event,
            available_from=event.starts_at,
            available_until=event.starts_at + dt.timedelta(hours=4),
            created_at=now,
        ),
        assignment=assignment,
        donation=donation,
        refund=Refund.objects.create(
            donation=donation,
            stripe_refund_id="re_hostile",
            amount_cents=100,
            status=Refund.Status.FAILED,
            created_at=now,
            updated_at=now,
        ),
        parked=StripeEvent.objects.create(
            stripe_id="evt_hostile",
            type="payment_intent.succeeded",
            payload=shapes.event(
                "payment_intent.succeeded", shapes.payment_intent(donation), event_id="evt_hostile"
            ),
            received_at=now,
            status=StripeEvent.Status.PARKED,
            park_reason=StripeEvent.ParkReason.UNKNOWN_PAYMENT,
            event=event,
        ),
        pledge=MatchPledge.objects.create(
            event=event, sponsor="Bank", cap_cents=1000, created_at=now
        ),
        run=run,
        payout=payout,
    )


def _valid(route: str, name: str, world: World) -> str:
    """A value of the parameter that finds a real object, so junk elsewhere reaches deep."""
    by_name: dict[str, object] = {
        "slug": world.event.slug,
        "shift_id": world.shift.pk,
        "signup_id": world.signup.pk,
        "entry_id": world.entry.pk,
        "assignment_id": world.assignment.pk,
        "donation_id": world.donation.pk,
        "refund_id": world.refund.pk,
        "record_id": world.parked.pk,
        "pledge_id": world.pledge.pk,
        "run_id": world.run.pk,
        "payout_id": world.payout.pk,
        "organization_slug": world.event.partners.first().organization.slug,
        "content_type_id": ContentType.objects.get_for_model(Event).pk,
        "app_label": "events",
        "url": "nowhere/",
        "uidb36": "1",
        "id": world.staff.pk,
        "key": "not-a-key",
        "path": "events/logos/missing-1x1.webp",  # an uploaded picture (events.views.media)
    }
    if name == "token":
        if route.startswith("g/"):
            return world.bucket.token
        if route.startswith("calendar/"):
            return world.profile.calendar_token
        return world.donation.public_token
    if name == "action":
        if route.startswith("organize/payouts/"):
            return "correction"
        return "retry" if "stripe-events" in route else "check-in"
    if name == "object_id":
        parts = route.split("/")
        if route.startswith("admin/") and len(parts) > 3 and parts[1] != "r":
            model = apps.get_model(parts[1], parts[2])
            first = model._default_manager.order_by("pk").first()
            return str(first.pk if first else 1)
        return str(world.event.pk)
    return str(by_name[name])


def _regex_groups(route: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each named group (?P<name>...) of a regex route, outermost only."""
    groups = []
    for match in re.finditer(r"\(\?P<(\w+)>", route):
        depth, index = 0, match.start()
        while index < len(route):
            if route[index] == "\\":
                index += 2
                continue
            depth += {"(": 1, ")": -1}.get(route[index], 0)
            index += 1
            if depth == 0:
                break
        groups.append((match.start(), index, match.group(1)))
    return groups


def _params(route: str) -> list[str]:
    return [name for *_span, name in _regex_groups(route)] + [
        m.group("name") for m in ROUTE_PARAM.finditer(_strip_regex_groups(route))
    ]


def _strip_regex_groups(route: str) -> str:
    for start, end, name in reversed(_regex_groups(route)):
        route = route[:start] + f"\x01{name}\x01" + route[end:]
    return route


def _url(route: str, values: dict[str, str]) -> str:
    """The route with each parameter replaced by its (percent-encoded) value."""
    filled = _strip_regex_groups(route)
    filled = re.sub(r"\x01(\w+)\x01", lambda m: values[m.group(1)], filled)
    filled = ROUTE_PARAM.sub(lambda m: values[m.group("name")], filled)
    filled = filled.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + filled


def _request(client: Client, method: str, url: str, data: dict[str, str] | None = None):
    """One request in a savepoint that is rolled back afterwards."""
    with transaction.atomic():
        response = client.get(url) if method == "get" else client.post(url, data or {})
        transaction.set_rollback(True)
    return response


def _form_fields(response: HttpResponse) -> tuple[list[str], list[str]]:
    """The names of a page's form fields, and of those that are admin autocomplete selects."""
    if "text/html" not in response.get("Content-Type", ""):
        return [], []
    html = response.content.decode(errors="replace")
    names = set(FIELD_NAME.findall(html)) - {"csrfmiddlewaretoken"}
    return sorted(names), AUTOCOMPLETE.findall(html)


def _walk(route: str, world: World, client: Client) -> list[str]:
    """Every hostile request for one route; returns the ones answered with a 5xx."""
    admin = route.startswith("admin/")
    valid = {name: quote(_valid(route, name, world), safe="") for name in _params(route)}
    requests: list[tuple[str, str, dict[str, str] | None]] = []
    for name in valid:
        nul, junk = (ADMIN_NUL_VALUES, ADMIN_JUNK_VALUES) if admin else (NUL_VALUES, JUNK_VALUES)
        for value in nul + junk:
            url = _url(route, {**valid, name: value.format(valid=valid[name])})
            requests += [("get", url, None), ("post", url, {"x": "1"})]
    base = _url(route, valid)
    keys = ADMIN_QUERY_KEYS if admin else QUERY_KEYS
    requests += [("get", f"{base}?{key}=%00", None) for key in keys]
    requests += [("get", f"{base}?%00=1&x=a%00b", None), ("get", f"{base}?{JUNK_QUERY}", None)]
    page = _request(client, "get", base)
    fields, autocomplete = _form_fields(page)
    # Django's admin autocomplete widget crashes (ValueError, on every database) re-rendering a
    # form whose select holds a non-number: a Django bug a browser cannot trigger, since the
    # widget only sends ids. Those selects get an id that exists nowhere instead.
    unknown = dict.fromkeys(autocomplete, "987654321")
    requests += [
        ("post", base, {**dict.fromkeys(fields or ["x"], junk), **unknown})
        for junk in ["\x00", "a\x00b", "\U0001f4a9" + "x" * 3000]
    ]
    requests.append(("post", f"{base}?v=%00&next=%00", {"x": "1"}))
    failed = [f"GET {base} -> {page.status_code}"] if page.status_code >= 500 else []
    for method, url, data in requests:
        if route.endswith("logout/") and method == "post":
            continue  # would sign the client out for the rest of the walk
        response = _request(client, method, url, data)
        if response.status_code >= 500:
            failed.append(f"{method.upper()} {url[:120]} -> {response.status_code}")
    return failed


@pytest.mark.parametrize("route", ROUTES)
def test_no_url_answers_a_server_error_to_hostile_input(route: str, world: World) -> None:
    anonymous = Client(raise_request_exception=False)
    staff = Client(raise_request_exception=False)
    staff.force_login(world.staff)
    failed = _walk(route, world, anonymous) + _walk(route, world, staff)
    assert not failed, "\n".join(failed)


# --- What a NUL byte gets: the friendly 404 ------------------------------------------------------


def friendly_404(response: HttpResponse) -> bool:
    return response.status_code == 404 and "1-888-373-7888" in response.content.decode()


def test_a_bucket_link_with_a_nul_byte_is_the_friendly_404(world: World) -> None:
    client = Client(raise_request_exception=False)
    assert friendly_404(client.get(f"/g/{world.bucket.token}%00"))
    assert friendly_404(client.post(f"/g/{world.bucket.token}%00", {"preset": "2500"}))
    assert not Donation.objects.exclude(pk=world.donation.pk).exists()


def test_a_personal_give_link_with_a_nul_byte_is_the_friendly_404(world: World) -> None:
    client = Client(raise_request_exception=False)
    url = f"/events/{world.event.slug}/give/?v={world.profile.give_token}%00"
    assert friendly_404(client.get(url))


def test_a_calendar_feed_token_with_a_nul_byte_is_the_friendly_404(world: World) -> None:
    client = Client(raise_request_exception=False)
    assert friendly_404(client.get(f"/calendar/{world.profile.calendar_token}%00.ics"))


def test_a_city_filter_with_a_nul_byte_is_the_friendly_404(world: World) -> None:
    client = Client(raise_request_exception=False)
    assert friendly_404(client.get(f"/events/{world.event.slug}/shifts/?city=Fresno%00"))


def test_the_404_for_a_nul_byte_speaks_the_readers_language(world: World) -> None:
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="es")
    response = client.get(f"/g/{world.bucket.token}%00")
    assert response.status_code == 404
    assert 'lang="es"' in response.content.decode()


def test_a_session_cookie_with_a_nul_byte_is_ignored(world: World) -> None:
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "\x00abcdefghijklmnop"  # sent quoted as "\\000abc…"
    response = client.get(f"/events/{world.event.slug}/")
    assert response.status_code == 200


def test_a_mistyped_bucket_token_is_still_found_in_capitals(world: World) -> None:
    client = Client()
    assert client.get(f"/g/{world.bucket.token.upper()}").status_code == 200
