"""iCalendar files of volunteer shifts: one shift to download, or a personal feed."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponse
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from events.text import local_text
from volunteers.models import Signup


def signups_calendar(signups: Iterable[Signup], *, site_url: str) -> Calendar:
    """Texts are in the active language: the page's, or the volunteer's for a feed.

    `site_url` is the absolute address of the volunteer's My shifts page: each event links
    there (its URL and its description), where the shift can be cancelled.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//Pledgeday//Volunteer shifts//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Pledgeday")
    for signup in signups:
        shift, corner = signup.shift, signup.shift.corner
        event = corner.event
        summary = f"{local_text(event, 'title')}: {local_text(corner, 'name')}"
        if signup.status == Signup.Status.WAITLISTED:
            summary += " " + _("(waitlist)")
        item = CalendarEvent()
        item.add("uid", f"signup-{signup.pk}@pledgeday")
        item.add("dtstamp", signup.confirmed_at or signup.created_at)
        item.add("dtstart", shift.starts_at.astimezone(event.tzinfo))
        item.add("dtend", shift.ends_at.astimezone(event.tzinfo))
        item.add("summary", summary)
        item.add(
            "location",
            ", ".join(
                p
                for p in (local_text(corner, "name"), local_text(corner, "address"), corner.city)
                if p
            ),
        )
        item.add("description", _("Manage your shifts: %(url)s") % {"url": site_url})
        item.add("url", site_url)
        if corner.latitude is not None and corner.longitude is not None:
            item.add("geo", (float(corner.latitude), float(corner.longitude)))
        calendar.add_component(item)
    calendar.add_missing_timezones()  # VTIMEZONE for every TZID used (RFC 5545)
    return calendar


def ics_response(calendar: Calendar, *, filename: str) -> HttpResponse:
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
