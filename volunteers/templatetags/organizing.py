"""Template filters of the organizer pages: a time that says its day when the day is not today.

Used inside {% timezone event.timezone %}, so "today" and the clock are the pledge day's.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import dateformat, formats, timezone
from django.utils.translation import pgettext

register = template.Library()


def _day(local: dt.datetime) -> str:
    return dateformat.format(
        local, pgettext("date of a time that is not today, see Django date filter", "D, M j")
    )


@register.filter
def when(value: dt.datetime | None) -> str:
    """'10:02' today; 'Sat, Jan 11, 10:02' on any other day (in the current time zone)."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    clock = formats.time_format(local, "TIME_FORMAT")
    if local.date() == timezone.localdate():
        return clock
    return pgettext("a day and a time", "%(day)s, %(time)s") % {"day": _day(local), "time": clock}


@register.filter
def until(value: dt.datetime | None, start: dt.datetime | None) -> str:
    """The end of a span that began at `start`: the clock alone on the same day as the start
    (the start already says which day), otherwise as `when` says it."""
    if value is None:
        return ""
    if start is not None and timezone.localtime(value).date() == timezone.localtime(start).date():
        return formats.time_format(timezone.localtime(value), "TIME_FORMAT")
    return when(value)
