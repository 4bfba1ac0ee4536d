"""Notices by email, in the recipient's language, plain text with an HTML twin; the one module of
this app that sends mail."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from events.models import Corner
from notices.models import Notice
from volunteers.calendars import signups_calendar
from volunteers.models import Signup


def map_link(corner: Corner) -> str:
    """OpenStreetMap at the corner's coordinates, else a search for its address and city."""
    if corner.latitude is not None and corner.longitude is not None:
        return (
            f"https://www.openstreetmap.org/?mlat={corner.latitude}&mlon={corner.longitude}"
            f"#map=18/{corner.latitude}/{corner.longitude}"
        )
    place = ", ".join(part for part in (corner.address, corner.name, corner.city) if part)
    return "https://www.openstreetmap.org/search?" + urlencode({"query": place})


def _reminder_context(notice: Notice, *, now: dt.datetime) -> dict[str, object]:
    signup = notice.signup
    assert signup is not None  # noqa: S101 (a reminder always has its sign-up)
    shift = signup.shift
    corner = shift.corner
    event = corner.event
    buddies = [
        other.user.get_short_name()
        for other in Signup.objects.filter(shift=shift, status=Signup.Status.CONFIRMED)
        .exclude(pk=signup.pk)
        .select_related("user")
        .order_by("confirmed_at", "pk")
    ]
    hours = round((shift.starts_at - now).total_seconds() / 3600)
    return {
        "user": notice.user,
        "signup": signup,
        "shift": shift,
        "corner": corner,
        "event": event,
        "starts": shift.starts_at.astimezone(event.tzinfo),
        "ends": shift.ends_at.astimezone(event.tzinfo),
        "tomorrow_or_later": hours >= 12,
        "map_link": map_link(corner),
        "buddies": buddies,
        "my_shifts": settings.SITE_URL + reverse("volunteers:my_shifts"),
    }


TEMPLATES = {
    Notice.Kind.REMINDER: "reminder",
    Notice.Kind.CONFIRMED: "confirmed",
    Notice.Kind.WAITLISTED: "waitlisted",
    Notice.Kind.THANKS: "thanks",
}


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


def _position(signup: Signup) -> int:
    """Where the sign-up stands on its shift's waitlist (1 is next)."""
    return (
        Signup.objects.filter(
            shift_id=signup.shift_id,
            status=Signup.Status.WAITLISTED,
            created_at__lte=signup.created_at,
        )
        .exclude(created_at=signup.created_at, pk__gt=signup.pk)
        .count()
    )


def notice_email_send(*, notice: Notice, now: dt.datetime) -> tuple[str, str]:
    """Render and send the notice; returns (address, language). OSError and SMTP errors from
    the backend propagate to the caller, which decides about retrying."""
    language = notice.user.preferred_language or settings.LANGUAGE_CODE
    address = notice.user.email
    name = TEMPLATES[Notice.Kind(notice.kind)]
    with translation.override(language):
        context = (
            _thanks_context(notice)
            if notice.kind == Notice.Kind.THANKS
            else _reminder_context(notice, now=now)
        )
        if notice.kind == Notice.Kind.WAITLISTED and notice.signup is not None:
            context["position"] = _position(notice.signup)
        subject = render_to_string(f"notices/email/{name}_subject.txt", context).strip()
        text = render_to_string(f"notices/email/{name}.txt", context)
        html = render_to_string(f"notices/email/{name}.html", context)
        ics = None
        if notice.kind == Notice.Kind.CONFIRMED and notice.signup is not None:
            ics = signups_calendar([notice.signup], site_url=str(context["my_shifts"])).to_ical()
    message = EmailMultiAlternatives(
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [address],
    )
    message.attach_alternative(html, "text/html")
    if ics is not None:
        message.attach("shift.ics", ics, "text/calendar")
    message.send()
    return address, language
