"""The live pages (issue 8): a pledge day's public big screen and the organizers' control room.

Each is a page plus a fragment of its panels, which the page polls (static/js/live.js) with the
fragment's ETag: an unchanged fragment answers 304 without a body. The screen's fragment is
public and the same for everyone, so it is rendered once per language and second and cached (a
hit costs no query); the control room's is rendered for each organizer, never cached by anyone
(`private, no-store`), because it names volunteers and, for the finance role, donors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from donations import selectors_live
from donations.forms_live import SHOW_ATTENTION, ControlRoomFilters
from donations.services import OPEN_FOR_GIFTS
from events.context_processors import hotline
from events.models import Event
from events.permissions import (
    event_by_slug,
    organizer_view,
    user_can_handle_money,
    user_can_manage_finances,
    user_can_organize_event,
)

# A screen's figures are at most this old when served; with the screen's polling period on top,
# a confirmed gift shows within SCREEN_CACHE_SECONDS + SCREEN_POLL_MS (2.5 s).
SCREEN_CACHE_SECONDS = 1
SCREEN_POLL_MS = 1500
# One request renders a screen's panels at a time (longer than a render ever takes); the others
# serve the previous copy, kept this long.
SCREEN_LOCK_SECONDS = 10
SCREEN_PREVIOUS_SECONDS = 60
# A screen showing both languages switches every this often.
SCREEN_SWITCH_MS = 20_000
# The control room is rendered fresh for every poll: a gift shows within the period.
ROOM_POLL_MS = 2000
LANGUAGES = [code for code, _name in settings.LANGUAGES]


@dataclass(frozen=True)
class Fragment:
    body: str
    etag: str


def _fragment(body: str) -> Fragment:
    return Fragment(body=body, etag=f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"')


def _answer(request: HttpRequest, fragment: Fragment, cache_control: str) -> HttpResponse:
    """The fragment, or 304 when the page already has it."""
    headers = {"ETag": fragment.etag, "Cache-Control": cache_control}
    seen = (tag.strip() for tag in request.headers.get("If-None-Match", "").split(","))
    if fragment.etag in seen:
        return HttpResponseNotModified(headers=headers)
    return HttpResponse(fragment.body, content_type="text/html; charset=utf-8", headers=headers)


# --- The big screen (public) ---------------------------------------------------------------------


def _slug_fits(slug: str) -> bool:
    """A slug longer than any event's names no event (and makes no cache key)."""
    return len(slug) <= Event._meta.get_field("slug").max_length  # type: ignore[operator]


def _public_event(slug: str) -> Event | None:
    if not _slug_fits(slug):
        return None
    return Event.objects.exclude(status=Event.Status.DRAFT).filter(slug=slug).first()


def _screen_language(choice: str) -> str:
    if choice in LANGUAGES:
        return choice
    current = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return current if current in LANGUAGES else settings.LANGUAGE_CODE


def _screen_key(slug: str, language: str) -> str:
    return f"screen:v1:{slug}:{language}"


def _screen_render(request: HttpRequest, event: Event, language: str) -> Fragment:
    """The screen's panels in one language, rendered at most once a second for everyone.

    When the second is over, one request renders them again (it holds a short lock in the
    cache); the screens asking meanwhile get the previous copy instead of rendering it too.
    """
    key = _screen_key(event.slug, language)
    cached = cache.get(key)
    if cached is not None:
        return cached
    if not cache.add(f"{key}:rendering", 1, SCREEN_LOCK_SECONDS):
        previous = cache.get(f"{key}:previous")
        if previous is not None:
            return previous
    try:
        fragment = _screen_fragment(request, event, language)
    finally:
        cache.delete(f"{key}:rendering")
    cache.set(key, fragment, SCREEN_CACHE_SECONDS)
    cache.set(f"{key}:previous", fragment, SCREEN_PREVIOUS_SECONDS)
    return fragment


