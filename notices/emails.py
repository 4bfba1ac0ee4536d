"""Notices by email, in the recipient's language, plain text with an HTML twin; the one module of
this app that sends mail."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from events.models import Corner, Event
from events.text import local_value
from notices.models import Notice
from notices.preferences import topic_of, unsubscribe_url
from volunteers.calendars import signups_calendar
from volunteers.models import Signup
from volunteers.selectors import shift_buddies, waitlist_position


def map_link(corner: Corner) -> str:
    """OpenStreetMap at the corner's coordinates, else a search for its address and city."""
    if corner.latitude is not None and corner.longitude is not None:
        return (
            f"https://www.openstreetmap.org/?mlat={corner.latitude}&mlon={corner.longitude}"
            f"#map=18/{corner.latitude}/{corner.longitude}"
        )
    place = ", ".join(part for part in (corner.address, corner.name, corner.city) if part)
    return "https://www.openstreetmap.org/search?" + urlencode({"query": place})


def _shift_context(notice: Notice, *, now: dt.datetime) -> dict[str, object]:
    signup = notice.signup
    assert signup is not None  # noqa: S101 (a reminder always has its sign-up)
    shift = signup.shift
    corner = shift.corner
    event = corner.event
    buddies = [other.user.get_short_name() for other in shift_buddies(signup)]
    was = notice.detail.get("was") or {}
    return {
        "detail": notice.detail,
        "was": was,
        "was_corner": local_value(was, "corner"),
        "was_starts": _instant(was.get("starts_at"), event),
        "was_ends": _instant(was.get("ends_at"), event),
        "user": notice.user,
        "signup": signup,
        "shift": shift,
        "corner": corner,
        "event": event,
        "starts": shift.starts_at.astimezone(event.tzinfo),
        "ends": shift.ends_at.astimezone(event.tzinfo),
        "tomorrow_or_later": (
            shift.starts_at.astimezone(event.tzinfo).date() != now.astimezone(event.tzinfo).date()
        ),
        "map_link": map_link(corner),
        "buddies": buddies,
        "my_shifts": settings.SITE_URL + reverse("volunteers:my_shifts"),
    }


def _instant(value: object, event: Event) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    return dt.datetime.fromisoformat(value).astimezone(event.tzinfo)


def _thanks_context(notice: Notice) -> dict[str, object]:
    """The corners the volunteer stood on, what each raised, and what the day raised (the
    tallies: the same figures as the big screen)."""
    from donations.models import Tally
    from donations.selectors import event_tally, tallies_by_key

    event = notice.event
    corners = {
        signup.shift.corner_id: signup.shift.corner
        for signup in Signup.objects.filter(
            user_id=notice.user_id, shift__corner__event=event, checked_in_at__isnull=False
        ).select_related("shift__corner")
    }
    raised = tallies_by_key(event=event, scope=Tally.Scope.CORNER)
    return {
        "user": notice.user,
        "event": event,
        "corners": [
            (corner, raised.get(str(pk), {}).get("raised_cents", 0))
            for pk, corner in sorted(corners.items())
        ],
        "day_raised": event_tally(event=event)["raised_cents"],
    }


def _invite_context(notice: Notice) -> dict[str, object]:
    event = notice.event
    return {
        "user": notice.user,
        "event": event,
        "starts": event.starts_at.astimezone(event.tzinfo),
        "shifts_url": settings.SITE_URL + reverse("volunteers:shift_list", args=[event.slug]),
    }


def _organize_url(name: str, event: Event) -> str:
    return settings.SITE_URL + reverse(name, args=[event.slug])


def _understaffed_context(notice: Notice) -> dict[str, object]:
    shift = notice.shift
    assert shift is not None  # noqa: S101 (planned with its shift)
    event = notice.event
    return {
        "user": notice.user,
        "event": event,
        "shift": shift,
        "corner": shift.corner,
        "starts": shift.starts_at.astimezone(event.tzinfo),
        "ends": shift.ends_at.astimezone(event.tzinfo),
        "shift_url": settings.SITE_URL
        + reverse("volunteers:organize_shift", kwargs={"shift_id": shift.pk}),
    }


