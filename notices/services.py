"""Notices: planned into the outbox (notices.models.Notice), then claimed, sent and marked.

- Planning. The beat's minute scan (notices.tasks) plans what time brings: reminders at the
  event's hours before each confirmed shift (only the latest moment that has come; none for a
  volunteer confirmed after it), confirmations, waitlist notes, thank-yous, invitations, and the
  organizers' notices (notices.organizers). What a change brings (a promotion, a shift moved or
  cancelled, a place cancelled, an organizer's message) is planned in that change's transaction
  and queued on commit (`plan_and_queue`). Rows go in with ON CONFLICT DO NOTHING on (person,
  kind, key, channel): two beats, or a scan run twice, plan once. A text twin is planned for
  those who agreed to texts.
- Sending. `notice_send` claims one row with a single UPDATE (pending, or a claim whose lease
  expired: a killed worker), checks it is still wanted (`_still_wanted`), sends it outside any
  lock, and records the outcome under its own claim only. A refused address or number fails it
  at once; any other failure backs it off (1, 2, 4, 8, 16 minutes), then fails it. Delivery is
  at least once at the provider's edge: a worker killed after the provider accepted a message
  but before the row says "sent" sends it again once its lease expires — the one case an outbox
  cannot close.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce

from config.mail import is_permanent_refusal
from events.models import Event
from notices import emails, organizers, preferences, texts
from notices.models import Notice, Subscription
from volunteers.models import Signup, User

logger = logging.getLogger(__name__)
N = Notice.Status

MAX_ATTEMPTS = 6
RETRY_AFTER = dt.timedelta(minutes=1)
DUE_BATCH = 2000  # rows queued by one scan; the next scan takes the rest
REMINDER_HOURS_MAX = 168  # events.models.reminder_hours_validate


# What goes by text too, to those who agreed: what a volunteer needs about a shift they hold.
TEXT_KINDS = frozenset(
    (
        Notice.Kind.REMINDER,
        Notice.Kind.CONFIRMED,
        Notice.Kind.WAITLISTED,
        Notice.Kind.PROMOTED,
        Notice.Kind.CHANGED,
        Notice.Kind.CANCELLED,
    )
)


def _with_texts(rows: list[Notice], text_kinds: frozenset[str] = TEXT_KINDS) -> list[Notice]:
    """The rows, and a text twin of each one of `text_kinds` for a person who agreed to texts
    (when the site has a text provider)."""
    if not settings.TEXTS_ENABLED:
        return rows
    texted = preferences.texted_users({row.user_id for row in rows if row.kind in text_kinds})
    twins = [
        Notice(
            user_id=row.user_id,
            event_id=row.event_id,
            kind=row.kind,
            key=row.key,
            channel=Notice.Channel.SMS,
            signup_id=row.signup_id,
            shift_id=row.shift_id,
            broadcast_id=row.broadcast_id,
            detail=row.detail,
            due_at=row.due_at,
            created_at=row.created_at,
        )
        for row in rows
        if row.kind in text_kinds and row.user_id in texted
    ]
    return rows + twins


def _plan(rows: list[Notice], text_kinds: frozenset[str] = TEXT_KINDS) -> int:
    """Insert the rows (and their text twins); a row already there stays as it is."""
    rows = _with_texts(rows, text_kinds)
    Notice.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def plan_and_queue(rows: list[Notice], *, text_kinds: frozenset[str] = TEXT_KINDS) -> list[int]:
    """Plan rows due now and queue their sends when the caller's transaction commits (the next
    minute's scan sends them if the broker cannot take them then). Returns the ids queued."""
    _plan(rows, text_kinds)
    keys = {(row.kind, row.key) for row in rows}
    ids = list(
        Notice.objects.filter(
            key__in={key for _kind, key in keys},
            kind__in={kind for kind, _key in keys},
            user_id__in={row.user_id for row in rows},
            status=N.PENDING,
        ).values_list("pk", flat=True)
    )
    for notice_id in ids:
        transaction.on_commit(functools.partial(_queue_send, notice_id), robust=True)
    return ids


