"""Signing up for a shift, the waitlist and cancelling: capacity is decided under the shift's
row lock (`_shift_lock`), after the volunteer's user row (see the package's docstring)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from events.models import Event, Shift
from events.text import local_text
from notices import services as notices
from notices.models import Notice
from volunteers.models import (
    ACTIVE_SIGNUP_STATUSES,
    AGE_BAND_YOUNGEST,
    Profile,
    Signup,
    SignupNotice,
    User,
)
from volunteers.selectors import signup_cancel_refusal
from volunteers.services.profiles import waiver_accept, waiver_needed

logger = logging.getLogger(__name__)

OPEN_STATUSES = (Event.Status.PUBLISHED, Event.Status.LIVE)
# Shifts closer together than this count as one stretch for the consecutive-hours rule.
REST_BREAK = dt.timedelta(hours=1)


def _local(moment: dt.datetime, event: Event) -> str:
    return formats.date_format(timezone.localtime(moment, event.tzinfo), "DATETIME_FORMAT")


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
                % {
                    "corner": local_text(other.corner, "name"),
                    "when": _local(other.starts_at, event),
                },
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


@transaction.atomic
def signup_cancel(
    *, signup: Signup, now: dt.datetime, by_organizer: bool = False
) -> tuple[Signup, Signup | None]:
    """Cancel a place or a place in line; a freed place goes to the first person waiting.

    Returns the cancelled sign-up and the promoted one, if any.
    """
    shift = _shift_lock(signup.shift_id)
    signup = Signup.objects.select_for_update().get(pk=signup.pk)
    signup.shift = shift  # the locked row, with its event
    refusal = signup_cancel_refusal(signup=signup, now=now, by_organizer=by_organizer)
    if refusal is not None:
        raise refusal
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
