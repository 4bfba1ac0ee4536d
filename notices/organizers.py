"""Notices to the organizers of a pledge day, planned by the beat's minute scan like the others:

- a shift still short of its buddy minimum within 24 hours of its start (to the leads and
  organizers), once per shift and start time, not sent if it filled up meanwhile;
- gifts that need attention (parked payments, receipts and refunds that failed: to the leads
  and finance), when a new one appears, at most once an hour per day;
- a summary of the day once it has ended (to the leads, organizers and finance).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Max, Q

from events.models import Event, Membership, Shift
from events.permissions import FINANCE_ROLES, ORGANIZING_ROLES
from notices.models import Notice
from volunteers.models import User

UNDERSTAFFED_AHEAD = dt.timedelta(hours=24)
# Rows that hold their key (a skipped row gives its key up: notices.services.notice_send).
_TAKEN = (Notice.Status.PENDING, Notice.Status.SENDING, Notice.Status.SENT, Notice.Status.FAILED)
ATTENTION_AT_MOST_EVERY = dt.timedelta(hours=1)
SUMMARY_WINDOW = dt.timedelta(days=1)  # a day that ended up to this long ago still gets one
SUMMARY_ROLES = (*ORGANIZING_ROLES, Membership.Role.FINANCE)


def event_people(event: Event, roles: tuple[str, ...]) -> list[int]:
    """The users holding one of these roles on the event or on its fiscal host."""
    return list(
        User.objects.filter(
            Q(memberships__event=event) | Q(memberships__organization_id=event.fiscal_host_id),
            memberships__role__in=roles,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _rows(event: Event, people: list[int], *, kind: str, key: str, now: dt.datetime,
          shift: Shift | None = None, detail: dict | None = None) -> list[Notice]:  # fmt: skip
    return [
        Notice(
            user_id=user_id,
            event=event,
            kind=kind,
            key=key,
            channel=Notice.Channel.EMAIL,
            shift=shift,
            detail=detail or {},
            due_at=now,
            created_at=now,
        )
        for user_id in people
    ]


def understaffed_key(shift: Shift) -> str:
    return f"shift-{shift.pk}-at-{shift.starts_at.astimezone(dt.UTC):%Y%m%d%H%M}"


def understaffed_plan(*, now: dt.datetime) -> list[Notice]:
    shifts = (
        Shift.objects.filter(
            starts_at__gt=now,
            starts_at__lte=now + UNDERSTAFFED_AHEAD,
            confirmed_count__lt=F("min_volunteers"),
            cancelled_at__isnull=True,
            corner__event__status__in=(Event.Status.PUBLISHED, Event.Status.LIVE),
        )
        .select_related("corner__event")
        .order_by("corner__event_id", "starts_at")
    )
    told = set(
        Notice.objects.filter(
            kind=Notice.Kind.UNDERSTAFFED, shift__in=shifts, status__in=_TAKEN
        ).values_list("key", flat=True)
    )
    rows: list[Notice] = []
    people: dict[int, list[int]] = {}
    for shift in shifts:
        if understaffed_key(shift) in told:
            continue  # planned already: the scan reads it, it does not write it again
        event = shift.corner.event
        if event.pk not in people:
            people[event.pk] = event_people(event, ORGANIZING_ROLES)
        rows += _rows(event, people[event.pk], kind=Notice.Kind.UNDERSTAFFED,
                      key=understaffed_key(shift), shift=shift, now=now)  # fmt: skip
    return rows


def understaffed_unwanted(notice: Notice, *, now: dt.datetime) -> str:
    shift = notice.shift
    if shift is None or shift.starts_at <= now:
        return "the shift has started"
    if shift.cancelled_at is not None:
        return "the shift was cancelled"
    if understaffed_key(shift) != notice.key:
        return "the shift moved to another time"
    if shift.confirmed_count >= shift.min_volunteers:
        return "the shift has its buddy minimum now"
    return ""


def attention_marks(event_ids: list[int]) -> dict[int, str]:
    """For each event with something needing attention, a mark that changes when a new thing
    appears (the newest parked payment, failed receipt and failed refund)."""
    from donations.models import Donation, Refund, StripeEvent

    marks: dict[int, list[int]] = {}
    queries = (
        StripeEvent.objects.filter(event_id__in=event_ids, status=StripeEvent.Status.PARKED)
        .values("event_id")
        .annotate(newest=Max("pk")),
        Donation.objects.filter(
            event_id__in=event_ids, receipt_status=Donation.ReceiptStatus.FAILED
        )
        .exclude(status=Donation.Status.VOIDED)
        .values("event_id")
        .annotate(newest=Max("pk")),
        Refund.objects.filter(
            donation__event_id__in=event_ids,
            status__in=(Refund.Status.FAILED, Refund.Status.CANCELED),
            handled_at__isnull=True,
        )
        .values(event_id=F("donation__event_id"))
        .annotate(newest=Max("pk")),
    )
    for position, query in enumerate(queries):
        for row in query:
            marks.setdefault(row["event_id"], [0, 0, 0])[position] = row["newest"]
    return {event_id: "-".join(map(str, mark)) for event_id, mark in marks.items()}


def attention_plan(*, now: dt.datetime) -> list[Notice]:
    events = {
        event.pk: event
        for event in Event.objects.filter(
            Q(closed_at__isnull=True) | Q(closed_at__gte=now - dt.timedelta(days=30))
        ).exclude(status=Event.Status.DRAFT)
    }
    recent = set(
        Notice.objects.filter(
            kind=Notice.Kind.ATTENTION, created_at__gt=now - ATTENTION_AT_MOST_EVERY
        ).values_list("event_id", flat=True)
    )
    rows: list[Notice] = []
    for event_id, mark in attention_marks(list(events)).items():
        if event_id in recent:
            continue
        event = events[event_id]
        rows += _rows(event, event_people(event, FINANCE_ROLES), kind=Notice.Kind.ATTENTION,
                      key=f"event-{event_id}-attention-{mark}", now=now)  # fmt: skip
    return rows


def summary_plan(*, now: dt.datetime) -> list[Notice]:
    ended = (
        Event.objects.filter(ends_at__lte=now, ends_at__gte=now - SUMMARY_WINDOW)
        .exclude(status=Event.Status.DRAFT)
        .exclude(notices__kind=Notice.Kind.SUMMARY)
    )
    rows: list[Notice] = []
    for event in ended:
        rows += _rows(event, event_people(event, SUMMARY_ROLES), kind=Notice.Kind.SUMMARY,
                      key=f"event-{event.pk}-summary", now=now)  # fmt: skip
    return rows


def organizer_notices_plan(*, now: dt.datetime) -> list[Notice]:
    return understaffed_plan(now=now) + attention_plan(now=now) + summary_plan(now=now)