def _queue_send(notice_id: int) -> None:
    from notices.tasks import notice_send

    notice_send.delay(notice_id)


def signup_notice_plan(
    *, signup: Signup, kind: str, now: dt.datetime, key: str = "", detail: dict | None = None
) -> list[int]:
    """A notice about one sign-up, due now, by email (and text), queued on commit."""
    return signups_notice_plan(signups=[signup], kind=kind, now=now, key=key, detail=detail)


def signups_notice_plan(
    *,
    signups: list[Signup],
    kind: str,
    now: dt.datetime,
    key: str = "",
    detail: dict | None = None,
    details: dict[int, dict] | None = None,
) -> list[int]:
    """The same notice about each of these sign-ups (one insert for them all), due now, queued
    on commit; `details` gives a sign-up's own detail, by its id."""
    rows = [
        Notice(
            user_id=signup.user_id,
            event_id=signup.shift.corner.event_id,
            kind=kind,
            key=key.format(signup=signup.pk) if key else f"signup-{signup.pk}",
            channel=Notice.Channel.EMAIL,
            signup=signup,
            detail=(details or {}).get(signup.pk, detail or {}),
            due_at=now,
            created_at=now,
        )
        for signup in signups
    ]
    return plan_and_queue(rows) if rows else []


def _same_place(first: dict, second: dict) -> bool:
    """Whether two records of a shift's place (shift_place) are the same corner and times (a
    corner renamed meanwhile is the same corner)."""
    fields = ("corner_id", "starts_at", "ends_at")
    return all(first.get(name) == second.get(name) for name in fields)


def shift_changed_plan(*, signups: list[Signup], was: dict[int, dict], now: dt.datetime) -> None:
    """Tell each of these sign-ups their shift moved (the shift as saved; `was`, by sign-up,
    where it was). Before a person heard of an earlier move, "before" is what they last heard
    (the earlier notice, still unsent, is then skipped); a shift moved back to where they know
    it is tells nothing."""
    unsent = {
        notice.signup_id: notice.detail.get("was") or {}
        for notice in Notice.objects.filter(
            signup__in=signups,
            kind=Notice.Kind.CHANGED,
            channel=Notice.Channel.EMAIL,
            status__in=(N.PENDING, N.SENDING),
        ).order_by("-created_at", "-pk")  # the oldest last: it wins in the dict
    }
    details = {}
    for signup in signups:
        before = unsent.get(signup.pk) or was[signup.pk]
        after = shift_place(signup)
        if not _same_place(before, after):
            details[signup.pk] = {"was": before, "now": after}
    signups_notice_plan(
        signups=[signup for signup in signups if signup.pk in details],
        kind=Notice.Kind.CHANGED,
        key="signup-{signup}-changed-" + f"{now.astimezone(dt.UTC):%Y%m%d%H%M%S%f}",
        details=details,
        now=now,
    )


def reminder_key(signup: Signup, hours: int) -> str:
    starts = signup.shift.starts_at.astimezone(dt.UTC)
    return f"signup-{signup.pk}-at-{starts:%Y%m%d%H%M}-before-{hours}h"


