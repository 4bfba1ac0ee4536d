"""Notices: planned into the outbox (notices.models.Notice), then claimed, sent and marked.

- `reminders_plan` (the beat's scan, every minute) writes a reminder row for each confirmed
  sign-up whose reminder moment (the shift's start less each of the event's `reminder_hours`)
  has come while the shift has not started — but only if the volunteer was confirmed before that
  moment: signing up after it sends no stale reminder. Rows are inserted with ON CONFLICT DO
  NOTHING on (person, kind, key, channel), so two beats, or the same scan run twice, plan once.
- `notice_send` claims one row with a single UPDATE (pending, or a claim whose lease expired: a
  killed worker), checks it is still wanted (the sign-up still confirmed, the shift at the same
  time and not started), sends it outside any lock, and marks it sent; a transient error (the
  mail server down) puts it back for a later attempt, a permanent refusal or the last attempt
  marks it failed. Delivery is at least once at the mail server's edge: a worker killed after
  the server accepted a message but before the row says "sent" sends it again once its lease
  expires — the one case the outbox cannot close.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Value

from events.models import Event
from notices import emails
from notices.models import Notice
from volunteers.models import Signup

logger = logging.getLogger(__name__)
N = Notice.Status

MAX_ATTEMPTS = 6
DUE_BATCH = 2000  # rows queued by one scan; the next scan takes the rest
REMINDER_HOURS_MAX = 168  # events.models.reminder_hours_validate


def reminder_key(signup: Signup, hours: int) -> str:
    starts = signup.shift.starts_at.astimezone(dt.UTC)
    return f"signup-{signup.pk}-at-{starts:%Y%m%d%H%M}-before-{hours}h"


def reminders_plan(*, now: dt.datetime) -> int:
    """Write the reminder rows whose moment has come (see the module's docstring); returns how
    many it offered (rows already there stay as they are). Reads the confirmed sign-ups of
    shifts starting within the longest reminder allowed (a week)."""
    horizon = dt.timedelta(hours=REMINDER_HOURS_MAX)
    signups = (
        Signup.objects.filter(
            status=Signup.Status.CONFIRMED,
            shift__starts_at__gt=now,
            shift__starts_at__lte=now + horizon,
            shift__corner__event__status__in=(Event.Status.PUBLISHED, Event.Status.LIVE),
        )
        .select_related("shift__corner__event")
        .only(
            "pk",
            "user_id",
            "confirmed_at",
            "created_at",
            "shift__starts_at",
            "shift__corner__event__reminder_hours",
            "shift__corner__event__id",
        )
    )
    rows = []
    for signup in signups.iterator(chunk_size=2000):
        event = signup.shift.corner.event
        confirmed = signup.confirmed_at or signup.created_at
        for hours in _hours(event.reminder_hours):
            moment = signup.shift.starts_at - dt.timedelta(hours=hours)
            if moment > now or confirmed > moment:
                continue  # not yet; or confirmed after the moment (no stale reminder)
            rows.append(
                Notice(
                    user_id=signup.user_id,
                    event_id=event.pk,
                    kind=Notice.Kind.REMINDER,
                    key=reminder_key(signup, hours),
                    channel=Notice.Channel.EMAIL,
                    signup=signup,
                    due_at=moment,
                    created_at=now,
                )
            )
    Notice.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


# Sign-ups made up to this long ago still get their confirmation (the beat was down, say).
CONFIRMATION_WINDOW = dt.timedelta(days=1)


def confirmations_plan(*, now: dt.datetime) -> int:
    """A confirmation (with the shift as an .ics) for each sign-up confirmed in the last day,
    and a note for each one that joined a waitlist, unless it has one already. A volunteer
    promoted from the waitlist is told by the promotion email instead."""
    since = now - CONFIRMATION_WINDOW
    told = Notice.objects.filter(signup=OuterRef("pk"), kind=OuterRef("notice_kind"))
    fresh = Signup.objects.filter(shift__starts_at__gt=now, created_at__gte=since).select_related(
        "shift__corner"
    )
    confirmed = (
        fresh.filter(status=Signup.Status.CONFIRMED, confirmed_at__lte=now)
        .exclude(source=Signup.Source.PROMOTED)
        .annotate(notice_kind=Value(Notice.Kind.CONFIRMED))
        .filter(~Exists(told))
    )
    waitlisted = (
        fresh.filter(status=Signup.Status.WAITLISTED, created_at__lte=now)
        .annotate(notice_kind=Value(Notice.Kind.WAITLISTED))
        .filter(~Exists(told))
    )
    rows = [
        Notice(
            user_id=signup.user_id,
            event_id=signup.shift.corner.event_id,
            kind=kind,
            key=f"signup-{signup.pk}",
            channel=Notice.Channel.EMAIL,
            signup=signup,
            due_at=signup.confirmed_at or signup.created_at,
            created_at=now,
        )
        for kind, signups in (
            (Notice.Kind.CONFIRMED, confirmed),
            (Notice.Kind.WAITLISTED, waitlisted),
        )
        for signup in signups
    ]
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# A day closed up to this long ago still thanks its volunteers (the beat was down, say).
THANKS_WINDOW = dt.timedelta(days=3)


def thanks_plan(*, now: dt.datetime) -> int:
    """A thank-you to each volunteer who checked in on a day that has closed (once the money is
    counted, so the totals in it are the day's), once per person and day."""
    rows = []
    closed = Event.objects.filter(
        status=Event.Status.CLOSED, closed_at__gte=now - THANKS_WINDOW, closed_at__lte=now
    )
    for event in closed:
        told = Notice.objects.filter(event=event, kind=Notice.Kind.THANKS).values("user_id")
        served = (
            Signup.objects.filter(shift__corner__event=event, checked_in_at__isnull=False)
            .exclude(user_id__in=told)
            .order_by("user_id", "checked_in_at")
        )
        seen: set[int] = set()
        for signup in served:
            if signup.user_id in seen:
                continue
            seen.add(signup.user_id)
            rows.append(
                Notice(
                    user_id=signup.user_id,
                    event=event,
                    kind=Notice.Kind.THANKS,
                    key=f"event-{event.pk}",
                    channel=Notice.Channel.EMAIL,
                    signup=signup,
                    due_at=event.closed_at or now,
                    created_at=now,
                )
            )
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _hours(value: object) -> list[int]:
    if not isinstance(value, list):
        return []
    return [h for h in value if isinstance(h, int) and not isinstance(h, bool) and h > 0]


def notices_due(*, now: dt.datetime, limit: int = DUE_BATCH) -> list[int]:
    """Rows to send now: pending and due, or claimed by a worker whose lease ran out."""
    due = Notice.objects.filter(
        Q(status=N.PENDING) | Q(status=N.SENDING, claimed_until__lt=now), due_at__lte=now
    )
    return list(due.order_by("due_at", "pk").values_list("pk", flat=True)[:limit])


def _claim(notice_id: int, *, now: dt.datetime) -> bool:
    lease = dt.timedelta(seconds=settings.NOTICE_LEASE_SECONDS)  # see the settings
    return bool(
        Notice.objects.filter(
            Q(status=N.PENDING) | Q(status=N.SENDING, claimed_until__lt=now),
            pk=notice_id,
            due_at__lte=now,
        ).update(status=N.SENDING, claimed_until=now + lease, attempts=F("attempts") + 1)
    )


def _still_wanted(notice: Notice, *, now: dt.datetime) -> str:
    """Why the notice is no longer wanted, or ""."""
    signup = notice.signup
    wanted = {Notice.Kind.CONFIRMED: Signup.Status.CONFIRMED,
              Notice.Kind.WAITLISTED: Signup.Status.WAITLISTED}  # fmt: skip
    if notice.kind in wanted:
        if signup is None or signup.status != wanted[notice.kind]:
            return "the sign-up changed since"
        if signup.shift.starts_at <= now:
            return "the shift has started"
    if notice.kind == Notice.Kind.REMINDER:
        if signup is None or signup.status != Signup.Status.CONFIRMED:
            return "the sign-up is no longer confirmed"
        if signup.shift.starts_at <= now:
            return "the shift has started"
        hours = int(notice.key.rsplit("-before-", 1)[1].rstrip("h"))
        if reminder_key(signup, hours) != notice.key:
            return "the shift moved to another time"
    return ""


def _finish(notice_id: int, **fields: object) -> None:
    Notice.objects.filter(pk=notice_id, status=N.SENDING).update(claimed_until=None, **fields)


def notice_send(*, notice_id: int, now: dt.datetime) -> str:
    """Send one notice once (see the module's docstring); returns what happened."""
    if not _claim(notice_id, now=now):
        return "not due"
    notice = Notice.objects.select_related("user", "event", "signup__shift__corner__event").get(
        pk=notice_id
    )
    reason = _still_wanted(notice, now=now)
    if reason:
        _finish(notice_id, status=N.SKIPPED, error=reason)
        return "skipped"
    try:
        address, language = emails.notice_email_send(notice=notice, now=now)
    except smtplib.SMTPRecipientsRefused as refused:  # the address itself: never retried
        _finish(notice_id, status=N.FAILED, error=str(refused)[:300])
        return "failed"
    except OSError as error:  # the mail server is down or slow: a later attempt
        final = notice.attempts >= MAX_ATTEMPTS
        _finish(notice_id, status=N.FAILED if final else N.PENDING, error=str(error)[:300])
        if final:
            logger.error("notice %s not sent after %s attempts: %s", notice_id, MAX_ATTEMPTS, error)
        return "failed" if final else "retry"
    with transaction.atomic():
        _finish(notice_id, status=N.SENT, sent_at=now, address=address, language=language, error="")
    return "sent"
