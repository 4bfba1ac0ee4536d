"""Every write of the volunteer side: profiles, waivers, sign-ups, shifts (capacity and buddy
minimum, from the organizer pages and the admin), the pool and auto-assign runs, check-in, buckets.

Locking order, everywhere: the volunteer's user row, then the shift row. Capacity is decided
under the shift's row lock, and the database refuses a confirmed_count above capacity anyway.
Both locks are FOR NO KEY UPDATE: they serialize the writers that matter without blocking (or
deadlocking with) inserts of rows that merely point at the user or the shift.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events.models import Bucket, Corner, Event, Shift
from notices import services as notices
from notices.models import Notice
from volunteers.models import (
    ACTIVE_AUTO_ASSIGN_STATUSES,
    ACTIVE_SIGNUP_STATUSES,
    AGE_BAND_YOUNGEST,
    AUTO_ASSIGN_STALE_AFTER,
    AutoAssignRun,
    BucketAssignment,
    PoolEntry,
    Profile,
    Signup,
    SignupNotice,
    User,
    WaiverAcceptance,
    calendar_token_new,
)

logger = logging.getLogger(__name__)

OPEN_STATUSES = (Event.Status.PUBLISHED, Event.Status.LIVE)
# Shifts closer together than this count as one stretch for the consecutive-hours rule.
REST_BREAK = dt.timedelta(hours=1)

PROFILE_FIELDS = {
    "phone",
    "emergency_contact_name",
    "emergency_contact_phone",
    "languages_spoken",
    "age_band",
    "guardian_name",
    "guardian_contact",
    "guardian_consent_on",
    "preferred_city",
    "leaderboard_opt_out",
}


def _local(moment: dt.datetime, event: Event) -> str:
    return formats.date_format(timezone.localtime(moment, event.tzinfo), "DATETIME_FORMAT")


def _coordinator(event: Event) -> str:
    if event.volunteer_coordinator_phone:
        name = event.volunteer_coordinator_name or _("the volunteer coordinator")
        return _("Please call %(name)s at %(phone)s instead.") % {
            "name": name,
            "phone": event.volunteer_coordinator_phone,
        }
    return _("Please call the organizers of this pledge day instead.")


# --- Profile and waiver -----------------------------------------------------------------------


@transaction.atomic
def profile_save(
    *, user: User, name: str | None = None, preferred_language: str | None = None, **fields: Any
) -> Profile:
    """Create or update a volunteer's profile, with their name and preferred language."""
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    if fields.get("guardian_consent_on") and not (
        fields.get("guardian_name") and fields.get("guardian_contact")
    ):
        raise ValidationError(
            _("Give the guardian's name and contact together with the consent date."),
            code="guardian_incomplete",
        )
    profile, _created = Profile.objects.update_or_create(user=user, defaults=fields)
    if name is not None:
        user.name = name
    if preferred_language:
        user.preferred_language = preferred_language
    user.save(update_fields=["name", "preferred_language"])
    return profile


@transaction.atomic
def profile_calendar_token_reset(*, user: User) -> Profile:
    """Give the volunteer a new private calendar feed address; the old one stops working.

    The feed tells where and when a volunteer (possibly a minor) stands: whoever may have the
    old address loses it at once.
    """
    profile = Profile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        raise ValidationError(
            _("Please complete your volunteer profile first."), code="profile_missing"
        )
    profile.calendar_token = calendar_token_new()
    profile.save(update_fields=["calendar_token", "updated_at"])
    return profile


def waiver_needed(*, user: User, event: Event) -> bool:
    """Whether the volunteer must still accept this event's current waiver."""
    return (
        bool(event.waiver_text)
        and not WaiverAcceptance.objects.filter(
            user=user, event=event, version=event.waiver_version
        ).exists()
    )


def waiver_accept(*, user: User, event: Event, now: dt.datetime) -> WaiverAcceptance:
    acceptance, _created = WaiverAcceptance.objects.get_or_create(
        user=user, event=event, version=event.waiver_version, defaults={"accepted_at": now}
    )
    return acceptance


def _eligibility_check(*, user: User, event: Event, accept_waiver: bool, now: dt.datetime) -> None:
    """Profile, age, guardian consent and waiver: refused with the reason, in order."""
    if event.status not in OPEN_STATUSES:
        raise ValidationError(_("This pledge day is not open for sign-ups."), code="not_open")
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        raise ValidationError(
            _("Please complete your volunteer profile before signing up."), code="profile_missing"
        )
    if AGE_BAND_YOUNGEST[profile.age_band] < event.minimum_volunteer_age:
        raise ValidationError(
            _("Volunteers on the corners of this pledge day must be at least %(age)s years old.")
            % {"age": event.minimum_volunteer_age},
            code="too_young",
        )
    if profile.is_minor and not profile.has_guardian_consent:
        raise ValidationError(
            _("Volunteers under 18 need a parent's or guardian's consent in their profile first."),
            code="guardian_consent",
        )
    if waiver_needed(user=user, event=event):
        if not accept_waiver:
            raise ValidationError(
                _("Please read and accept the volunteer waiver of this pledge day."), code="waiver"
            )
        waiver_accept(user=user, event=event, now=now)