def _attention_context(notice: Notice) -> dict[str, object]:
    from donations.selectors import event_attention

    attention = event_attention(event=notice.event, voided_limit=0)
    return {
        "user": notice.user,
        "event": notice.event,
        "parked": len(attention.parked),
        "failed_receipts": len(attention.failed_receipts),
        "failed_refunds": len(attention.failed_refunds),
        "attention_url": _organize_url("donations:attention", notice.event),
    }


def _summary_context(notice: Notice) -> dict[str, object]:
    """The day in figures: the tallies (the same as the big screen), who stood on corners,
    buckets still out, anything needing attention."""
    from donations.selectors import event_attention_count, event_tally
    from volunteers.models import BucketAssignment

    event = notice.event
    signups = Signup.objects.filter(shift__corner__event=event)
    return {
        "user": notice.user,
        "event": event,
        "tally": event_tally(event=event),
        "checked_in": signups.filter(checked_in_at__isnull=False).values("user").distinct().count(),
        "no_shows": signups.filter(status=Signup.Status.NO_SHOW).count(),
        "buckets_out": BucketAssignment.objects.filter(
            shift__corner__event=event, returned_at__isnull=True
        ).count(),
        "attention": event_attention_count(event=event),
        "control_room_url": _organize_url("donations:control_room", event),
        "payouts_url": _organize_url("payouts:day", event),
    }


def _message_context(notice: Notice) -> dict[str, object]:
    broadcast = notice.broadcast
    assert broadcast is not None  # noqa: S101 (a message has its broadcast)
    spanish = notice.user.preferred_language == "es" and broadcast.body_es
    return {
        "user": notice.user,
        "event": notice.event,
        "broadcast": broadcast,
        "subject": broadcast.subject_es if spanish else broadcast.subject,
        "body": broadcast.body_es if spanish else broadcast.body,
        "author": broadcast.author.get_full_name(),
        "my_shifts": settings.SITE_URL + reverse("volunteers:my_shifts"),
    }


# The shift attached for a calendar (the same UID each time, so a calendar updates its entry).
CALENDAR_KINDS = (Notice.Kind.CONFIRMED, Notice.Kind.PROMOTED, Notice.Kind.CHANGED)

CONTEXTS = {
    Notice.Kind.THANKS: _thanks_context,
    Notice.Kind.INVITE: _invite_context,
    Notice.Kind.UNDERSTAFFED: _understaffed_context,
    Notice.Kind.ATTENTION: _attention_context,
    Notice.Kind.SUMMARY: _summary_context,
    Notice.Kind.MESSAGE: _message_context,
}


def notice_email_send(*, notice: Notice, now: dt.datetime) -> tuple[str, str]:
    """Render and send the notice; returns (address, language). OSError and SMTP errors from
    the backend propagate to the caller, which decides about retrying."""
    language = notice.user.preferred_language or settings.LANGUAGE_CODE
    address = notice.user.email
    name = Notice.Kind(notice.kind).value  # templates/notices/email/<kind>…
    topic = topic_of(notice)
    unsubscribe = unsubscribe_url(user_id=notice.user_id, topic=topic) if topic else ""
    # Django's date filters show times in the active zone: the event's, not the server's.
    with translation.override(language), timezone.override(notice.event.tzinfo):
        build = CONTEXTS.get(Notice.Kind(notice.kind))
        context = build(notice) if build else _shift_context(notice, now=now)
        context["unsubscribe_url"] = unsubscribe
        if notice.kind == Notice.Kind.WAITLISTED and notice.signup is not None:
            context["position"] = waitlist_position(notice.signup)
        subject = render_to_string(f"notices/email/{name}_subject.txt", context).strip()
        text = render_to_string(f"notices/email/{name}.txt", context)
        html = render_to_string(f"notices/email/{name}.html", context)
        ics = None
        if notice.kind in CALENDAR_KINDS and notice.signup is not None:
            ics = signups_calendar([notice.signup], site_url=str(context["my_shifts"])).to_ical()
    # A one-click unsubscribe (RFC 8058) for mail programs that offer it, besides the link.
    headers = (
        {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        if unsubscribe
        else {}
    )
    message = EmailMultiAlternatives(
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [address],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    if ics is not None:
        message.attach("shift.ics", ics, "text/calendar")
    message.send()
    return address, language
