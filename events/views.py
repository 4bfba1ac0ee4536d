"""Public pages of pledge days: the home page and an event's page."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from events import images, selectors
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


# Uploads served by media(): the pictures events.images stores, nothing else (an uploaded page
# or script must never be served from the site's origin).
MEDIA_FOLDERS = tuple(images.UPLOAD_TO.values())
MEDIA_TYPES = {
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}


@require_safe
def media(request: HttpRequest, path: str) -> FileResponse:
    """A stored logo or cover, when the site serves its own uploads (settings.SERVE_MEDIA, as in
    the demo; production lets the web server or a CDN do it). Stored names never change their
    content (events.images), so browsers keep them a year."""
    extension = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if (
        not path.startswith(MEDIA_FOLDERS)
        or extension not in MEDIA_TYPES
        or ".." in path.split("/")
        or not default_storage.exists(path)
    ):
        raise Http404
    response = FileResponse(default_storage.open(path, "rb"), content_type=MEDIA_TYPES[extension])
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
