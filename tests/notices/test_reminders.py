"""Shift reminders (issue 10, first part): each at its moment, in the event's zone and the
volunteer's language, once; none for a sign-up made after the moment, a cancelled place or a
moved shift; a failed send tried again, a refused address never."""

from __future__ import annotations

import datetime as dt
import smtplib
import zoneinfo

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from events.models import Corner, Event, Shift
from notices import services, tasks
from notices.models import Notice
from tests.factories import CornerFactory, ShiftFactory, published_event, volunteer
from volunteers import services as volunteer_services
from volunteers.models import Signup

pytestmark = pytest.mark.django_db
FRESNO = zoneinfo.ZoneInfo("America/Los_Angeles")


def shift_at(local: dt.datetime, **event_fields: object) -> Shift:
    """A shift starting at `local` (a Fresno time) on Blackstone & Shaw."""
    starts = local
    event = published_event(
        starts_at=starts - dt.timedelta(hours=1), ends_at=starts + dt.timedelta(hours=8),
        volunteer_coordinator_name="Lupe", volunteer_coordinator_phone="559-555-0142",
        volunteer_notes="Staging table at the Starbucks on Shaw. Bring water and a hat.",
        volunteer_notes_es="La mesa está en el Starbucks de Shaw. Traiga agua y gorra.",
        **event_fields,
    )  # fmt: skip
    corner = CornerFactory(event=event, name="Blackstone & Shaw", city="Fresno",
                           latitude="36.808200", longitude="-119.790100")  # fmt: skip
    shift = ShiftFactory(corner=corner, starts_at=starts, ends_at=starts + dt.timedelta(hours=3))
    return Shift.objects.get(pk=shift.pk)  # times in UTC: arithmetic on instants, not wall time


def signed_up(shift: Shift, *, at: dt.datetime, language: str = "en", name: str = "") -> Signup:
    person = volunteer()
    person.preferred_language, person.name = language, name or person.name
    person.save()
    return volunteer_services.signup_create(user=person, shift=shift, now=at)


def run_scan(now: dt.datetime) -> list[str]:
    """The beat's scan at `now`, with each queued send run as a worker would."""
    services.reminders_plan(now=now)
    return [services.notice_send(notice_id=pk, now=now) for pk in services.notices_due(now=now)]


def test_each_reminder_goes_at_its_moment_once_in_the_events_zone() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    ana = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10), name="Ana García")
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=9), name="Luis Martínez")
    before_24 = shift.starts_at - dt.timedelta(hours=24, minutes=1)
    assert run_scan(before_24) == []
    at_24 = shift.starts_at - dt.timedelta(hours=24)
    assert run_scan(at_24) == ["sent", "sent"]
    assert run_scan(at_24 + dt.timedelta(minutes=1)) == []  # the next scan: nothing twice
    message = next(m for m in mail.outbox if m.to == [ana.user.email])
    assert message.subject.endswith("Reminder: Blackstone & Shaw, Saturday at 9 a.m.")
    assert "Saturday, May 17, 2031, 9 a.m.–noon (America/Los_Angeles)" in message.body
    assert "With: Luis" in message.body
    assert "Staging table at the Starbucks on Shaw" in message.body
    assert "call Lupe: 559-555-0142" in message.body
    assert "https://www.openstreetmap.org/?mlat=36.808200&mlon=-119.790100" in message.body
    html = message.alternatives[0][0]
    assert "<strong>With:</strong> Luis" in html
    at_2 = shift.starts_at - dt.timedelta(hours=2)
    assert run_scan(at_2) == ["sent", "sent"]
    assert "Today at 9 a.m.: your shift at Blackstone & Shaw" in mail.outbox[-1].subject
    assert len(mail.outbox) == 4
    sent = Notice.objects.filter(status=Notice.Status.SENT)
    assert set(sent.values_list("due_at", flat=True)) == {at_24, at_2}


def test_spanish_speakers_get_it_in_spanish_across_the_clocks_going_back() -> None:
    # 2031-11-02: clocks go back at 2 a.m. in Fresno; 24 hours before 9 a.m. PST is 10 a.m. PDT.
    shift = shift_at(dt.datetime(2031, 11, 2, 9, 0, tzinfo=FRESNO))
    maria = signed_up(shift, at=shift.starts_at - dt.timedelta(days=5), language="es",
                      name="María López")  # fmt: skip
    day_before = dt.datetime(2031, 11, 1, 10, 0, tzinfo=FRESNO)
    assert day_before == shift.starts_at - dt.timedelta(hours=24)
    assert run_scan(day_before - dt.timedelta(minutes=1)) == []
    assert run_scan(day_before) == ["sent"]
    [message] = mail.outbox
    assert message.to == [maria.user.email]
    assert "Recordatorio: Blackstone & Shaw, domingo a las 09:00" in message.subject
    assert "domingo, 2 de noviembre de 2031, 09:00–12:00" in message.body
    assert "La mesa está en el Starbucks de Shaw" in message.body
    assert Notice.objects.get().language == "es"


