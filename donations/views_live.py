"""The live pages (issue 8): a pledge day's public big screen and the organizers' control room.

Each is a page plus a fragment of its panels, which the page polls (static/js/live.js) with the
fragment's ETag: an unchanged fragment answers 304 without a body. Both fragments are rendered
at most once a second for everyone who would see the same thing and kept in the cache (`_shared`):
the screen's per language, public; the control room's per event, role (donors are shown to
finance only), language and query string, and served `private, no-store` because it names
volunteers and, for finance, donors.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
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
from events.selectors import event_public_get, slug_fits

# A screen's figures are at most this old when served; with the screen's polling period on top,
# a confirmed gift shows within SCREEN_CACHE_SECONDS + SCREEN_POLL_MS (2.5 s).
SCREEN_CACHE_SECONDS = 1
SCREEN_POLL_MS = 1500
# One request renders a fragment at a time (the lock outlives any render); the others serve the
# previous copy, kept this long.
RENDER_LOCK_SECONDS = 10
PREVIOUS_SECONDS = 60
# A screen showing both languages switches every this often.
SCREEN_SWITCH_MS = 20_000
# The control room's panels are rendered at most once a second for all the organizers who see
# the same thing (same role, language and query string): a gift shows within 1 + 1.5 seconds.
ROOM_CACHE_SECONDS = 1
ROOM_POLL_MS = 1500
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


def _screen_language(choice: str) -> str:
    if choice in LANGUAGES:
        return choice
    current = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return current if current in LANGUAGES else settings.LANGUAGE_CODE


def _screen_key(slug: str, language: str) -> str:
    return f"screen:v1:{slug}:{language}"


def _shared(key: str, render: Callable[[], Fragment], seconds: int) -> Fragment:
    """A fragment rendered at most once per `seconds` for everyone who asks with this key.

    When its time is over, one request renders it again (it holds a short lock in the cache);
    the others asking meanwhile get the previous copy instead of rendering it too.
    """
    cached = cache.get(key)
    if cached is not None:
        return cached
    if not cache.add(f"{key}:rendering", 1, RENDER_LOCK_SECONDS):
        previous = cache.get(f"{key}:previous")
        if previous is not None:
            return previous
    try:
        fragment = render()
    finally:
        cache.delete(f"{key}:rendering")
    cache.set(key, fragment, seconds)
    cache.set(f"{key}:previous", fragment, PREVIOUS_SECONDS)
    return fragment


def _screen_render(request: HttpRequest, event: Event, language: str) -> Fragment:
    """The screen's panels in one language, rendered at most once a second for everyone."""
    return _shared(
        _screen_key(event.slug, language),
        lambda: _screen_fragment(request, event, language),
        SCREEN_CACHE_SECONDS,
    )


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
    event = event_public_get(slug=slug, partners=False)
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
    cached = cache.get(_screen_key(slug, language)) if slug_fits(slug) else None
    if cached is None:
        event = event_public_get(slug=slug, partners=False)
        if event is None:
            raise Http404
        cached = _screen_render(request, event, language)
    response = _answer(request, cached, f"public, max-age={SCREEN_CACHE_SECONDS}")
    response["Content-Language"] = language
    return response


# --- The control room (organizers) ---------------------------------------------------------------


def _room(request: HttpRequest, event: Event, *, finance: bool) -> dict[str, Any]:
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
        "show_donors": finance,
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
            **_room(request, event, finance=user_can_manage_finances(request.user, event)),
            "can_organize": user_can_organize_event(request.user, event),
            "poll_ms": ROOM_POLL_MS,
        },
    )


def _room_key(request: HttpRequest, slug: str, finance: bool) -> str:
    """What the panels depend on: the event, whether donors are shown, the language and the
    query string (filters, pages, and the links that keep them), in any order."""
    query = urlencode(sorted((k, v) for k, values in request.GET.lists() for v in values))
    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    language = translation.get_language() or settings.LANGUAGE_CODE
    return f"room:v1:{slug}:{'finance' if finance else 'team'}:{language}:{digest}"


