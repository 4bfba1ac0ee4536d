"""Sign-up confirmations (with the shift as an .ics) and "you joined the waitlist" notes
(issue 10): planned by the same minute scan as reminders, sent once, in the volunteer's
language; none for a place cancelled before it went, none twice for a promoted volunteer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from notices import services
from notices.models import Notice
from tests.notices.test_reminders import FRESNO, shift_at, signed_up
from volunteers import services as volunteer_services

pytestmark = pytest.mark.django_db


def run_scan(now: dt.datetime) -> list[str]:
    """The beat's whole scan at `now` (confirmations and reminders), each send run at once."""
    services.confirmations_plan(now=now)
    services.reminders_plan(now=now)
    return [services.notice_send(notice_id=pk, now=now) for pk in services.notices_due(now=now)]


def test_a_sign_up_is_confirmed_with_the_shift_for_a_calendar_once() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    at = shift.starts_at - dt.timedelta(days=3)
    ana = signed_up(shift, at=at, name="Ana García")
    assert run_scan(at + dt.timedelta(seconds=30)) == ["sent"]
    assert run_scan(at + dt.timedelta(minutes=1)) == []
    [message] = mail.outbox
    assert message.to == [ana.user.email]
    assert message.subject.endswith("You're on Blackstone & Shaw, Saturday at 9 a.m.")
    assert "is confirmed" in message.body
    [(filename, ics, kind)] = message.attachments
    assert (filename, kind) == ("shift.ics", "text/calendar")
    assert "DTSTART;TZID=America/Los_Angeles:20310517T090000" in str(ics)


def test_a_full_shift_puts_people_on_the_waitlist_with_their_place_in_spanish() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    at = shift.starts_at - dt.timedelta(days=3)
    for minute in range(shift.capacity):
        signed_up(shift, at=at + dt.timedelta(minutes=minute))
    rosa = signed_up(shift, at=at + dt.timedelta(minutes=10), language="es", name="Rosa")
    assert rosa.status == rosa.Status.WAITLISTED
    run_scan(at + dt.timedelta(minutes=11))
    message = next(m for m in mail.outbox if m.to == [rosa.user.email])
    assert "Lista de espera de Blackstone & Shaw: eres el número 1" in message.subject
    assert Notice.objects.get(user=rosa.user).kind == Notice.Kind.WAITLISTED


def test_a_place_cancelled_before_its_confirmation_went_gets_none_and_promotion_is_told_once(
) -> None:  # fmt: skip
    shift = shift_at(
        dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO),
    )
    at = shift.starts_at - dt.timedelta(days=3)
    first = [signed_up(shift, at=at) for _ in range(shift.capacity)]
    waiting = signed_up(shift, at=at)
    services.confirmations_plan(now=at)
    volunteer_services.signup_cancel(signup=first[0], now=at + dt.timedelta(seconds=1))
    outcomes = run_scan(at + dt.timedelta(seconds=2))
    # The cancelled one's confirmation, and the waitlist note of the one promoted meanwhile.
    assert outcomes.count("skipped") == 2
    # The others' confirmations, and the promotion.
    assert outcomes.count("sent") == shift.capacity
    assert not Notice.objects.filter(user=waiting.user, kind=Notice.Kind.CONFIRMED).exists()
    promotion = Notice.objects.get(user=waiting.user, kind=Notice.Kind.PROMOTED)
    assert promotion.status == Notice.Status.SENT
    # The promoted volunteer is told by the promotion, not by a second confirmation.
    assert run_scan(at + dt.timedelta(minutes=5)) == []