def test_no_stale_reminder_for_a_late_sign_up_and_none_for_a_cancelled_place() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    late = signed_up(shift, at=shift.starts_at - dt.timedelta(hours=5))
    gone = signed_up(shift, at=shift.starts_at - dt.timedelta(days=3))
    at_24 = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=at_24)
    volunteer_services.signup_cancel(signup=gone, now=at_24 + dt.timedelta(seconds=1))
    later = at_24 + dt.timedelta(seconds=2)
    due = services.notices_due(now=later)
    assert [services.notice_send(notice_id=pk, now=later) for pk in due] == ["skipped"]
    assert Notice.objects.get(user=gone.user).error == "the sign-up is no longer confirmed"
    assert run_scan(shift.starts_at - dt.timedelta(hours=2)) == ["sent"]  # the late one: 2 h
    assert [m.to for m in mail.outbox] == [[late.user.email]]


def test_a_moved_shift_skips_the_old_reminder_and_gets_its_own() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=3))
    at_24 = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=at_24)
    later = shift.starts_at + dt.timedelta(hours=3)
    Shift.objects.filter(pk=shift.pk).update(starts_at=later, ends_at=later + dt.timedelta(hours=3))
    assert run_scan(at_24 + dt.timedelta(minutes=1)) == ["skipped"]
    assert run_scan(later - dt.timedelta(hours=24)) == ["sent"]
    assert "noon" in mail.outbox[0].subject


def test_a_send_that_fails_is_tried_again_and_a_refused_address_never(monkeypatch) -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    first = signed_up(shift, at=shift.starts_at - dt.timedelta(days=3))
    second = signed_up(shift, at=shift.starts_at - dt.timedelta(days=3))
    at_24 = shift.starts_at - dt.timedelta(hours=24)
    from notices import emails

    real = emails.notice_email_send

    def flaky(*, notice: Notice, now: dt.datetime):
        if notice.user_id == first.user_id:
            raise ConnectionRefusedError("mail server down")
        raise smtplib.SMTPRecipientsRefused({notice.user.email: (550, b"no such user")})

    monkeypatch.setattr(emails, "notice_email_send", flaky)
    assert sorted(run_scan(at_24)) == ["failed", "retry"]
    monkeypatch.setattr(emails, "notice_email_send", real)
    assert run_scan(at_24 + dt.timedelta(minutes=1)) == ["sent"]  # the first, on the next scan
    assert [m.to for m in mail.outbox] == [[first.user.email]]
    refused = Notice.objects.get(user=second.user)
    assert (refused.status, refused.attempts) == (Notice.Status.FAILED, 1)


def test_a_claim_held_by_a_worker_is_not_sent_again_until_it_expires() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=3))
    at_24 = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=at_24)
    notice = Notice.objects.get()
    assert services._claim(notice.pk, now=at_24)  # a worker took it, then died
    assert services.notices_due(now=at_24 + dt.timedelta(minutes=1)) == []
    assert services.notice_send(notice_id=notice.pk, now=at_24 + dt.timedelta(minutes=1)) == (
        "not due"
    )
    later = at_24 + dt.timedelta(seconds=settings.NOTICE_LEASE_SECONDS + 1)
    assert services.notices_due(now=later) == [notice.pk]
    assert services.notice_send(notice_id=notice.pk, now=later) == "sent"
    assert len(mail.outbox) == 1


def test_planning_twice_and_the_beats_task_write_one_row(monkeypatch) -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=3))
    at_24 = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=at_24)
    services.reminders_plan(now=at_24)  # a second beat by mistake
    assert Notice.objects.count() == 1
    monkeypatch.setattr(timezone, "now", lambda: at_24 + dt.timedelta(seconds=5))
    assert tasks.notices_scan() == 1  # queued (run at once here, as Celery is eager in tests)
    assert tasks.notices_scan() == 0
    assert len(mail.outbox) == 1


def test_the_events_reminder_hours_are_its_own() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO), reminder_hours=[48])
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=5))
    assert run_scan(shift.starts_at - dt.timedelta(hours=49)) == []
    assert run_scan(shift.starts_at - dt.timedelta(hours=48)) == ["sent"]
    assert run_scan(shift.starts_at - dt.timedelta(hours=24)) == []
    assert run_scan(shift.starts_at - dt.timedelta(hours=2)) == []
    Event.objects.filter(pk=shift.corner.event_id).update(status=Event.Status.CLOSED)
    assert Corner.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_workers_sending_the_same_due_reminders_send_each_once() -> None:
    from tests.support.concurrency import at_once

    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    for _ in range(3):
        signed_up(shift, at=shift.starts_at - dt.timedelta(days=3))
    at_24 = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=at_24)
    due = services.notices_due(now=at_24)

    def worker() -> list[str]:
        return [services.notice_send(notice_id=pk, now=at_24) for pk in due]

    outcomes = [outcome for run in at_once(worker, 4) for outcome in run]
    assert sorted(outcomes).count("sent") == 3
    assert len(mail.outbox) == 3
    assert len({m.to[0] for m in mail.outbox}) == 3


