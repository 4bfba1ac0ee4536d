"""Reads of a pledge day's live totals, from the tallies (so they cost the same with a thousand
gifts or a million): the public figures behind `GET /events/<slug>/totals.json`, the big screen
and the event page's progress, cached for a couple of seconds so that hundreds of screens
watching one pledge day cost one computation per period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from donations.models import MatchPledge, Tally
from donations.selectors import event_tally, tallies_by_key
from events.models import Corner, Event, EventPartner
from events.selectors import event_public_get, slug_fits

# How long a computed set of figures is served before it is computed again (and the most a
# screen's figures can lag behind a confirmed gift, with its polling period on top).
TOTALS_CACHE_SECONDS = 2


@dataclass(frozen=True)
class PublicTotals:
    body: bytes  # the JSON document
    etag: str  # a strong validator of exactly that body
    figures: dict[str, Any]


def match_progress(*, event: Event, now: dt.datetime) -> list[dict[str, Any]]:
    """Each pledge: what it matches, how much of its cap gifts took, and whether it runs now."""
    progress = []
    for pledge in MatchPledge.objects.filter(event=event).select_related("organization", "corner"):
        in_window = (pledge.starts_at is None or pledge.starts_at <= now) and (
            pledge.ends_at is None or now < pledge.ends_at
        )
        progress.append(
            {
                "sponsor": pledge.sponsor,
                "ratio_percent": pledge.ratio_percent,
                "cap_cents": pledge.cap_cents,
                "used_cents": pledge.allotted_cents,
                "left_cents": pledge.left_cents,
                "received_cents": pledge.received_cents,
                "starts_at": pledge.starts_at.isoformat() if pledge.starts_at else None,
                "ends_at": pledge.ends_at.isoformat() if pledge.ends_at else None,
                "organization": pledge.organization.name if pledge.organization else None,
                "corner": pledge.corner.name if pledge.corner else None,
                "active": in_window and pledge.left_cents > 0,
                "run_out": pledge.left_cents <= 0,
            }
        )
    return progress


def event_public_figures(*, event: Event, now: dt.datetime) -> dict[str, Any]:
    """What anyone may see of a pledge day's money: no donor, no volunteer, no gift."""
    totals = event_tally(event=event)
    organizations = tallies_by_key(event=event, scope=Tally.Scope.ORGANIZATION)
    corners = tallies_by_key(event=event, scope=Tally.Scope.CORNER)
    zero = dict.fromkeys(Tally.COUNTERS, 0)
    partners = [
        {
            "name": partner.organization.name,
            "slug": partner.organization.slug,
            "share_bp": partner.share_bp,
            "raised_cents": (t := organizations.get(str(partner.organization_id), zero))[
                "raised_cents"
            ],
            "designated_cents": t["designated_cents"],
            "shared_cents": t["raised_cents"] - t["designated_cents"],
            "match_cents": t["match_cents"],
        }
        for partner in EventPartner.objects.filter(event=event)
        .select_related("organization")
        .order_by("organization__name")
    ]
    by_corner = [
        {
            "name": corner.name,
            "name_es": corner.name_es,
            "city": corner.city,
            "raised_cents": (t := corners.get(str(corner.pk), zero))["raised_cents"],
            "gifts": t["gifts"],
        }
        for corner in Corner.objects.filter(event=event).order_by("city", "name")
    ]
    by_corner.sort(key=lambda corner: -int(str(corner["raised_cents"])))
    matches = match_progress(event=event, now=now)
    # Matched money counts as raised once the sponsor's money is in (never more than matched).
    received = min(totals["match_cents"], sum(int(m["received_cents"]) for m in matches))
    return {
        "event": event.slug,
        "title": event.title,
        "currency": event.currency,
        "status": event.status,
        "goal_cents": event.goal_cents,
        "raised_cents": totals["raised_cents"],
        "match_cents": totals["match_cents"],
        "match_received_cents": received,
        "with_match_cents": totals["raised_cents"] + totals["match_cents"],
        "gifts": totals["gifts"],
        "organizations": partners,
        "corners": by_corner,
        "matches": matches,
        "updated_at": now.isoformat(),
    }


def _cache_key(slug: str) -> str:
    return f"totals:v1:{slug}"


def event_public_totals(*, event: Event) -> PublicTotals:
    """The public figures as a JSON document with its ETag, from the cache when fresh."""
    cached = cache.get(_cache_key(event.slug))
    if cached is not None:
        return cached
    figures = event_public_figures(event=event, now=timezone.now())
    body = json.dumps(figures, separators=(",", ":"), sort_keys=True).encode()
    # The time of computation is not part of the validator: unchanged figures keep their ETag.
    stable = {key: value for key, value in figures.items() if key != "updated_at"}
    digest = hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:32]
    totals = PublicTotals(body=body, etag=f'"{digest}"', figures=figures)
    cache.set(_cache_key(event.slug), totals, TOTALS_CACHE_SECONDS)
    return totals


def event_public_totals_by_slug(*, slug: str) -> PublicTotals | None:
    """For the JSON endpoint: a cache hit costs no query at all."""
    if not slug_fits(slug):
        return None  # no such event (and no such cache key)
    cached = cache.get(_cache_key(slug))
    if cached is not None:
        return cached
    event = event_public_get(slug=slug, partners=False)
    return event_public_totals(event=event) if event is not None else None


def event_progress(*, event: Event) -> dict[str, int]:
    """The event page's progress toward the goal: one query, cached like the public figures."""
    key = f"progress:v1:{event.pk}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    totals = event_tally(event=event)
    progress = {
        "goal_cents": event.goal_cents,
        "raised_cents": totals["raised_cents"],
        "match_cents": totals["match_cents"],
        "gifts": totals["gifts"],
    }
    cache.set(key, progress, TOTALS_CACHE_SECONDS)
    return progress
