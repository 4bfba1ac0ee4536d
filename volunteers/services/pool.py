"""The "anywhere" pool and auto-assign (run by a Celery task)."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event, Shift
from volunteers.models import (
    ACTIVE_AUTO_ASSIGN_STATUSES,
    AUTO_ASSIGN_STALE_AFTER,
    AutoAssignRun,
    PoolEntry,
    Signup,
    User,
)
from volunteers.services import signups
from volunteers.services.signups import signup_create

logger = logging.getLogger(__name__)

# --- The "anywhere" pool and auto-assign --------------------------------------------------------


@transaction.atomic
def pool_join(
    *,
    user: User,
    event: Event,
    available_from: dt.datetime,
    available_until: dt.datetime,
    preferred_city: str,
    now: dt.datetime,
    accept_waiver: bool = False,
) -> PoolEntry:
    """Offer to stand on any corner during a window; auto-assign places the volunteer."""
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
    signups._eligibility_check(user=user, event=event, accept_waiver=accept_waiver, now=now)
    if now >= event.ends_at or (event.signup_closes_at and now >= event.signup_closes_at):
        raise ValidationError(_("Sign-up for this pledge day has closed."), code="closed")
    if event.signup_opens_at and now < event.signup_opens_at:
        raise ValidationError(
            _("Sign-up opens on %(when)s.")
            % {"when": signups._local(event.signup_opens_at, event)},
            code="not_yet_open",
        )
    if available_until <= available_from:
        raise ValidationError(_("The end of your window must be after its start."), code="window")
    if PoolEntry.objects.filter(user=user, event=event, status=PoolEntry.Status.WAITING).exists():
        raise ValidationError(
            _("You are already in the pool for this pledge day."), code="already_pooled"
        )
    return PoolEntry.objects.create(
        user=user,
        event=event,
        available_from=available_from,
        available_until=available_until,
        preferred_city=preferred_city,
        created_at=now,
    )


@transaction.atomic
def pool_leave(*, entry: PoolEntry) -> PoolEntry:
    entry = PoolEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status == PoolEntry.Status.WAITING:
        entry.status = PoolEntry.Status.WITHDRAWN
        entry.save(update_fields=["status"])
    return entry


def _placement_order(shift: Shift, city: str) -> tuple[int, int, int, dt.datetime]:
    """Understaffed first (largest gap to the buddy minimum), then the preferred city, then time."""
    gap = shift.min_volunteers - shift.confirmed_count
    return (
        0 if gap > 0 else 1,
        -gap,
        0 if city and shift.corner.city == city else 1,
        shift.starts_at,
    )


def event_auto_assign(*, event: Event, now: dt.datetime) -> list[Signup]:
    """Place waiting pool volunteers on shifts that need people, in the order they joined.

    Each placement is its own transaction through signup_create, so every rule (capacity under
    the lock, overlaps, age, consent, waiver, consecutive hours) applies exactly as for a person
    signing up; a volunteer no shift can take stays in the pool.
    """
    placed: list[Signup] = []
    for entry in PoolEntry.objects.filter(
        event=event, status=PoolEntry.Status.WAITING
    ).select_related("user__volunteer_profile"):
        city = entry.preferred_city or getattr(
            getattr(entry.user, "volunteer_profile", None), "preferred_city", ""
        )
        candidates = Shift.objects.filter(
            corner__event=event,
            cancelled_at__isnull=True,
            starts_at__gte=entry.available_from,
            ends_at__lte=entry.available_until,
            starts_at__gt=now,
            confirmed_count__lt=F("capacity"),
        ).select_related("corner")
        for shift in sorted(candidates, key=lambda s: _placement_order(s, city)):
            try:
                with transaction.atomic():
                    still_waiting = (
                        PoolEntry.objects.select_for_update()
                        .filter(pk=entry.pk, status=PoolEntry.Status.WAITING)
                        .exists()
                    )
                    if not still_waiting:  # placed by a concurrent run, or withdrawn
                        break
                    signup = signup_create(
                        user=entry.user,
                        shift=shift,
                        now=now,
                        source=Signup.Source.AUTO,
                        waitlist_if_full=False,
                    )
                    PoolEntry.objects.filter(pk=entry.pk).update(
                        status=PoolEntry.Status.PLACED, signup=signup
                    )
            except ValidationError:
                continue
            placed.append(signup)
            break
    return placed


# --- Auto-assign runs: requested in the page, run by a Celery task ------------------------------

AUTO_ASSIGN_LOST = "lost: not finished within the time limit (broker down or worker killed)"


@transaction.atomic
def auto_assign_run_create(*, event: Event, requested_by: User, now: dt.datetime) -> AutoAssignRun:
    """Record a request to auto-assign the event's pool and queue it once the request commits.

    One run of an event at a time: a second request while one is queued or running is refused
    (the database's partial unique constraint decides between two organizers clicking at once).
    """
    AutoAssignRun.objects.filter(
        event=event,
        status__in=ACTIVE_AUTO_ASSIGN_STATUSES,
        requested_at__lt=now - AUTO_ASSIGN_STALE_AFTER,
    ).update(status=AutoAssignRun.Status.FAILED, finished_at=now, error=AUTO_ASSIGN_LOST)
    running = ValidationError(
        _("Auto-assign is already running for this pledge day; its result will appear here."),
        code="already_running",
    )
    if AutoAssignRun.objects.filter(event=event, status__in=ACTIVE_AUTO_ASSIGN_STATUSES).exists():
        raise running
    try:
        with transaction.atomic():
            run = AutoAssignRun.objects.create(
                event=event, requested_by=requested_by, requested_at=now
            )
    except IntegrityError as error:  # another organizer's request won
        raise running from error
    from volunteers.tasks import auto_assign_run

    run_id = run.pk
    # robust: if the broker is down the page still answers; the run then counts as lost after
    # AUTO_ASSIGN_STALE_AFTER (longer than the task's hard time limit) and can be asked again.
    transaction.on_commit(lambda: auto_assign_run.delay(run_id), robust=True)
    return run


def auto_assign_run_execute(*, run_id: int, now: dt.datetime) -> str:
    """Run a queued auto-assign once and record its result; a repeated task does nothing.

    Returns what happened: "done", "failed", or "skipped" (already claimed, or lost).
    """
    claimed = AutoAssignRun.objects.filter(pk=run_id, status=AutoAssignRun.Status.QUEUED).update(
        status=AutoAssignRun.Status.RUNNING, started_at=now
    )
    if not claimed:
        return "skipped"
    run = AutoAssignRun.objects.select_related("event").get(pk=run_id)
    try:
        placed = event_auto_assign(event=run.event, now=now)
        waiting = PoolEntry.objects.filter(event=run.event, status=PoolEntry.Status.WAITING).count()
    except Exception as error:  # any failure is recorded for the organizer, and logged
        logger.exception("auto-assign run %s failed", run_id)
        AutoAssignRun.objects.filter(pk=run_id, status=AutoAssignRun.Status.RUNNING).update(
            status=AutoAssignRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}"[:2000],
        )
        return "failed"
    AutoAssignRun.objects.filter(pk=run_id, status=AutoAssignRun.Status.RUNNING).update(
        status=AutoAssignRun.Status.DONE,
        placed_count=len(placed),
        waiting_count=waiting,
        finished_at=timezone.now(),
    )
    return "done"
