"""Reads of the volunteer side, for pages and services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from events.models import Bucket, Corner, Event, Shift
from volunteers.models import (
    ACTIVE_SIGNUP_STATUSES,
    AutoAssignRun,
    BucketAssignment,
    PoolEntry,
    Profile,
    Signup,
    User,
)

PARTS_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24)}


def event_cities(event: Event) -> list[str]:
    return list(
        Corner.objects.filter(event=event)
        .order_by("city")
        .values_list("city", flat=True)
        .distinct()
    )


def _waitlist_counted(shifts: QuerySet[Shift]) -> QuerySet[Shift]:
    return shifts.annotate(
        waitlisted=Count("signups", filter=Q(signups__status=Signup.Status.WAITLISTED))
    )


def event_shift_listing(*, event: Event, city: str = "", part_of_day: str = "") -> list[Corner]:
    """Corners (by city, name), each with `listed_shifts` in time order; two queries.

    The time-of-day filter compares the event's local hour in Python after the one read (a
    pledge day is small); with it, corners left without a shift are dropped.
    """
    shifts = _waitlist_counted(
        Shift.objects.filter(cancelled_at__isnull=True).order_by("starts_at")
    )
    corners = Corner.objects.filter(event=event).order_by("city", "name")
    if city:
        corners = corners.filter(city=city)
    first, last = PARTS_OF_DAY.get(part_of_day, (0, 24))
    result = []
    for corner in corners.prefetch_related(Prefetch("shifts", queryset=shifts)):
        corner.listed_shifts = [  # type: ignore[attr-defined]
            s
            for s in corner.shifts.all()
            if first <= s.starts_at.astimezone(event.tzinfo).hour < last
        ]
        if corner.listed_shifts or part_of_day not in PARTS_OF_DAY:  # type: ignore[attr-defined]
            result.append(corner)
    return result


def user_signups_by_shift(*, user: User, event: Event) -> dict[int, Signup]:
    """The volunteer's active sign-ups on this event, keyed by shift id."""
    if not user.is_authenticated:
        return {}
    return {
        s.shift_id: s
        for s in Signup.objects.filter(
            user=user, shift__corner__event=event, status__in=ACTIVE_SIGNUP_STATUSES
        )
    }


@dataclass(frozen=True)
class MyShift:
    signup: Signup
    position: int | None
    can_cancel: bool  # signup_cancel_refusal says nothing: the page shows whom to call instead


def user_upcoming_signups(*, user: User, now: dt.datetime) -> list[MyShift]:
    """The volunteer's coming sign-ups with their waitlist positions, in one query."""
    ahead = (
        Signup.objects.filter(shift=OuterRef("shift"), status=Signup.Status.WAITLISTED)
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id"))
        )
        .values("shift")
        .annotate(n=Count("id"))
        .values("n")
    )
    signups = (
        Signup.objects.filter(user=user, status__in=ACTIVE_SIGNUP_STATUSES, shift__ends_at__gte=now)
        .select_related("shift__corner__event")
        .annotate(ahead=Coalesce(Subquery(ahead), 0))
        .order_by("shift__starts_at")
    )
    return [
        MyShift(
            signup=s,
            position=s.ahead + 1 if s.status == Signup.Status.WAITLISTED else None,
            can_cancel=signup_cancel_refusal(signup=s, now=now) is None,
        )
        for s in signups
    ]


def user_calendar_signups(*, user: User) -> QuerySet[Signup]:
    return (
        Signup.objects.filter(user=user, status__in=ACTIVE_SIGNUP_STATUSES)
        .select_related("shift__corner__event")
        .order_by("shift__starts_at")
    )


def user_pool_entries(*, user: User, event: Event) -> QuerySet[PoolEntry]:
    return PoolEntry.objects.filter(user=user, event=event, status=PoolEntry.Status.WAITING)


def event_dashboard_shifts(*, event: Event) -> list[Shift]:
    """The event's shifts, understaffed first (biggest gap to the buddy minimum), then by time."""
    shifts = list(
        _waitlist_counted(Shift.objects.filter(corner__event=event).select_related("corner"))
    )
    return sorted(
        shifts,
        key=lambda s: (
            s.cancelled_at is not None,  # cancelled ones last: nobody needs to staff them
            s.is_staffed,
            s.confirmed_count - s.min_volunteers,
            s.starts_at,
            s.corner.name,
        ),
    )


