"""The staging table on the day: check-in, no-shows, check-out, buckets handed out and back."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import formats
from django.utils.translation import gettext as _

from events.models import Bucket, Shift
from events.text import local_text
from volunteers.models import (
    BucketAssignment,
    Signup,
    User,
)
from volunteers.services import signups

logger = logging.getLogger(__name__)

# --- The staging table: check-in, no-shows, check-out -------------------------------------------


def shift_is_today(shift: Shift, now: dt.datetime) -> bool:
    """Whether `now` falls on the shift's day in its pledge day's time zone (the day it starts,
    or the day it ends for a shift that runs past midnight)."""
    tz = shift.corner.event.tzinfo
    today = now.astimezone(tz).date()
    return shift.starts_at.astimezone(tz).date() <= today <= shift.ends_at.astimezone(tz).date()


@transaction.atomic
def signup_check_in(*, signup: Signup, now: dt.datetime) -> Signup:
    """Record that a confirmed volunteer is at the staging table; only on the shift's day."""
    signup = (
        Signup.objects.select_for_update(of=("self",))
        .select_related("shift__corner__event")
        .get(pk=signup.pk)
    )
    if signup.status != Signup.Status.CONFIRMED:
        raise ValidationError(
            _("Only a confirmed volunteer can be checked in."), code="not_confirmed"
        )
    if signup.checked_in_at is None and not shift_is_today(signup.shift, now):
        raise ValidationError(
            _("Volunteers check in on the day of their shift (%(day)s), not before or after.")
            % {
                "day": formats.date_format(
                    signup.shift.starts_at.astimezone(signup.shift.corner.event.tzinfo).date(),
                    "DATE_FORMAT",
                )
            },
            code="not_today",
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
    shift = signups._shift_lock(signup.shift_id)
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
    *, bucket: Bucket, shift: Shift, by: User, now: dt.datetime, confirm_second: bool = False
) -> BucketAssignment:
    """Hand a bucket to the checked-in volunteers of a shift (at least the buddy minimum).

    One bucket per pair at a time: while a bucket of this shift is out, a second one is handed
    out only when the organizer confirms it (`confirm_second`), say for a second pair."""
    shift = signups._shift_lock(shift.pk)
    bucket = Bucket.objects.select_for_update().get(pk=bucket.pk)
    if bucket.event_id != shift.corner.event_id:
        raise ValidationError(_("This bucket belongs to another pledge day."), code="other_event")
    if BucketAssignment.objects.filter(bucket=bucket, returned_at__isnull=True).exists():
        raise ValidationError(
            _("Bucket %(label)s is already out; check it back in first.")
            % {"label": local_text(bucket, "label")},
            code="bucket_out",
        )
    out = (
        BucketAssignment.objects.filter(shift=shift, returned_at__isnull=True)
        .select_related("bucket")
        .order_by("handed_out_at")
        .first()
    )
    if out is not None and not confirm_second:
        raise ValidationError(
            _(
                "Bucket %(label)s is already out with this shift. One bucket per pair: confirm"
                " to hand out a second one."
            )
            % {"label": local_text(out.bucket, "label")},
            code="second_bucket",
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