def test_organizers_see_the_messages_sent_and_volunteers_cannot() -> None:
    from django.test import Client

    from events.models import Membership
    from tests.factories import MembershipFactory

    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    ana = signed_up(shift, at=shift.starts_at - dt.timedelta(days=3), name="Ana García")
    run_scan(shift.starts_at - dt.timedelta(hours=24))
    event = shift.corner.event
    organizer = Client()
    organizer.force_login(MembershipFactory(event=event, role=Membership.Role.ORGANIZER).user)
    page = organizer.get(f"/organize/{event.slug}/notices/").content.decode()
    assert "Ana García" in page
    assert "Shift reminder · Blackstone &amp; Shaw" in page
    assert "Sent" in page
    assert (
        "Ana García"
        not in organizer.get(f"/organize/{event.slug}/notices/?status=failed").content.decode()
    )
    helper = Client()
    helper.force_login(ana.user)
    assert helper.get(f"/organize/{event.slug}/notices/").status_code == 403


def test_the_beats_scan_on_a_travelled_clock_sends_each_reminder_at_its_moment() -> None:
    """The beat's task itself (timezone.now(), Celery eager here), the clock travelled with
    time-machine across the night the clocks go back in Fresno."""
    import time_machine

    shift = shift_at(dt.datetime(2031, 11, 2, 9, 0, tzinfo=FRESNO))
    with time_machine.travel(dt.datetime(2031, 10, 25, 12, 0, tzinfo=FRESNO), tick=False):
        signed_up(shift, at=timezone.now(), name="Ana García")
        assert tasks.notices_scan() == 1  # the confirmation
    moments = {
        dt.datetime(2031, 11, 1, 9, 59, tzinfo=FRESNO): 0,  # PDT, a minute early
        dt.datetime(2031, 11, 1, 10, 0, tzinfo=FRESNO): 1,  # 24 hours before 9 a.m. PST
        dt.datetime(2031, 11, 1, 10, 1, tzinfo=FRESNO): 0,
        dt.datetime(2031, 11, 2, 6, 59, tzinfo=FRESNO): 0,  # PST now
        dt.datetime(2031, 11, 2, 7, 0, tzinfo=FRESNO): 1,  # 2 hours before
        dt.datetime(2031, 11, 2, 9, 30, tzinfo=FRESNO): 0,  # started: nothing more
    }
    for moment, expected in moments.items():
        with time_machine.travel(moment, tick=False):
            assert tasks.notices_scan() == expected, moment
    reminders = Notice.objects.filter(kind=Notice.Kind.REMINDER, status=Notice.Status.SENT)
    assert sorted(reminders.values_list("sent_at", flat=True)) == [
        dt.datetime(2031, 11, 1, 17, 0, tzinfo=dt.UTC),
        dt.datetime(2031, 11, 2, 15, 0, tzinfo=dt.UTC),
    ]
    assert len(mail.outbox) == 3


def test_a_queued_row_is_queued_again_only_if_no_worker_took_it_in_time() -> None:
    """The scan marks what it queued: the next scans leave it to the task in the broker, and
    queue it again only once QUEUED_FOR has passed (a message the broker lost)."""
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    at_24 = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=at_24)
    due = services.notices_due(now=at_24)
    assert len(due) == 1
    services.notices_queued(due, now=at_24)
    assert services.notices_due(now=at_24 + dt.timedelta(minutes=1)) == []
    assert services.notices_due(now=at_24 + services.QUEUED_FOR + dt.timedelta(seconds=1)) == due
    assert services.notice_send(notice_id=due[0], now=at_24 + dt.timedelta(minutes=1)) == "sent"


def test_the_next_scan_reads_nothing_it_planned_already() -> None:
    """The minute's scan writes only new rows: what it planned before, and sign-ups confirmed
    after a moment, are left out by the database (the bench reads 10,000 sign-ups ahead)."""
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    signed_up(shift, at=shift.starts_at - dt.timedelta(hours=3))  # after the 24-hour moment
    at_24 = shift.starts_at - dt.timedelta(hours=24)
    assert services.reminders_plan(now=at_24) == 1  # the late one is not signed up yet then
    assert services.reminders_plan(now=at_24 + dt.timedelta(minutes=1)) == 0
    later = shift.starts_at - dt.timedelta(hours=3)  # the late one came after the moment
    assert services.reminders_plan(now=later) == 0
    at_2 = shift.starts_at - dt.timedelta(hours=2)
    assert services.reminders_plan(now=at_2) == 2
    assert services.reminders_plan(now=at_2 + dt.timedelta(minutes=1)) == 0
