"""Reads of the shared core for pages and other apps."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from events.models import Corner, Event, EventPartner, Organization, Shift

PUBLIC_STATUSES = (Event.Status.PUBLISHED, Event.Status.LIVE)


def events_current_and_upcoming(*, now: datetime) -> QuerySet[Event]:
    """Public pledge days that have not ended, soonest first."""
    return (
        Event.objects.filter(status__in=PUBLIC_STATUSES, ends_at__gte=now)
        .select_related("fiscal_host")
        .order_by("starts_at")
    )


def events_recent_closed(*, limit: int = 3) -> QuerySet[Event]:
    return Event.objects.filter(status=Event.Status.CLOSED).order_by("-ends_at")[:limit]


def slug_fits(slug: str) -> bool:
    """Whether a slug could name an event: a longer one names none (and makes no cache key)."""
    return len(slug) <= Event._meta.get_field("slug").max_length  # type: ignore[operator]


def event_public_get(*, slug: str, partners: bool = True) -> Event | None:
    """A public (not draft) event, with its partners unless told not to, or None."""
    if not slug_fits(slug):
        return None
    events = Event.objects.exclude(status=Event.Status.DRAFT)
    if partners:
        events = events.select_related("fiscal_host").prefetch_related(
            Prefetch(
                "partners",
                queryset=EventPartner.objects.select_related("organization").order_by(
                    "-share_bp", "organization__name"
                ),
            )
        )
    return events.filter(slug=slug).first()


def event_corners_with_shifts(*, event: Event) -> list[Corner]:
    """The event's corners, by city and name, each with its shifts in time order (two queries);
    a cancelled shift is not listed."""
    shifts = Shift.objects.filter(cancelled_at__isnull=True).order_by("starts_at")
    return list(
        Corner.objects.filter(event=event)
        .order_by("city", "name")
        .prefetch_related(Prefetch("shifts", queryset=shifts))
    )


def event_has_gifts(*, event: Event) -> bool:
    """Whether any gift (card, cash or check, in any state) was ever recorded for the event.

    From then on its money settings and its partner shares are frozen (events.services). The
    donations app's Donation points at Event with related_name "donations"; this reads it
    without importing that app.
    """
    return event.donations.exists()


def event_partners_of_user(*, event: Event, user: object) -> list[Organization]:
    """The day's partner organizations the person is a member of (their statements)."""
    user_id = getattr(user, "pk", None)
    if not getattr(user, "is_authenticated", False) or user_id is None:
        return []
    return list(
        Organization.objects.filter(partnerships__event=event, memberships__user_id=user_id)
        .distinct()
        .order_by("name")
    )
