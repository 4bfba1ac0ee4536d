"""Creating, changing, moving, cancelling and deleting a shift (from the organizer pages and the
admin); a move or a cancellation tells everyone on the shift."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events.models import Corner, Shift
from notices import services as notices
from notices.models import Notice
from volunteers.models import (
    ACTIVE_SIGNUP_STATUSES,
    BucketAssignment,
    Signup,
)
from volunteers.services import signups

logger = logging.getLogger(__name__)

# --- Shifts: creating, changing and deleting one --------------------------------------------


def shift_changes_validate(
    *,
    shift: Shift | None,
    corner: Corner,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    min_volunteers: int,
) -> None:
    """Refuse values a shift cannot take, each with the reason.

    `shift` is None for a new shift; for an existing one, read it fresh (the services pass the
    locked row): its confirmed count and its sign-ups decide what may change.
    """
    if ends_at <= starts_at:
        raise ValidationError(_("A shift must end after it starts."), code="order")
    if capacity < 1:
        raise ValidationError(_("A shift needs room for at least one volunteer."), code="capacity")
    if not 1 <= min_volunteers <= capacity:
        raise ValidationError(
            _("The minimum must be at least 1 and no more than the capacity."), code="minimum"
        )
    if shift is not None:
        if capacity < shift.confirmed_count:
            raise ValidationError(
                ngettext(
                    "%(count)s volunteer is already confirmed: the capacity cannot be lower. "
                    "Cancel a sign-up first.",
                    "%(count)s volunteers are already confirmed: the capacity cannot be lower. "
                    "Cancel some sign-ups first.",
                    shift.confirmed_count,
                )
                % {"count": shift.confirmed_count},
                code="below_confirmed",
            )
        moved = (corner.pk, starts_at, ends_at) != (shift.corner_id, shift.starts_at, shift.ends_at)
        if moved and corner.event_id != shift.corner.event_id:
            raise ValidationError(
                _("A shift can move only to another corner of the same pledge day."),
                code="other_event",
            )
        if moved and Signup.objects.filter(shift=shift, checked_in_at__isnull=False).exists():
            raise ValidationError(
                _(
                    "Volunteers have already checked in for this shift, so its corner and times "
                    "cannot change."
                ),
                code="checked_in",
            )
        if not moved:
            return
    if corner.pk is None:
        return  # a corner being added with its shifts has none yet
    same_time = Shift.objects.filter(corner=corner, starts_at=starts_at, ends_at=ends_at)
    if shift is not None:
        same_time = same_time.exclude(pk=shift.pk)
    if same_time.exists():
        raise ValidationError(
            _("This corner already has a shift at exactly those times."), code="duplicate"
        )


@transaction.atomic
def shift_create(
    *,
    corner: Corner,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    min_volunteers: int,
) -> Shift:
    """One new shift on a corner (nobody is signed up yet, so there is no count to keep)."""
    shift_changes_validate(
        shift=None,
        corner=corner,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        min_volunteers=min_volunteers,
    )
    try:
        with transaction.atomic():
            return Shift.objects.create(
                corner=corner,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=capacity,
                min_volunteers=min_volunteers,
            )
    except IntegrityError as error:  # the same shift, created a moment ago by someone else
        raise ValidationError(
            _("This corner already has a shift at exactly those times."), code="duplicate"
        ) from error


@transaction.atomic
def shift_update(
    *,
    shift: Shift,
    capacity: int,
    min_volunteers: int,
    now: dt.datetime,
    corner: Corner | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
) -> tuple[Shift, list[Signup]]:
    """Change a shift's capacity and buddy minimum, and its corner and times until someone
    checks in. Never writes the confirmed count: under the shift's lock the capacity may not
    fall below it, and places a raise frees go to the waitlist in order, each person told.

    A move keeps everyone's place, unless it would overlap another shift of a volunteer or make
    too long a stretch (refused, naming them); each one is told what changed. (The volunteers'
    other shifts are read without their locks, which come before the shift's: a sign-up of
    theirs made at that very moment is not seen.)

    Returns the shift as saved and the sign-ups promoted from the waitlist.
    """
    locked = signups._shift_lock(shift.pk)
    if locked.cancelled_at is not None:
        raise ValidationError(_("This shift was cancelled by the organizers."), code="cancelled")
    corner = corner if corner is not None else locked.corner
    starts_at = starts_at if starts_at is not None else locked.starts_at
    ends_at = ends_at if ends_at is not None else locked.ends_at
    shift_changes_validate(
        shift=locked,
        corner=corner,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        min_volunteers=min_volunteers,
    )
    moved = (corner.pk, starts_at, ends_at) != (locked.corner_id, locked.starts_at, locked.ends_at)
    affected = list(
        Signup.objects.filter(shift=locked, status__in=ACTIVE_SIGNUP_STATUSES).select_related(
            "user", "shift__corner"
        )
    )
    was = {signup.pk: notices.shift_place(signup) for signup in affected} if moved else {}
    if moved:
        _move_check(affected, corner=corner, starts_at=starts_at, ends_at=ends_at)
    Shift.objects.filter(pk=locked.pk).update(
        corner=corner,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        min_volunteers=min_volunteers,
    )
    locked.corner, locked.starts_at, locked.ends_at = corner, starts_at, ends_at
    locked.capacity, locked.min_volunteers = capacity, min_volunteers
    for signup in affected:
        signup.shift = locked
    if moved:
        notices.shift_changed_plan(signups=affected, was=was, now=now)
    promoted = signups._promote_while_room(shift=locked, now=now)
    locked.refresh_from_db(fields=["confirmed_count"])
    return locked, promoted


def _move_check(
    affected: list[Signup], *, corner: Corner, starts_at: dt.datetime, ends_at: dt.datetime
) -> None:
    """Refuse a move that would overlap another shift of one of its volunteers, or make too
    long a stretch for them, naming who and why."""
    for signup in affected:
        moved = Shift(
            pk=signup.shift_id, corner=corner, starts_at=starts_at, ends_at=ends_at, capacity=1
        )
        try:
            signups._schedule_check(user=signup.user, shift=moved, event=corner.event)
        except ValidationError as refused:
            raise ValidationError(
                _("%(name)s cannot take the new time: %(reason)s")
                % {"name": signup.user.get_full_name(), "reason": " ".join(refused.messages)},
                code="volunteer_" + str(refused.code),
            ) from refused


@transaction.atomic
def shift_delete(*, shift: Shift) -> None:
    """Delete a shift nobody ever signed up for (sign-ups and hand-outs are history to keep)."""
    locked = signups._shift_lock(shift.pk)
    if (
        Signup.objects.filter(shift=locked).exists()
        or BucketAssignment.objects.filter(shift=locked).exists()
    ):
        raise ValidationError(
            _(
                "Volunteers have signed up for this shift, so it cannot be deleted. Lower its "
                "capacity or cancel the sign-ups instead."
            ),
            code="has_history",
        )
    locked.delete()


@transaction.atomic
def shift_cancel(*, shift: Shift, reason: str, now: dt.datetime) -> list[Signup]:
    """Cancel a shift that has not started and nobody checked in for: every place and place in
    line is cancelled, each person told (with the reason), and the shift takes no more sign-ups.
    The shift stays, with its history. Returns the sign-ups cancelled."""
    locked = signups._shift_lock(shift.pk)
    reason = " ".join(reason.split())[:200]
    if locked.cancelled_at is not None:
        raise ValidationError(_("This shift is already cancelled."), code="cancelled")
    if now >= locked.starts_at:
        raise ValidationError(
            _("This shift has started: check volunteers out instead."), code="started"
        )
    if Signup.objects.filter(shift=locked, checked_in_at__isnull=False).exists():
        raise ValidationError(
            _("Volunteers have already checked in for this shift; check them out instead."),
            code="checked_in",
        )
    if not reason:
        raise ValidationError(
            _("Say why: the volunteers are told the reason."), code="reason_missing"
        )
    affected = list(
        Signup.objects.select_for_update()
        .filter(shift=locked, status__in=ACTIVE_SIGNUP_STATUSES)
        .select_related("shift__corner")
    )
    Signup.objects.filter(pk__in=[s.pk for s in affected]).update(
        status=Signup.Status.CANCELLED, cancelled_at=now
    )
    confirmed = sum(1 for signup in affected if signup.status == Signup.Status.CONFIRMED)
    Shift.objects.filter(pk=locked.pk).update(  # the database checks it comes to nobody
        confirmed_count=F("confirmed_count") - confirmed, cancelled_at=now, cancelled_reason=reason
    )
    notices.signups_notice_plan(
        signups=affected,
        kind=Notice.Kind.CANCELLED,
        detail={"shift_cancelled": True, "reason": reason},
        now=now,
    )
    return affected
