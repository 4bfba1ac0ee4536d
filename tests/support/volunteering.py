"""Small helpers the volunteer-side page tests share."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.utils import timezone

from events.models import Corner, Shift
from tests.factories import DAY_START, ShiftFactory
from volunteers import services
from volunteers.models import Signup, User


def at(hour: int) -> dt.datetime:
    """A local hour (Los Angeles) on the factories' pledge day, 11 January 2031."""
    return DAY_START.replace(hour=hour)


def shift_at(corner: Corner, hour: int, hours: int = 3, **fields: object) -> Shift:
    start = at(hour)
    return ShiftFactory(
        corner=corner, starts_at=start, ends_at=start + dt.timedelta(hours=hours), **fields
    )


def signed_up(user: User, shift: Shift) -> Signup:
    return services.signup_create(user=user, shift=shift, now=timezone.now())


def text(response: HttpResponse) -> str:
    return response.content.decode()


def confirmed_count(shift: Shift) -> int:
    shift.refresh_from_db()
    return shift.confirmed_count