# --- Sign-up and cancellation -----------------------------------------------------------------


def _shift_lock(shift_id: int) -> Shift:
    """The shift row, locked until the transaction ends (the concurrency tests replace this)."""
    return (
        Shift.objects.select_for_update(no_key=True, of=("self",))
        .select_related("corner__event")
        .get(pk=shift_id)
    )


def _window_check(*, shift: Shift, event: Event, now: dt.datetime) -> None:
    if now >= shift.starts_at:
        raise ValidationError(_("This shift has already started."), code="started")
    if event.signup_opens_at and now < event.signup_opens_at:
        raise ValidationError(
            _("Sign-up opens on %(when)s.") % {"when": _local(event.signup_opens_at, event)},
            code="not_yet_open",
        )
    if event.signup_closes_at and now >= event.signup_closes_at:
        raise ValidationError(_("Sign-up for this pledge day has closed."), code="closed")


def _active_signups(user: User) -> Iterable[Signup]:
    return Signup.objects.filter(user=user, status__in=ACTIVE_SIGNUP_STATUSES).select_related(
        "shift__corner"
    )


def _schedule_check(*, user: User, shift: Shift, event: Event) -> None:
    """No overlapping shifts, and no stretch longer than the event allows."""
    others = [s.shift for s in _active_signups(user) if s.shift_id != shift.pk]
    for other in others:
        if other.starts_at < shift.ends_at and shift.starts_at < other.ends_at:
            raise ValidationError(
                _("This shift overlaps your shift at %(corner)s (%(when)s).")
                % {"corner": other.corner.name, "when": _local(other.starts_at, event)},
                code="overlap",
            )
    start, end = shift.starts_at, shift.ends_at
    grown = True
    while grown:  # grow the stretch while another shift touches it (with less than a break)
        grown = False
        for other in others:
            near = other.ends_at > start - REST_BREAK and other.starts_at < end + REST_BREAK
            if near and (other.starts_at < start or other.ends_at > end):
                start, end = min(start, other.starts_at), max(end, other.ends_at)
                grown = True
    limit = dt.timedelta(hours=event.max_consecutive_hours)
    if end - start > limit:
        raise ValidationError(
            _(
                "That would make %(hours)s hours in a row; this pledge day allows at most "
                "%(limit)s. Leave a break of at least an hour between shifts."
            )
            % {
                "hours": f"{(end - start).total_seconds() / 3600:g}",
                "limit": event.max_consecutive_hours,
            },
            code="too_long",
        )


@transaction.atomic
def signup_create(
    *,
    user: User,
    shift: Shift,
    now: dt.datetime,
    accept_waiver: bool = False,
    source: str = Signup.Source.SELF,
    waitlist_if_full: bool = True,
) -> Signup:
    """Give the volunteer a place on the shift, or a place on its waitlist when it is full."""
    User.objects.select_for_update(no_key=True).filter(
        pk=user.pk
    ).first()  # one sign-up at a time per person
    shift = _shift_lock(shift.pk)
    event = shift.corner.event
    if shift.cancelled_at is not None:
        raise ValidationError(_("This shift was cancelled by the organizers."), code="cancelled")
    _window_check(shift=shift, event=event, now=now)
    _eligibility_check(user=user, event=event, accept_waiver=accept_waiver, now=now)
    if Signup.objects.filter(user=user, shift=shift, status__in=ACTIVE_SIGNUP_STATUSES).exists():
        raise ValidationError(_("You are already signed up for this shift."), code="already")
    _schedule_check(user=user, shift=shift, event=event)
    if shift.confirmed_count < shift.capacity:
        Shift.objects.filter(pk=shift.pk).update(confirmed_count=F("confirmed_count") + 1)
        status, confirmed_at = Signup.Status.CONFIRMED, now
    elif waitlist_if_full:
        status, confirmed_at = Signup.Status.WAITLISTED, None
    else:
        raise ValidationError(_("This shift is full."), code="full")
    return Signup.objects.create(
        user=user,
        shift=shift,
        status=status,
        source=source,
        created_at=now,
        confirmed_at=confirmed_at,
    )


