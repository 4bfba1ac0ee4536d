"""Limits on starting card gifts (django-ratelimit counters in the cache, so Redis-wide in
production), and the donor's address behind the site's proxies (django-ipware).

Card testing itself would happen on Stripe's hosted Checkout page, where Stripe Radar applies.
These limits keep one browser or one network from flooding us with pending gifts and Checkout
Sessions (database rows, and our share of Stripe's API rate limit) without refusing a busy
corner: its donors may all share one carrier-NAT address, so the per-address limit is generous
and the per-browser one (the browser's CSRF cookie) is the tight one. An IPv6 address counts as
its /64, one subscriber's network. Across an event there is no refusal: an unusual rate of gift
starts raises one alert per period for the people who run the site.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from ipware import get_client_ip

from events import alerts

logger = logging.getLogger(__name__)

GROUP = "donation-start"


def client_ip(request: HttpRequest) -> str:
    """The donor's address: with TRUSTED_PROXY_COUNT proxies in front, the one the outermost
    proxy appended to X-Forwarded-For; otherwise (or if the header is short of that) the peer.
    IPv4-mapped IPv6 peers (::ffff:a.b.c.d) come back as IPv4. "" when there is none."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded, _routable = get_client_ip(
            request,
            proxy_count=proxies - 1,  # the proxies that appear in the header (not the nearest)
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,  # junk the donor put at the start of the header is skipped
        )
        if forwarded:
            return forwarded
    peer, _routable = get_client_ip(request, request_header_order=["REMOTE_ADDR"])
    return peer or ""


def _browser(group: str, request: HttpRequest) -> str:
    """The browser: its CSRF secret (the give form cannot be posted without one), else its
    session, else its address. django-ratelimit stores only a hash of it."""
    secret = request.META.get("CSRF_COOKIE")
    if secret:
        return f"csrf:{secret}"
    session_key = request.session.session_key if hasattr(request, "session") else None
    if session_key:
        return f"session:{session_key}"
    return f"address:{client_ip(request)}"


def _over(request: HttpRequest, *, kind: str, key: object, rate: str) -> tuple[bool, int, int]:
    """Count one gift start against a limit: (over it, count, limit)."""
    usage = get_usage(request, group=f"{GROUP}:{kind}", key=key, rate=rate, increment=True)
    if usage is None:  # RATELIMIT_ENABLE is off, or the cache lost the counter
        return False, 0, 0
    return bool(usage["should_limit"]), usage["count"], usage["limit"]


def donation_start_allowed(request: HttpRequest, *, event_id: int) -> bool:
    """Count a gift start; False when this browser or this address has started too many."""
    try:
        over, _count, _limit = _over(
            request, kind="browser", key=_browser, rate=settings.DONATION_LIMIT_PER_BROWSER
        )
        if over:
            return False
        if client_ip(request):
            over, _count, _limit = _over(
                request, kind="address", key="ip", rate=settings.DONATION_LIMIT_PER_ADDRESS
            )
            if over:
                logger.warning("gift starts refused for one address (DONATION_LIMIT_PER_ADDRESS)")
                return False
        else:
            logger.warning("no client address (REMOTE_ADDR empty): per-address limit skipped")
        _over_event, count, limit = _over(
            request,
            kind="event",
            key=lambda _group, _request: str(event_id),
            rate=settings.DONATION_ALERT_PER_EVENT,
        )
    except Exception:
        # The cache (Redis) is down: a limiter outage must not stop a pledge day's donors.
        logger.exception("gift-start limits unavailable; the gift is let through")
        return True
    if count == limit + 1:  # the first start over the rate in this period: one alert per period
        alerts.alert(
            subject="Unusual rate of gift starts",
            detail=(
                f"event {event_id}: more than {settings.DONATION_ALERT_PER_EVENT} gift starts "
                "(DONATION_ALERT_PER_EVENT). Gifts are not refused; check Stripe's dashboard "
                "(Radar) for card testing."
            ),
        )
    return True
