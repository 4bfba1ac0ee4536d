"""Public pages of pledge days: the home page and an event's page."""

from __future__ import annotations

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from events import selectors
from events.permissions import user_can_organize_event


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "events/home.html",
        {
            "events": selectors.events_current_and_upcoming(now=now),
            "past_events": selectors.events_recent_closed(),
        },
    )


@require_GET
def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_public_get(slug=slug)
    if event is None:
        raise Http404
    return render(
        request,
        "events/event_detail.html",
        {
            "event": event,
            "corners": selectors.event_corners_with_shifts(event=event),
            "can_organize": user_can_organize_event(request.user, event),
            "my_partners": selectors.event_partners_of_user(event=event, user=request.user),
        },
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and the launcher: 200 once the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