def _promote_next(*, shift: Shift, now: dt.datetime) -> Signup | None:
    """Move the first person in line to the freed place (the caller holds the shift lock)."""
    if now >= shift.starts_at:
        return None
    waiting = (
        Signup.objects.select_for_update()
        .filter(shift=shift, status=Signup.Status.WAITLISTED)
        .order_by("created_at", "id")
        .first()
    )
    if waiting is None:
        return None
    Shift.objects.filter(pk=shift.pk).update(confirmed_count=F("confirmed_count") + 1)
    waiting.status, waiting.confirmed_at = Signup.Status.CONFIRMED, now
    waiting.source = Signup.Source.PROMOTED
    waiting.save(update_fields=["status", "confirmed_at", "source"])
    notices.signup_notice_plan(signup=waiting, kind=Notice.Kind.PROMOTED, now=now)
    return waiting


def _promote_while_room(*, shift: Shift, now: dt.datetime) -> list[Signup]:
    """Fill free places from the waitlist, first in line first (the caller holds the lock)."""
    promoted: list[Signup] = []
    while shift.confirmed_count < shift.capacity:
        signup = _promote_next(shift=shift, now=now)
        if signup is None:
            break
        promoted.append(signup)
        shift.confirmed_count += 1
    return promoted


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
    locked = _shift_lock(shift.pk)
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
    promoted = _promote_while_room(shift=locked, now=now)
    locked.refresh_from_db(fields=["confirmed_count"])
    return locked, promoted


def _move_check(
    signups: list[Signup], *, corner: Corner, starts_at: dt.datetime, ends_at: dt.datetime
) -> None:
    """Refuse a move that would overlap another shift of one of its volunteers, or make too
    long a stretch for them, naming who and why."""
    for signup in signups:
        moved = Shift(
            pk=signup.shift_id, corner=corner, starts_at=starts_at, ends_at=ends_at, capacity=1
        )
        try:
            _schedule_check(user=signup.user, shift=moved, event=corner.event)
        except ValidationError as refused:
            raise ValidationError(
                _("%(name)s cannot take the new time: %(reason)s")
                % {"name": signup.user.get_full_name(), "reason": " ".join(refused.messages)},
                code="volunteer_" + str(refused.code),
            ) from refused


@transaction.atomic
def shift_delete(*, shift: Shift) -> None:
    """Delete a shift nobody ever signed up for (sign-ups and hand-outs are history to keep)."""
    locked = _shift_lock(shift.pk)
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
    locked = _shift_lock(shift.pk)
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


@transaction.atomic
def signup_cancel(
    *, signup: Signup, now: dt.datetime, by_organizer: bool = False
) -> tuple[Signup, Signup | None]:
    """Cancel a place or a place in line; a freed place goes to the first person waiting.

    Returns the cancelled sign-up and the promoted one, if any.
    """
    shift = _shift_lock(signup.shift_id)
    signup = Signup.objects.select_for_update().get(pk=signup.pk)
    event = shift.corner.event
    if signup.status not in ACTIVE_SIGNUP_STATUSES:
        raise ValidationError(_("This sign-up is not active."), code="not_active")
    if signup.checked_in_at is not None:
        raise ValidationError(
            _("This volunteer has already checked in; check them out instead."), code="checked_in"
        )
    cutoff = shift.starts_at - dt.timedelta(hours=event.cancellation_cutoff_hours)
    if not by_organizer and now >= cutoff:
        raise ValidationError(
            _("It is too late to cancel online (less than %(hours)s hours before the shift).")
            % {"hours": event.cancellation_cutoff_hours}
            + " "
            + _coordinator(event),
            code="too_late",
        )
    was_confirmed = signup.status == Signup.Status.CONFIRMED
    signup.status, signup.cancelled_at = Signup.Status.CANCELLED, now
    signup.save(update_fields=["status", "cancelled_at"])
    promoted = None
    if was_confirmed:
        Shift.objects.filter(pk=shift.pk).update(confirmed_count=F("confirmed_count") - 1)
        promoted = _promote_next(shift=shift, now=now)
    if by_organizer:
        notices.signup_notice_plan(signup=signup, kind=Notice.Kind.CANCELLED, now=now)
    return signup, promoted


def signup_promoted_notify(*, signup_id: int, now: dt.datetime) -> bool:
    """A promotion queued by an earlier release (before promotions were notices): its notice,
    unless the old way sent it already. Returns whether one was planned."""
    signup = (
        Signup.objects.select_related("shift__corner")
        .filter(pk=signup_id, status=Signup.Status.CONFIRMED)
        .first()
    )
    if signup is None or SignupNotice.objects.filter(signup=signup).exists():
        return False
    if Notice.objects.filter(signup=signup, kind=Notice.Kind.PROMOTED).exists():
        return False
    with transaction.atomic():
        return bool(notices.signup_notice_plan(signup=signup, kind=Notice.Kind.PROMOTED, now=now))