def event_latest_auto_assign_run(*, event: Event, now: dt.datetime) -> AutoAssignRun | None:
    """The event's most recent auto-assign run, with `lost`: still queued or running long after
    the task's time limit (the organizer may then ask again)."""
    run = AutoAssignRun.objects.filter(event=event).order_by("-requested_at", "-id").first()
    if run is not None:
        run.lost = run.is_lost(now)  # type: ignore[attr-defined]
    return run


def event_pool_waiting(*, event: Event) -> QuerySet[PoolEntry]:
    return PoolEntry.objects.filter(event=event, status=PoolEntry.Status.WAITING).select_related(
        "user"
    )


def shift_roster(*, shift: Shift) -> dict[str, list[Signup]]:
    """Sign-ups of a shift by status, with contact details (organizers only)."""
    roster: dict[str, list[Signup]] = {status: [] for status in Signup.Status.values}
    for signup in (
        Signup.objects.filter(shift=shift)
        .select_related("user__volunteer_profile")
        .order_by("created_at", "id")
    ):
        roster[signup.status].append(signup)
    return roster


def shift_waitlisted_count(*, shift: Shift) -> int:
    return Signup.objects.filter(shift=shift, status=Signup.Status.WAITLISTED).count()


def shift_bucket_assignments(*, shift: Shift) -> QuerySet[BucketAssignment]:
    return (
        BucketAssignment.objects.filter(shift=shift)
        .select_related("bucket")
        .prefetch_related("holders")
    )


def event_buckets_available(*, event: Event) -> QuerySet[Bucket]:
    out = BucketAssignment.objects.filter(returned_at__isnull=True).values("bucket_id")
    return Bucket.objects.filter(event=event).exclude(pk__in=out).order_by("label")


def profile_by_give_token(token: str) -> Profile | None:
    """The volunteer behind a personal give link, if the code is theirs."""
    if not token:
        return None
    return Profile.objects.select_related("user").filter(give_token=token).first()


def waitlist_position(signup: Signup) -> int | None:
    """1 for the first person in line; None if the sign-up is not waitlisted."""
    if signup.status != Signup.Status.WAITLISTED:
        return None
    ahead = Signup.objects.filter(shift_id=signup.shift_id, status=Signup.Status.WAITLISTED).filter(
        Q(created_at__lt=signup.created_at) | Q(created_at=signup.created_at, id__lt=signup.pk)
    )
    return ahead.count() + 1


def shift_buddies(signup: Signup) -> QuerySet[Signup]:
    """The others confirmed on the sign-up's shift, first confirmed first (a notice names them)."""
    return (
        Signup.objects.filter(shift_id=signup.shift_id, status=Signup.Status.CONFIRMED)
        .exclude(pk=signup.pk)
        .select_related("user")
        .order_by("confirmed_at", "pk")
    )


def coordinator_call(event: Event) -> str:
    """Whom a volunteer calls instead of cancelling online."""
    if event.volunteer_coordinator_phone:
        name = event.volunteer_coordinator_name or _("the volunteer coordinator")
        return _("Please call %(name)s at %(phone)s instead.") % {
            "name": name,
            "phone": event.volunteer_coordinator_phone,
        }
    return _("Please call the organizers of this pledge day instead.")


def signup_cancel_refusal(
    *, signup: Signup, now: dt.datetime, by_organizer: bool = False
) -> ValidationError | None:
    """Why `signup` cannot be cancelled now, or None. The one rule: the cancel service applies
    it under the shift's lock, My shifts and the confirmation page show it before anyone asks."""
    event = signup.shift.corner.event
    if signup.status not in ACTIVE_SIGNUP_STATUSES:
        return ValidationError(_("This sign-up is not active."), code="not_active")
    if signup.checked_in_at is not None:
        if by_organizer:
            message = _("This volunteer has already checked in; check them out instead.")
        else:
            message = _(
                "You have already checked in on this shift: if you need to leave, tell the "
                "organizers at the staging table, so they check you out."
            )
        return ValidationError(message, code="checked_in")
    cutoff = signup.shift.starts_at - dt.timedelta(hours=event.cancellation_cutoff_hours)
    if not by_organizer and now >= cutoff:
        return ValidationError(
            _("It is too late to cancel online (less than %(hours)s hours before the shift).")
            % {"hours": event.cancellation_cutoff_hours}
            + " "
            + coordinator_call(event),
            code="too_late",
        )
    return None