# --- Polling the control room without asking the database each time ------------------------------
#
# An organizer's browser polls the panels every 1.5 s. The full check (the user, the event, its
# roles: three queries) runs on the page and then at most once per ROOM_GRANT_SECONDS for each
# session: a poll that passed it leaves a grant in the cache, under a digest of the session key
# and the event; the polls after it are served the cached panels on the strength of that grant.
# A grant holds only for the session that earned it, signed in as the same user with the same
# password hash: signing out (the session is flushed) ends it at once; a role revoked, an account
# deactivated or a password changed in another session ends it within ROOM_GRANT_SECONDS.

ROOM_GRANT_SECONDS = 10


@dataclass(frozen=True)
class RoomGrant:
    user_id: str
    auth_hash: str
    finance: bool


def _grant_key(request: HttpRequest, slug: str) -> str | None:
    session_key = request.session.session_key
    if not session_key or not slug_fits(slug):
        return None
    # The session key is a secret: only a digest of it names the grant.
    return "roomgrant:v1:" + hashlib.sha256(f"{session_key}:{slug}".encode()).hexdigest()


def _grant_holds(session: Mapping[str, Any], grant: object) -> bool:
    return (
        isinstance(grant, RoomGrant)
        and session.get(SESSION_KEY) == grant.user_id
        and session.get(HASH_SESSION_KEY) == grant.auth_hash
    )


def _session_cache_key(request: HttpRequest) -> str | None:
    """Where a cached session (the `cache` and `cached_db` engines) keeps its data in the
    default cache, so that a poll can read it in the same round trip as its grant; None for
    another engine or cache."""
    if settings.SESSION_CACHE_ALIAS != "default":
        return None
    key = getattr(request.session, "cache_key", None)
    return key if isinstance(key, str) else None


def _room_response(request: HttpRequest, fragment: Fragment) -> HttpResponse:
    response = _answer(request, fragment, "private, no-store")
    patch_vary_headers(response, ["Cookie"])
    return response


@organizer_view(user_can_handle_money, load=event_by_slug)
@require_GET
def _room_panels_checked(request: HttpRequest, event: Event) -> HttpResponse:
    """The panels after the full check, which leaves this session a grant."""
    finance = user_can_manage_finances(request.user, event)

    def render() -> Fragment:
        context = _room(request, event, finance=finance)
        return _fragment(
            render_to_string("donations/live/room_panels.html", context, request=request)
        )

    fragment = _shared(_room_key(request, event.slug, finance), render, ROOM_CACHE_SECONDS)
    grant_key = _grant_key(request, event.slug)
    if grant_key is not None:
        grant = RoomGrant(
            user_id=str(request.session.get(SESSION_KEY, "")),
            auth_hash=str(request.session.get(HASH_SESSION_KEY, "")),
            finance=finance,
        )
        cache.set(grant_key, grant, ROOM_GRANT_SECONDS)
    return _room_response(request, fragment)


@functools.wraps(_room_panels_checked)
def control_room_panels(request: HttpRequest, slug: str) -> HttpResponse:
    """/organize/<slug>/live/panels/: the control room's panels, same query string as the
    page; polled every 1.5 s.

    Rendered once a second for everyone who sees the same panels (a render reads a dozen small
    tables and one page of gifts). A poll from a session holding a grant (above) costs one
    cache read (the session, the grant and both versions of the panels at once); any other
    goes through the full check. Private: the panels name volunteers and, for finance, donors."""
    if request.method == "GET" and (grant_key := _grant_key(request, slug)) is not None:
        keys = {finance: _room_key(request, slug, finance) for finance in (False, True)}
        session_key = _session_cache_key(request)
        found = cache.get_many([grant_key, *keys.values(), *([session_key] if session_key else [])])
        # The session as its engine would load it from the cache; if it is not there (evicted,
        # or a database session), the engine loads it.
        session = found.get(session_key) if session_key else None
        if not isinstance(session, dict):
            session = request.session
        grant = found.get(grant_key)
        if _grant_holds(session, grant):
            assert isinstance(grant, RoomGrant)  # noqa: S101 (checked just above)
            fragment = found.get(keys[grant.finance])
            if isinstance(fragment, Fragment):
                return _room_response(request, fragment)
    return _room_panels_checked(request, slug=slug)