def reminders_plan(*, now: dt.datetime) -> int:
    """Write the reminder rows whose moment has come (see the module's docstring); returns how
    many it wrote.

    Only the latest moment that has come counts (after a beat that was down, the 2-hour
    reminder goes, not the 24-hour one as well): for an event's hours h1 < h2 < ..., the
    h-reminder is for shifts starting in (now + the next smaller hours, now + h]. The database
    leaves out the sign-ups that have that reminder already or were confirmed after its moment,
    so a minute's scan reads only what it has to write, however many sign-ups are ahead."""
    events = Event.objects.filter(
        status__in=(Event.Status.PUBLISHED, Event.Status.LIVE),
        ends_at__gt=now,
        starts_at__lte=now + dt.timedelta(hours=REMINDER_HOURS_MAX),
    ).only("pk", "reminder_hours")
    rows = []
    for event in events:
        lower = dt.timedelta(0)
        for hours in sorted(set(_hours(event.reminder_hours))):
            ahead = dt.timedelta(hours=hours)
            moment = ExpressionWrapper(F("shift__starts_at") - ahead, output_field=DateTimeField())
            planned = Notice.objects.exclude(status=N.SKIPPED).filter(
                signup=OuterRef("pk"),
                kind=Notice.Kind.REMINDER,
                due_at=ExpressionWrapper(
                    OuterRef("shift__starts_at") - ahead, output_field=DateTimeField()
                ),
            )
            signups = (
                Signup.objects.filter(
                    status=Signup.Status.CONFIRMED,
                    shift__corner__event=event,
                    shift__starts_at__gt=now + lower,
                    shift__starts_at__lte=now + ahead,
                )
                .alias(confirmed=Coalesce("confirmed_at", "created_at"), moment=moment)
                .filter(confirmed__lte=F("moment"))  # none for a sign-up after the moment
                .filter(~Exists(planned))
                .select_related("shift")
                .only("pk", "user_id", "shift__starts_at")
                .order_by()
            )
            rows += [
                Notice(
                    user_id=signup.user_id,
                    event_id=event.pk,
                    kind=Notice.Kind.REMINDER,
                    key=reminder_key(signup, hours),
                    channel=Notice.Channel.EMAIL,
                    signup=signup,
                    due_at=signup.shift.starts_at - ahead,
                    created_at=now,
                )
                for signup in signups.iterator(chunk_size=2000)
            ]
            lower = ahead
    return _plan(rows)


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
    return _plan(rows)


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
        told = Notice.objects.filter(
            event=event, kind=Notice.Kind.THANKS, user_id=OuterRef("user_id")
        )
        served = (
            Signup.objects.filter(shift__corner__event=event, checked_in_at__isnull=False)
            .filter(~Exists(told))
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
    return _plan(rows)


def invites_plan(*, now: dt.datetime) -> int:
    """An invitation to each pledge day open for sign-ups, for the volunteers of earlier days
    who asked to hear about future ones (on their profile) and have not signed up for it yet;
    once per person and day."""
    rows = []
    open_days = Event.objects.filter(
        Q(signup_opens_at__isnull=True) | Q(signup_opens_at__lte=now),
        Q(signup_closes_at__isnull=True) | Q(signup_closes_at__gt=now),
        status__in=(Event.Status.PUBLISHED, Event.Status.LIVE),
        starts_at__gt=now,
    )
    for event in open_days:
        served_before = Signup.objects.filter(
            user=OuterRef("pk"),
            status=Signup.Status.CONFIRMED,
            shift__corner__event__starts_at__lt=event.starts_at,
        ).exclude(shift__corner__event=event)
        on_this_day = Signup.objects.filter(user=OuterRef("pk"), shift__corner__event=event)
        invited = Notice.objects.filter(user=OuterRef("pk"), kind=Notice.Kind.INVITE, event=event)
        wanting = Subscription.objects.filter(
            user=OuterRef("pk"), topic=Subscription.Topic.FUTURE_DAYS, subscribed=True
        )
        people = User.objects.filter(
            Exists(wanting), Exists(served_before), ~Exists(on_this_day), ~Exists(invited),
            is_active=True,
        ).values_list("pk", flat=True)  # fmt: skip
        rows += [
            Notice(
                user_id=user_id,
                event=event,
                kind=Notice.Kind.INVITE,
                key=f"event-{event.pk}",
                channel=Notice.Channel.EMAIL,
                due_at=now,
                created_at=now,
            )
            for user_id in people
        ]
    return _plan(rows)


def organizer_notices_plan(*, now: dt.datetime) -> int:
    """Understaffed shifts, gifts needing attention, summaries of days that ended (see
    notices.organizers)."""
    return _plan(organizers.organizer_notices_plan(now=now))


def _hours(value: object) -> list[int]:
    if not isinstance(value, list):
        return []
    return [h for h in value if isinstance(h, int) and not isinstance(h, bool) and h > 0]


# A pending row's `claimed_until` says "queued until then": the next scans leave it to the task
# already in the broker, and queue it again only if no worker took it by then (a lost message).
QUEUED_FOR = dt.timedelta(minutes=2)


def notices_due(*, now: dt.datetime, limit: int = DUE_BATCH) -> list[int]:
    """Rows to send now: pending and due (and not queued a moment ago), or claimed by a worker
    whose lease ran out."""
    waiting = Q(status=N.PENDING) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    due = Notice.objects.filter(
        waiting | Q(status=N.SENDING, claimed_until__lt=now), due_at__lte=now
    )
    return list(due.order_by("due_at", "pk").values_list("pk", flat=True)[:limit])


def notices_queued(ids: list[int], *, now: dt.datetime) -> None:
    """Mark pending rows as queued (see QUEUED_FOR)."""
    Notice.objects.filter(pk__in=ids, status=N.PENDING).update(claimed_until=now + QUEUED_FOR)


def _claim(notice_id: int, *, now: dt.datetime) -> dt.datetime | None:
    """Take the row for this worker: pending, or sending with an expired lease (a killed
    worker), and not past its attempts. Returns the lease, which names this worker's claim."""
    lease = now + dt.timedelta(seconds=settings.NOTICE_LEASE_SECONDS)  # see the settings
    claimed = Notice.objects.filter(
        Q(status=N.PENDING) | Q(status=N.SENDING, claimed_until__lt=now),
        pk=notice_id,
        due_at__lte=now,
        attempts__lt=MAX_ATTEMPTS,
    ).update(status=N.SENDING, claimed_until=lease, attempts=F("attempts") + 1)
    if claimed:
        return lease
    # A row a dead worker left at its last attempt: failed, for an organizer to see.
    Notice.objects.filter(
        pk=notice_id, status=N.SENDING, claimed_until__lt=now, attempts__gte=MAX_ATTEMPTS
    ).update(status=N.FAILED, claimed_until=None, error="no worker finished sending it")
    return None


def _still_wanted(notice: Notice, *, now: dt.datetime) -> str:
    """Why the notice is no longer wanted, or ""."""
    if notice.channel == Notice.Channel.SMS and preferences.text_consent(notice.user_id) is None:
        return "texts turned off since"
    topic = preferences.topic_of(notice)
    if topic is not None and not preferences.subscribed(notice.user_id, topic):
        return "unsubscribed"
    if notice.kind == Notice.Kind.INVITE:
        return _invite_unwanted(notice, now=now)
    if notice.kind == Notice.Kind.UNDERSTAFFED:
        return organizers.understaffed_unwanted(notice, now=now)
    if notice.kind == Notice.Kind.ATTENTION:
        if not organizers.attention_marks([notice.event_id]):
            return "nothing needs attention any more"
        return ""
    if notice.kind in (Notice.Kind.SUMMARY, Notice.Kind.MESSAGE):
        return ""
    signup = notice.signup
    if notice.kind == Notice.Kind.THANKS or signup is None:
        return ""
    if signup.shift.starts_at <= now:
        return "the shift has started"
    status = signup.status
    S = Signup.Status
    if notice.kind in (Notice.Kind.CONFIRMED, Notice.Kind.PROMOTED, Notice.Kind.REMINDER):
        if status != S.CONFIRMED:
            return "the sign-up is no longer confirmed"
    elif notice.kind == Notice.Kind.WAITLISTED and status != S.WAITLISTED:
        return "the sign-up changed since"
    elif notice.kind == Notice.Kind.CHANGED and status not in (S.CONFIRMED, S.WAITLISTED):
        return "the sign-up is no longer active"
    elif notice.kind == Notice.Kind.CANCELLED and status != S.CANCELLED:
        return "the sign-up is active again"
    if notice.kind == Notice.Kind.REMINDER:
        hours = int(notice.key.rsplit("-before-", 1)[1].rstrip("h"))
        if reminder_key(signup, hours) != notice.key:
            return "the shift moved to another time"
        later = [h for h in _hours(notice.event.reminder_hours) if h < hours]
        if any(signup.shift.starts_at - dt.timedelta(hours=h) <= now for h in later):
            return "a later reminder replaces it"
    if notice.kind == Notice.Kind.CHANGED and not _same_place(
        notice.detail.get("now") or {}, shift_place(signup)
    ):
        return "the shift changed again since"
    return ""


def _invite_unwanted(notice: Notice, *, now: dt.datetime) -> str:
    event = notice.event
    if event.status not in (Event.Status.PUBLISHED, Event.Status.LIVE) or event.starts_at <= now:
        return "the pledge day is no longer open"
    if event.signup_closes_at is not None and event.signup_closes_at <= now:
        return "sign-up has closed"
    if Signup.objects.filter(user_id=notice.user_id, shift__corner__event=event).exists():
        return "already signed up"
    return ""


def shift_place(signup: Signup) -> dict[str, object]:
    """Where and when a sign-up's shift is, as a changed-shift notice records it."""
    shift = signup.shift
    return {
        "corner_id": shift.corner_id,
        "corner": shift.corner.name,
        "corner_es": shift.corner.name_es,
        "starts_at": shift.starts_at.astimezone(dt.UTC).isoformat(),
        "ends_at": shift.ends_at.astimezone(dt.UTC).isoformat(),
    }


def _finish(notice_id: int, lease: dt.datetime, **fields: object) -> None:
    """Record the outcome, if this worker's claim still holds (a worker whose lease ran out
    must not overwrite what the worker that took the row over did)."""
    Notice.objects.filter(pk=notice_id, status=N.SENDING, claimed_until=lease).update(
        claimed_until=None, **fields
    )


def notice_send(*, notice_id: int, now: dt.datetime) -> str:
    """Send one notice once (see the module's docstring); returns what happened."""
    lease = _claim(notice_id, now=now)
    if lease is None:
        return "not due"
    # The joins every kind needs (each one more costs planning time on every send); an
    # organizer's notice loads its shift or message when it is used.
    notice = Notice.objects.select_related("user", "event", "signup__shift__corner").get(
        pk=notice_id
    )
    if notice.signup is not None:
        notice.signup.shift.corner.event = notice.event  # the same pledge day
    reason = _still_wanted(notice, now=now)
    if reason:
        # The key is set aside, so that the same notice may be planned again if it becomes
        # wanted again (a shift moved back, a filled shift short again).
        key = f"{notice.key}~{notice.pk}"[: Notice._meta.get_field("key").max_length]
        _finish(notice_id, lease, status=N.SKIPPED, error=reason, key=key)
        return "skipped"
    try:
        if notice.channel == Notice.Channel.SMS:
            address, language = texts.notice_text_send(notice=notice, now=now)
        else:
            address, language = emails.notice_email_send(notice=notice, now=now)
    except texts.TextRefused as refused:  # the number itself: never retried
        with transaction.atomic():
            _finish(notice_id, lease, status=N.FAILED, error=str(refused)[:300])
            if refused.ended:  # no more texts to that number (STOP, or not a mobile number)
                preferences.text_consent_stop(phone=refused.phone, how=refused.ended, now=now)
        return "failed"
    except Exception as error:  # recorded on the row, retried with backoff, then failed
        # An address the server refuses (config.mail) fails at once. The mail server or
        # provider down or slow (OSError, the soft time limit), or anything else (a template, a
        # setting, an answer no one expected), is backed off, then failed and logged: never
        # left claimed, to be sent again and again.
        message = f"{type(error).__name__}: {error}"[:300]
        if is_permanent_refusal(error):
            _finish(notice_id, lease, status=N.FAILED, error=message)
            return "failed"
        if notice.attempts >= MAX_ATTEMPTS:
            _finish(notice_id, lease, status=N.FAILED, error=message)
            logger.error("notice %s not sent after %s attempts: %s", notice_id, MAX_ATTEMPTS, error)
            return "failed"
        backoff = RETRY_AFTER * 2 ** (notice.attempts - 1)  # 1, 2, 4, 8, 16 minutes
        _finish(notice_id, lease, status=N.PENDING, due_at=now + backoff, error=message)
        if not isinstance(error, (OSError, SoftTimeLimitExceeded)):
            logger.exception("notice %s could not be sent (attempt %s)", notice_id, notice.attempts)
        return "retry"
    _finish(
        notice_id, lease, status=N.SENT, sent_at=now, address=address, language=language, error=""
    )
    return "sent"
