"""An organizer's message to the volunteers of a shift, a corner or the whole pledge day: written
once (with an optional Spanish translation), planned as one notice per recipient and channel,
sent by the same workers as every notice, and logged. At most `HOURLY_LIMIT` messages an hour
per pledge day, whoever writes them: a mistake, or a stolen organizer account, cannot flood the
volunteers' phones."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from events.models import Corner, Event, Shift
from notices import services
from notices.models import Broadcast, Notice
from volunteers.models import ACTIVE_SIGNUP_STATUSES, Signup, User

HOURLY_LIMIT = 6
BODY_LIMIT = 2000


def broadcast_recipients(
    *, event: Event, scope: str, corner: Corner | None, shift: Shift | None
) -> list[Signup]:
    """One sign-up per person (confirmed or waiting) within the scope, earliest shift first."""
    signups = Signup.objects.filter(
        shift__corner__event=event, status__in=ACTIVE_SIGNUP_STATUSES
    ).select_related("shift__corner")
    if scope == Broadcast.Scope.SHIFT:
        signups = signups.filter(shift=shift)
    elif scope == Broadcast.Scope.CORNER:
        signups = signups.filter(shift__corner=corner)
    seen: set[int] = set()
    chosen = []
    for signup in signups.order_by("shift__starts_at", "pk"):
        if signup.user_id not in seen:
            seen.add(signup.user_id)
            chosen.append(signup)
    return chosen


@transaction.atomic
def broadcast_create(
    *,
    event: Event,
    author: User,
    scope: str,
    subject: str,
    body: str,
    now: dt.datetime,
    corner: Corner | None = None,
    shift: Shift | None = None,
    subject_es: str = "",
    body_es: str = "",
) -> Broadcast:
    """Check the message, write it and plan each recipient's copy (queued when this commits)."""
    Event.objects.select_for_update(no_key=True).filter(pk=event.pk).first()  # the hour's count
    # A subject is one line (a newline in a mail header is refused by the mail library).
    subject, subject_es = " ".join(subject.split()), " ".join(subject_es.split())
    body, body_es = body.strip(), body_es.strip()
    if scope not in Broadcast.Scope.values:
        raise ValidationError(_("Choose who the message is for."), code="scope")
    if scope == Broadcast.Scope.SHIFT and (shift is None or shift.corner.event_id != event.pk):
        raise ValidationError(_("Choose a shift of this pledge day."), code="shift")
    if scope == Broadcast.Scope.CORNER and (corner is None or corner.event_id != event.pk):
        raise ValidationError(_("Choose a corner of this pledge day."), code="corner")
    if not subject or not body:
        raise ValidationError(_("Write a subject and a message."), code="empty")
    if len(body) > BODY_LIMIT or len(body_es) > BODY_LIMIT:
        raise ValidationError(
            _("A message can be at most %(limit)s characters long.") % {"limit": BODY_LIMIT},
            code="long",
        )
    if bool(subject_es) != bool(body_es):
        raise ValidationError(
            _("Give the Spanish subject and message together, or neither."), code="half"
        )
    if (
        Broadcast.objects.filter(event=event, created_at__gt=now - dt.timedelta(hours=1)).count()
        >= HOURLY_LIMIT
    ):
        raise ValidationError(
            _(
                "This pledge day has sent %(limit)s messages in the last hour, the most it may. "
                "Please wait a little, or call the volunteers who need to know now."
            )
            % {"limit": HOURLY_LIMIT},
            code="rate",
        )
    shift = shift if scope == Broadcast.Scope.SHIFT else None
    corner = corner if scope == Broadcast.Scope.CORNER else None
    recipients = broadcast_recipients(event=event, scope=scope, corner=corner, shift=shift)
    if not recipients:
        raise ValidationError(
            _("Nobody is signed up there: the message was not sent."), code="nobody"
        )
    broadcast = Broadcast.objects.create(
        event=event, scope=scope, corner=corner, shift=shift, subject=subject, body=body,
        subject_es=subject_es, body_es=body_es, author=author, created_at=now,
        recipients=len(recipients),
    )  # fmt: skip
    rows = [
        Notice(
            user_id=signup.user_id,
            event=event,
            kind=Notice.Kind.MESSAGE,
            key=f"message-{broadcast.pk}",
            channel=Notice.Channel.EMAIL,
            signup=signup,
            broadcast=broadcast,
            due_at=now,
            created_at=now,
        )
        for signup in recipients
    ]
    # Every recipient holds a shift that day: the message is about it, so it goes by text too
    # to those who agreed, and carries no unsubscribe link.
    services.plan_and_queue(rows, text_kinds=frozenset({Notice.Kind.MESSAGE}))
    return broadcast


def broadcast_progress(broadcasts: list[Broadcast]) -> dict[int, dict[str, int]]:
    """How many copies of each message are in each status, by message id."""
    from django.db.models import Count

    counts: dict[int, dict[str, int]] = {b.pk: {} for b in broadcasts}
    rows = (
        Notice.objects.filter(broadcast__in=broadcasts)
        .values_list("broadcast_id", "status")
        .annotate(n=Count("pk"))
    )
    for broadcast_id, status, n in rows:
        counts[broadcast_id][status] = n
    return counts
