"""What a review of the notices found, each tested first: a send that fails in an unexpected way
is backed off and then failed, never left claimed to go out again and again; emails show the
event's zone, not the server's; a coordinator's number is never cut in a text; Twilio's errors
about its own side are retried, those about the number end the consent; a shift moved and moved
back before anyone heard tells nothing; a skipped notice gives its key up."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import sms
from django.core import mail
from django.test import override_settings
from twilio.base.exceptions import TwilioRestException

from events.models import Event, Membership
from notices import organizers, preferences, services, texts
from notices.models import Notice, TextConsent
from tests.factories import MembershipFactory
from tests.notices.test_reminders import FRESNO, shift_at, signed_up
from tests.support.mail import FailingBackend
from tests.support.texting import RefusingSmsBackend
from volunteers import services as volunteer_services

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def send_due(now: dt.datetime) -> list[str]:
    return [services.notice_send(notice_id=pk, now=now) for pk in services.notices_due(now=now)]


@override_settings(EMAIL_BACKEND="tests.support.mail.FailingBackend")
def test_an_unexpected_error_is_backed_off_then_failed_never_left_claimed() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    now = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=now)
    [notice_id] = services.notices_due(now=now)
    FailingBackend.failures = [ValueError("Header values can't contain newlines")] * 10
    try:
        outcomes = []
        for _attempt in range(services.MAX_ATTEMPTS + 2):
            outcomes.append(services.notice_send(notice_id=notice_id, now=now))
            now += dt.timedelta(minutes=20)  # past any backoff
    finally:
        FailingBackend.failures = []
    assert outcomes == ["retry"] * (services.MAX_ATTEMPTS - 1) + ["failed", "not due", "not due"]
    notice = Notice.objects.get(pk=notice_id)
    assert (notice.status, notice.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert notice.error.startswith("ValueError: Header values")


def test_a_claim_a_dead_worker_left_at_its_last_attempt_is_failed_not_taken_again() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    now = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=now)
    [notice_id] = services.notices_due(now=now)
    Notice.objects.filter(pk=notice_id).update(
        status="sending", attempts=services.MAX_ATTEMPTS, claimed_until=now
    )
    later = now + dt.timedelta(minutes=1)
    assert services.notices_due(now=later) == [notice_id]
    assert services.notice_send(notice_id=notice_id, now=later) == "not due"
    assert Notice.objects.get(pk=notice_id).status == "failed"
    assert mail.outbox == []


def test_emails_show_the_events_zone_not_the_servers() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=NEW_YORK))
    Event.objects.filter(pk=shift.corner.event_id).update(timezone="America/New_York")
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    now = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=now)
    assert send_due(now) == ["sent"]
    [message] = mail.outbox
    assert message.subject.endswith("Reminder: Blackstone & Shaw, Saturday at 9 a.m.")
    assert "9 a.m.–noon (America/New_York)" in message.body


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("559-555-0142", "(559) 555-0142"),
        ("+1 (559) 555-0142 ext. 1234", "+15595550142"),
        ("+52 55 1234 5678", "+52 55 1234 5678"),
        ("Lupe's cell", "Lupe's cell"),
        ("call the staging table at the Starbucks", ""),
    ],
)
def test_a_coordinators_number_is_never_cut_in_a_text(raw: str, shown: str) -> None:
    assert texts.phone_short(raw) == shown


@pytest.mark.parametrize(
    ("status", "code", "outcome", "consent_ends"),
    [
        (401, 20003, "retry", ""),  # the account's credentials: Twilio's side, not the number
        (400, 21606, "retry", ""),  # the sender cannot send there: an operator fixes it
        (400, 21614, "failed", "refused"),  # not a mobile number
        (400, 21610, "failed", "stop"),  # replied STOP to our sender
    ],
)
def test_twilios_errors_about_its_own_side_are_retried_about_the_number_end_texts(
    status: int, code: int, outcome: str, consent_ends: str
) -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    ana = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    preferences.text_consent_set(
        user=ana.user, texts=True, phone="559-555-0142", language="en", now=ana.created_at
    )
    now = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=now)
    text = Notice.objects.get(channel="sms")
    RefusingSmsBackend.errors = [
        TwilioRestException(status, "https://api.twilio.com", msg="no", code=code)
    ]
    with override_settings(SMS_BACKEND="tests.support.texting.RefusingSmsBackend"):
        assert services.notice_send(notice_id=text.pk, now=now) == outcome
    consent = TextConsent.objects.get()
    assert consent.withdrawn_how == consent_ends


def test_a_shift_moved_and_moved_back_before_anyone_heard_tells_nothing() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    now = shift.starts_at - dt.timedelta(days=2)
    for minutes, hours in ((1, 1), (2, 0)):
        volunteer_services.shift_update(
            shift=shift, capacity=shift.capacity, min_volunteers=shift.min_volunteers,
            now=now + dt.timedelta(minutes=minutes),
            starts_at=shift.starts_at + dt.timedelta(hours=hours),
            ends_at=shift.ends_at + dt.timedelta(hours=hours),
        )  # fmt: skip
    assert send_due(now + dt.timedelta(minutes=3)) == ["skipped"]
    assert mail.outbox == []
    assert sms.outbox == []


def test_a_shift_filled_then_short_again_alerts_the_organizers_again() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    MembershipFactory(event=shift.corner.event, role=Membership.Role.ORGANIZER)
    day_before = shift.starts_at - dt.timedelta(hours=24)
    services.organizer_notices_plan(now=day_before)
    places = [signed_up(shift, at=day_before) for _ in range(shift.min_volunteers)]
    assert send_due(day_before) == ["skipped"]  # filled before it went
    volunteer_services.signup_cancel(signup=places[0], now=day_before, by_organizer=True)
    later = day_before + dt.timedelta(hours=1)
    services.organizer_notices_plan(now=later)
    outcomes = send_due(later)
    assert "sent" in outcomes
    assert any("Short of volunteers" in message.subject for message in mail.outbox)
    assert organizers.understaffed_key(shift) in set(
        Notice.objects.filter(kind="understaffed", status="sent").values_list("key", flat=True)
    )


@override_settings(TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="token", SMS_TIMEOUT=7.5)
def test_the_production_text_backend_gives_twilio_a_time_limit() -> None:
    from notices.sms_backends import SmsBackend as ProductionBackend

    backend = ProductionBackend()
    assert backend.client is not None
    assert backend.client.http_client.timeout == 7.5


@pytest.mark.parametrize(
    "refusal",
    [
        "anymail",  # the email provider refuses the address
        "smtp-550",  # the SMTP server's 5xx
    ],
)
@override_settings(EMAIL_BACKEND="tests.support.mail.FailingBackend")
def test_an_address_refused_for_good_fails_at_once_as_a_receipt_would(refusal: str) -> None:
    import smtplib

    from anymail.exceptions import AnymailRecipientsRefused

    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    now = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=now)
    [notice_id] = services.notices_due(now=now)
    FailingBackend.failures = [
        AnymailRecipientsRefused("rejected")
        if refusal == "anymail"
        else smtplib.SMTPDataError(550, b"mailbox unavailable")
    ]
    try:
        assert services.notice_send(notice_id=notice_id, now=now) == "failed"
    finally:
        FailingBackend.failures = []
    assert Notice.objects.get(pk=notice_id).attempts == 1
