"""The organizers' log of the notices a pledge day sent (who, what, when, channel, status)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from events.models import Event
from events.permissions import event_by_slug, organizer_view, user_can_organize_event
from notices.models import Notice


@organizer_view(user_can_organize_event, load=event_by_slug)
@require_GET
def log(request: HttpRequest, event: Event) -> HttpResponse:
    """/organize/<slug>/notices/: newest first, 100 a page, filtered by status if asked."""
    notices = Notice.objects.filter(event=event).select_related("user", "signup__shift__corner")
    status = request.GET.get("status", "")
    if status in Notice.Status.values:
        notices = notices.filter(status=status)
    page = Paginator(notices.order_by("-due_at", "-pk"), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/log.html",
        {"event": event, "page": page, "status": status, "statuses": Notice.Status.choices},
    )