def _screen_fragment(request: HttpRequest, event: Event, language: str) -> Fragment:
    screen = selectors_live.screen_read(event=event, now=timezone.now())
    give_url = ""
    if event.status in OPEN_FOR_GIFTS:
        give_url = settings.SITE_URL + reverse("donations:give_event", args=[event.slug])
    with translation.override(language):
        # No request: the panels are the same for everyone and read no session or cookie.
        body = render_to_string(
            "donations/live/screen_panels.html",
            {"event": event, "screen": screen, "give_url": give_url, **hotline(request)},
        )
    return _fragment(body)


@require_GET
def screen(request: HttpRequest, slug: str) -> HttpResponse:
    """/events/<slug>/screen/: the big screen for a projector or TV at the staging area.
    ?lang=en or es, or both (alternating); else the reader's language."""
    event = _public_event(slug)
    if event is None:
        raise Http404
    choice = request.GET.get("lang", "")
    language = _screen_language(choice)
    fragment = _screen_render(request, event, language)
    with translation.override(language):
        return render(
            request,
            "donations/live/screen.html",
            {
                "event": event,
                "language": language,
                "languages": " ".join(LANGUAGES) if choice == "both" else "",
                "panels": mark_safe(fragment.body),  # noqa: S308 (our own template's output)
                "etag": fragment.etag,
                "poll_ms": SCREEN_POLL_MS,
                "switch_ms": SCREEN_SWITCH_MS,
            },
        )


@require_GET
def screen_panels(request: HttpRequest, slug: str) -> HttpResponse:
    """The screen's panels (?lang=en|es), polled every 1.5 s: public, cached for a second."""
    language = _screen_language(request.GET.get("lang", ""))
    cached = cache.get(_screen_key(slug, language)) if _slug_fits(slug) else None
    if cached is None:
        event = _public_event(slug)
        if event is None:
            raise Http404
        cached = _screen_render(request, event, language)
    response = _answer(request, cached, f"public, max-age={SCREEN_CACHE_SECONDS}")
    response["Content-Language"] = language
    return response


# --- The control room (organizers) ---------------------------------------------------------------


def _room(request: HttpRequest, event: Event) -> dict[str, Any]:
    """What the control room shows this organizer, with the filters and pages they chose."""
    room = selectors_live.control_room_read(event=event, now=timezone.now())
    filters = ControlRoomFilters(
        request.GET, cities=room.cities, corners=[row.corner for row in room.corners]
    )
    city, show = filters.value("city"), filters.value("show")
    corners = [
        row
        for row in room.corners
        if (not city or row.corner.city == city) and (show != SHOW_ATTENTION or row.needs_attention)
    ]
    teams_page, teams = selectors_live.team_page(
        event=event, number=filters.value("teams_page") or 1
    )
    return {
        "event": event,
        "room": room,
        "filters": filters,
        "corners_page": Paginator(corners, selectors_live.CORNERS_PER_PAGE).get_page(
            filters.value("corners_page") or 1
        ),
        "corners_filtered": bool(city or show),
        "teams_page": teams_page,
        "teams": teams,
        "gifts_page": selectors_live.gift_page(
            event=event,
            method=filters.value("method") or "",
            corner_id=filters.value("corner"),
            number=filters.value("gifts_page") or 1,
        ),
        "gifts_filtered": bool(filters.value("method") or filters.value("corner")),
        "show_donors": user_can_manage_finances(request.user, event),
    }


@organizer_view(user_can_handle_money, load=event_by_slug)
@require_GET
def control_room(request: HttpRequest, event: Event) -> HttpResponse:
    """/organize/<slug>/live/: the organizers' live view of the day, for the laptop at the
    staging table (and a phone). The money roles: organizers run the corners from it, the
    finance role counts buckets and watches the gifts."""
    return render(
        request,
        "donations/live/control_room.html",
        {
            **_room(request, event),
            "can_organize": user_can_organize_event(request.user, event),
            "poll_ms": ROOM_POLL_MS,
        },
    )


@organizer_view(user_can_handle_money, load=event_by_slug)
@require_GET
def control_room_panels(request: HttpRequest, event: Event) -> HttpResponse:
    """The control room's panels, same query string as the page; polled every 2 s."""
    body = render_to_string(
        "donations/live/room_panels.html", _room(request, event), request=request
    )
    response = _answer(request, _fragment(body), "private, no-store")
    patch_vary_headers(response, ["Cookie"])
    return response
