"""Issue 10's done-when, on the demo: a volunteer signing up for a shift of the live day that
starts soon gets the confirmation and then the reminder in the demo's mail folder (and, having
agreed to texts, in its text folder), once each, in their language. The beat's scan runs as the
beat runs it (the task, with the demo's file backends), on a travelled clock."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from donations.demo import demo_live_seed
from events.models import Shift
from notices import tasks
from volunteers import services as volunteer_services
from volunteers.models import Signup, User

pytestmark = pytest.mark.django_db


def mails(folder: Path) -> list[tuple[str, str, str]]:
    """(to, subject, body) of each message the file backend wrote."""
    found = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
            if chunk.strip():
                message = message_from_bytes(chunk, policy=policy.default)
                body = message.get_body(preferencelist=("plain",))
                found.append((message["To"], message["Subject"], body.get_content()))
    return found


def texts(folder: Path) -> list[str]:
    return [
        text
        for path in sorted(folder.glob("*.log"))
        for text in path.read_text().split("-" * 79 + "\n")
        if text.strip()
    ]


def test_a_volunteer_signing_up_for_a_shift_soon_gets_confirmation_and_reminder_once(
    tmp_path: Path,
) -> None:
    mail_dir, sms_dir = tmp_path / "mail", tmp_path / "sms"
    start = timezone.now()
    event = demo_live_seed(now=start)
    maria = User.objects.get(email="maria.lopez@pledgeday.test")  # Spanish; agreed to texts
    shift = (
        Shift.objects.filter(corner__event=event, starts_at__gt=start + dt.timedelta(hours=3))
        .order_by("starts_at")
        .first()
    )
    assert shift is not None
    backends = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": mail_dir,
        "SMS_BACKEND": "sms.backends.filebased.SmsBackend",
        "SMS_FILE_PATH": sms_dir,
    }
    seeded = timezone.now()  # the seed's sign-ups were made until this moment
    with override_settings(**backends), time_machine.travel(seeded, tick=False) as clock:
        tasks.notices_scan()  # the demo's own confirmations (María's for the upcoming day too)
        before = len(mails(mail_dir)), len(texts(sms_dir)) if sms_dir.exists() else 0
        signup = volunteer_services.signup_create(
            user=maria, shift=shift, now=timezone.now(), accept_waiver=True
        )
        assert signup.status == Signup.Status.CONFIRMED
        for _minute in range(3):
            clock.shift(dt.timedelta(minutes=1))
            tasks.notices_scan()
        reminder_at = Shift.objects.get(pk=shift.pk).starts_at - dt.timedelta(hours=2)
        clock.move_to(reminder_at - dt.timedelta(minutes=1))
        tasks.notices_scan()
        for _minute in range(3):
            clock.shift(dt.timedelta(minutes=1))
            tasks.notices_scan()

    new_mail = mails(mail_dir)[before[0] :]
    assert {to for to, _subject, _body in new_mail} == {maria.email}
    subjects = [" ".join(subject.split()) for _to, subject, _body in new_mail]
    local = Shift.objects.get(pk=shift.pk).starts_at.astimezone(event.tzinfo)
    assert len(subjects) == 2, subjects
    assert subjects[1] == f"[Pledgeday] Hoy a las {local:%H:%M}: tu turno en {shift.corner.name}"
    assert subjects[0].startswith(f"[Pledgeday] Tienes tu lugar en {shift.corner.name}, ")
    assert f"a las {local:%H:%M}" in subjects[0]
    assert "Olivia Ortega: 559-555-0110" in new_mail[1][2]  # the day-of coordinator
    to_her_phone = texts(sms_dir)[before[1] :]
    assert len(to_her_phone) == 2, to_her_phone
    assert all(f"to: {maria.text_consents.get().phone}" in text for text in to_her_phone)
    assert "confirmado" in to_her_phone[0]
    assert "Recordatorio de Pledgeday" in to_her_phone[1]
