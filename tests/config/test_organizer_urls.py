"""Every organizer page goes through the one decorator, events.permissions.organizer_view
(issue 7, scenario 22): this walks the whole URL map, so a new organizer view that checks
permissions by hand — or not at all — fails here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from events import permissions


def _patterns(
    resolver: URLResolver | None = None, prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        else:
            yield route, entry


ORGANIZER_ROUTES = sorted(
    (route, pattern) for route, pattern in _patterns() if route.startswith("organize/")
)
KNOWN_PERMISSIONS = {
    permissions.user_can_organize_event,
    permissions.user_can_handle_money,
    permissions.user_can_manage_finances,
    permissions.user_can_lead_event,
}


def test_the_walk_finds_the_organizer_pages_of_every_app() -> None:
    modules = {pattern.callback.__module__ for _route, pattern in ORGANIZER_ROUTES}
    assert modules == {
        "volunteers.views_organize",
        "donations.views_organize",
        "donations.views_live",
        "payouts.views",
        "notices.views",
    }
    assert len(ORGANIZER_ROUTES) >= 18


@pytest.mark.parametrize(
    ("route", "pattern"), ORGANIZER_ROUTES, ids=[route for route, _p in ORGANIZER_ROUTES]
)
def test_every_organizer_page_goes_through_organizer_view(route: str, pattern: URLPattern) -> None:
    permission = getattr(pattern.callback, "organizer_permission", None)
    assert permission in KNOWN_PERMISSIONS, (
        f"{route} does not use events.permissions.organizer_view"
    )


PARTNER_ROUTES = sorted(
    (route, pattern) for route, pattern in _patterns() if route.startswith("partners/")
)


def test_every_partner_page_goes_through_partner_view() -> None:
    assert len(PARTNER_ROUTES) >= 5
    unguarded = [
        route
        for route, pattern in PARTNER_ROUTES
        if getattr(pattern.callback, "partner_permission", None)
        is not permissions.user_is_partner_member
    ]
    assert unguarded == []


def test_no_view_outside_organizer_pages_claims_an_organizer_permission() -> None:
    """Organizer pages live under organize/: a decorated view elsewhere would escape the walk."""
    stray = [
        route
        for route, pattern in _patterns()
        if hasattr(pattern.callback, "organizer_permission") and not route.startswith("organize/")
    ]
    assert stray == []


@pytest.fixture
def money_urls(db) -> list[str]:
    """One URL of every organizer page of the money path, for real objects."""
    from django.urls import reverse
    from django.utils import timezone

    from donations.models import MatchPledge, Refund, StripeEvent
    from tests.factories import BucketFactory, CardDonationFactory, ShiftFactory, UserFactory
    from volunteers.models import BucketAssignment

    donation = CardDonationFactory()
    event = donation.event
    assignment = BucketAssignment.objects.create(
        bucket=BucketFactory(event=event),
        shift=ShiftFactory(corner__event=event),
        handed_out_at=timezone.now(),
        handed_out_by=UserFactory(),
    )
    record = StripeEvent.objects.create(
        stripe_id="evt_walk", type="payment_intent.succeeded", payload={}, event=event,
        received_at=timezone.now(), status=StripeEvent.Status.PARKED,
        park_reason=StripeEvent.ParkReason.UNKNOWN_PAYMENT,
    )  # fmt: skip
    refund = Refund.objects.create(
        donation=donation, stripe_refund_id="re_walk", amount_cents=100, status="failed",
        created_at=timezone.now(), updated_at=timezone.now(),
    )  # fmt: skip
    from donations import services as money

    pledge = money.match_pledge_save(
        pledge=MatchPledge(event=event, sponsor="Bank", cap_cents=1000), now=timezone.now()
    )
    kwargs = {
        "pledge_id": pledge.pk,
        "slug": event.slug,
        "donation_id": donation.pk,
        "assignment_id": assignment.pk,
        "record_id": record.pk,
        "refund_id": refund.pk,
        "action": "retry",
    }
    urls = []
    for _route, pattern in ORGANIZER_ROUTES:
        if pattern.callback.__module__ not in ("donations.views_organize", "donations.views_live"):
            continue
        names = list(pattern.pattern.converters)
        urls.append(reverse(f"donations:{pattern.name}", kwargs={k: kwargs[k] for k in names}))
    return urls


def test_signed_out_visitors_are_sent_to_sign_in_from_every_money_page(
    client, money_urls: list[str]
) -> None:
    for url in money_urls:
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/"), url


def test_a_volunteer_is_forbidden_every_money_page(client, money_urls: list[str]) -> None:
    from tests.factories import volunteer

    client.force_login(volunteer())
    for url in money_urls:
        assert client.get(url).status_code in (403, 405), url
        assert client.post(url).status_code in (403, 405), url