def waitlist_position(signup: Signup) -> int | None:
    """1 for the first person in line; None if the sign-up is not waitlisted."""
    if signup.status != Signup.Status.WAITLISTED:
        return None
    ahead = Signup.objects.filter(shift_id=signup.shift_id, status=Signup.Status.WAITLISTED).filter(
        Q(created_at__lt=signup.created_at) | Q(created_at=signup.created_at, id__lt=signup.pk)
    )
    return ahead.count() + 1


# --- The staging table: check-in, no-shows, check-out -------------------------------------------


@transaction.atomic
def signup_check_in(*, signup: Signup, now: dt.datetime) -> Signup:
    signup = Signup.objects.select_for_update().get(pk=signup.pk)
    if signup.status != Signup.Status.CONFIRMED:
        raise ValidationError(
            _("Only a confirmed volunteer can be checked in."), code="not_confirmed"
        )
    if signup.checked_in_at is None:
        signup.checked_in_at = now
        signup.save(update_fields=["checked_in_at"])
    return signup


@transaction.atomic
def signup_check_out(*, signup: Signup, now: dt.datetime) -> Signup:
    signup = Signup.objects.select_for_update().get(pk=signup.pk)
    if signup.checked_in_at is None:
        raise ValidationError(_("This volunteer was never checked in."), code="not_checked_in")
    if signup.checked_out_at is None:
        signup.checked_out_at = now
        signup.save(update_fields=["checked_out_at"])
    return signup


@transaction.atomic
def signup_mark_no_show(*, signup: Signup, now: dt.datetime) -> Signup:
    """After the start, a confirmed volunteer who never checked in is a no-show."""
    shift = _shift_lock(signup.shift_id)
    signup = Signup.objects.select_for_update().get(pk=signup.pk)
    if now < shift.starts_at:
        raise ValidationError(
            _("A volunteer can be marked as a no-show only after the shift starts."),
            code="not_started",
        )
    if signup.status != Signup.Status.CONFIRMED or signup.checked_in_at is not None:
        raise ValidationError(
            _("Only a confirmed volunteer who has not checked in can be a no-show."),
            code="not_absent",
        )
    signup.status = Signup.Status.NO_SHOW
    signup.save(update_fields=["status"])
    Shift.objects.filter(pk=shift.pk).update(confirmed_count=F("confirmed_count") - 1)
    return signup


# --- Buckets ----------------------------------------------------------------------------------


@transaction.atomic
def bucket_hand_out(
    *, bucket: Bucket, shift: Shift, by: User, now: dt.datetime
) -> BucketAssignment:
    """Hand a bucket to the checked-in volunteers of a shift (at least the buddy minimum)."""
    shift = _shift_lock(shift.pk)
    bucket = Bucket.objects.select_for_update().get(pk=bucket.pk)
    if bucket.event_id != shift.corner.event_id:
        raise ValidationError(_("This bucket belongs to another pledge day."), code="other_event")
    if BucketAssignment.objects.filter(bucket=bucket, returned_at__isnull=True).exists():
        raise ValidationError(
            _("Bucket %(label)s is already out; check it back in first.") % {"label": bucket.label},
            code="bucket_out",
        )
    holders = [
        s.user
        for s in Signup.objects.filter(
            shift=shift,
            status=Signup.Status.CONFIRMED,
            checked_in_at__isnull=False,
            checked_out_at__isnull=True,
        ).select_related("user")
    ]
    if len(holders) < shift.min_volunteers:
        raise ValidationError(
            _("Check in at least %(count)s volunteers of this shift first (the buddy rule).")
            % {"count": shift.min_volunteers},
            code="buddy_rule",
        )
    assignment = BucketAssignment.objects.create(
        bucket=bucket, shift=shift, handed_out_at=now, handed_out_by=by
    )
    assignment.holders.set(holders)
    return assignment


@transaction.atomic
def bucket_return(*, assignment: BucketAssignment, by: User, now: dt.datetime) -> BucketAssignment:
    """Check a bucket back in. The cash count (donations) attaches to this assignment."""
    assignment = BucketAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.returned_at is None:
        assignment.returned_at, assignment.returned_by = now, by
        assignment.save(update_fields=["returned_at", "returned_by"])
    return assignment


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
    _eligibility_check(user=user, event=event, accept_waiver=accept_waiver, now=now)
    if now >= event.ends_at or (event.signup_closes_at and now >= event.signup_closes_at):
        raise ValidationError(_("Sign-up for this pledge day has closed."), code="closed")
    if event.signup_opens_at and now < event.signup_opens_at:
        raise ValidationError(
            _("Sign-up opens on %(when)s.") % {"when": _local(event.signup_opens_at, event)},
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
