"""Organizers' notices and messages (issue 10): a shift short of its buddy minimum within a
day, gifts needing attention, the day's summary; a message to a shift, a corner or the day,
queued, limited per hour, logged, in each recipient's language."""

from __future__ import annotations

import datetime as dt

import pytest
import sms
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from donations.models import Donation
from events.models import Membership
from notices import broadcasts, preferences, services
from notices.models import Broadcast, Notice
from tests.factories import CardDonationFactory, CornerFactory, MembershipFactory, ShiftFactory
from tests.notices.test_reminders import FRESNO, shift_at, signed_up

pytestmark = pytest.mark.django_db


def send_due(now: dt.datetime) -> list[str]:
    return [services.notice_send(notice_id=pk, now=now) for pk in services.notices_due(now=now)]


def test_a_shift_short_of_its_buddy_minimum_a_day_before_tells_the_organizers_once() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))  # minimum 2 (the factory)
    event = shift.corner.event
    lead = MembershipFactory(event=event, role=Membership.Role.LEAD).user
    MembershipFactory(event=event, role=Membership.Role.FINANCE)  # not told about staffing
    signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    assert shift.min_volunteers >= 2
    day_before = shift.starts_at - dt.timedelta(hours=24)
    services.organizer_notices_plan(now=day_before - dt.timedelta(minutes=1))
    assert send_due(day_before - dt.timedelta(minutes=1)) == []
    services.organizer_notices_plan(now=day_before)
    services.organizer_notices_plan(now=day_before + dt.timedelta(minutes=1))
    assert send_due(day_before) == ["sent"]
    [message] = mail.outbox
    assert message.to == [lead.email]
    assert message.subject.endswith("Short of volunteers: Blackstone & Shaw, Saturday at 9 a.m.")
    assert "Confirmed: 1 of the 2 the buddy rule needs." in message.body
    assert f"/organize/shifts/{shift.pk}/" in message.body
    assert "/notices/unsubscribe/" in message.body


def test_a_shift_that_filled_before_the_alert_went_is_not_reported() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    MembershipFactory(event=shift.corner.event, role=Membership.Role.ORGANIZER)
    day_before = shift.starts_at - dt.timedelta(hours=24)
    services.organizer_notices_plan(now=day_before)
    for _ in range(shift.min_volunteers):
        signed_up(shift, at=day_before)
    assert send_due(day_before) == ["skipped"]
    assert mail.outbox == []


def test_gifts_needing_attention_tell_finance_when_a_new_one_appears_at_most_hourly() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    event = shift.corner.event
    finance = MembershipFactory(event=event, role=Membership.Role.FINANCE).user
    MembershipFactory(event=event, role=Membership.Role.ORGANIZER)  # not told about money
    now = shift.starts_at
    CardDonationFactory(event=event, receipt_status=Donation.ReceiptStatus.FAILED)
    services.organizer_notices_plan(now=now)
    assert send_due(now) == ["sent"]
    [message] = mail.outbox
    assert message.to == [finance.email]
    assert "1 receipt could not be sent" in message.body
    # A second one within the hour waits; after it, one more notice.
    CardDonationFactory(event=event, receipt_status=Donation.ReceiptStatus.FAILED)
    services.organizer_notices_plan(now=now + dt.timedelta(minutes=30))
    assert send_due(now + dt.timedelta(minutes=30)) == []
    later = now + dt.timedelta(minutes=61)
    services.organizer_notices_plan(now=later)
    services.organizer_notices_plan(now=later + dt.timedelta(hours=2))  # nothing new: nothing
    assert send_due(later + dt.timedelta(hours=2)) == ["sent"]
    assert "2 receipts could not be sent" in mail.outbox[-1].body


def test_the_day_ends_with_a_summary_to_its_organizers(settings) -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    event = shift.corner.event
    lead = MembershipFactory(event=event, role=Membership.Role.LEAD).user
    lead.preferred_language = "es"
    lead.save()
    ended = event.ends_at + dt.timedelta(minutes=1)
    services.organizer_notices_plan(now=event.ends_at - dt.timedelta(minutes=1))
    assert send_due(event.ends_at - dt.timedelta(minutes=1)) == []
    services.organizer_notices_plan(now=ended)
    services.organizer_notices_plan(now=ended + dt.timedelta(minutes=5))
    assert send_due(ended + dt.timedelta(minutes=5)) == ["sent"]
    [message] = mail.outbox
    assert message.to == [lead.email]
    assert "recaudado" in message.subject
    assert "Voluntarios que se registraron" in message.body


def test_a_message_to_a_shift_reaches_its_volunteers_in_their_language_by_email_and_text(
    client: Client,
) -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    event = shift.corner.event
    at = shift.starts_at - dt.timedelta(days=10)
    ana = signed_up(shift, at=at, name="Ana García")
    rosa = signed_up(shift, at=at, language="es", name="Rosa Pérez")
    other_shift = ShiftFactory(corner=CornerFactory(event=event), starts_at=shift.starts_at,
                               ends_at=shift.ends_at)  # fmt: skip
    elsewhere = signed_up(other_shift, at=at)
    preferences.text_consent_set(
        user=rosa.user, texts=True, phone="559-555-0142", language="es", now=at
    )
    organizer = MembershipFactory(event=event, role=Membership.Role.ORGANIZER).user
    client.force_login(organizer)
    url = reverse("notices:messages", args=[event.slug])
    answer = client.post(url, {
        "scope": "shift", "shift": shift.pk, "subject": "Move to the north side",
        "body": "The city is working on the sidewalk: stand on the north side of Shaw.",
        "subject_es": "Muévanse al lado norte",
        "body_es": "La ciudad trabaja en la banqueta: párense en el lado norte de Shaw.",
    }, follow=True)  # fmt: skip
    assert "Your message is on its way to 2 volunteers." in answer.content.decode()
    now = Broadcast.objects.get().created_at
    assert sorted(send_due(now)) == ["sent", "sent", "sent"]
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {ana.user.email, rosa.user.email}
    assert elsewhere.user.email not in by_address
    assert by_address[rosa.user.email].subject.endswith("Muévanse al lado norte")
    assert "párense en el lado norte" in by_address[rosa.user.email].body
    assert "unsubscribe" not in by_address[ana.user.email].body  # about the shift they hold
    [text] = sms.outbox
    assert text.body.startswith("Pledgeday, de los organizadores: La ciudad trabaja")
    page = client.get(url).content.decode()
    assert "Move to the north side" in page
    assert "Sent: 3" in page
    log = client.get(reverse("notices:log", args=[event.slug]), {"kind": "message"})
    assert log.content.decode().count("“Move to the north side”") == 3
    assert "Rosa Pérez" in log.content.decode()
    assert (
        "Rosa Pérez"
        not in client.get(
            reverse("notices:log", args=[event.slug]), {"kind": "reminder"}
        ).content.decode()
    )


def test_a_message_to_the_whole_day_reaches_everyone_and_is_limited_per_hour() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    event = shift.corner.event
    ana = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    author = MembershipFactory(event=event, role=Membership.Role.ORGANIZER).user
    now = shift.starts_at - dt.timedelta(days=1)
    for number in range(broadcasts.HOURLY_LIMIT):
        broadcasts.broadcast_create(event=event, author=author, scope="event",
                                    subject=f"Note {number}", body="Parking is at the church.",
                                    now=now + dt.timedelta(minutes=number))  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        broadcasts.broadcast_create(event=event, author=author, scope="event", subject="One more",
                                    body="…", now=now + dt.timedelta(minutes=30))  # fmt: skip
    assert refused.value.code == "rate"
    assert Broadcast.objects.count() == broadcasts.HOURLY_LIMIT
    assert len(send_due(now + dt.timedelta(minutes=30))) == broadcasts.HOURLY_LIMIT
    # Everyone it reaches holds a shift that day: essential, so no unsubscribe link...
    assert "/notices/unsubscribe/" not in mail.outbox[0].body
    # ...and an unsubscribe from last year's thank-you does not silence it.
    preferences.subscription_set(user_id=ana.user_id, topic="news", subscribed=False,
                                 how="link", now=now)  # fmt: skip
    Broadcast.objects.filter(event=event).update(created_at=now - dt.timedelta(hours=2))
    broadcasts.broadcast_create(event=event, author=author, scope="event",
                                subject="Storm:\ncancelled", body="The day is cancelled.",
                                now=now + dt.timedelta(hours=1))  # fmt: skip
    assert send_due(now + dt.timedelta(hours=1)) == ["sent"]
    assert mail.outbox[-1].subject.endswith("Storm: cancelled")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"scope": "shift"}, "shift"),
        ({"scope": "corner"}, "corner"),
        ({"scope": "event", "subject": " "}, "empty"),
        ({"scope": "event", "subject_es": "Hola"}, "half"),
        ({"scope": "event", "body": "x" * 2001}, "long"),
        ({"scope": "everyone"}, "scope"),
        ({"scope": "corner", "corner": "this day's empty corner"}, "nobody"),
    ],
)
def test_a_message_that_cannot_go_says_why_and_writes_nothing(fields: dict, code: str) -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    other_day = shift_at(dt.datetime(2031, 6, 17, 9, 0, tzinfo=FRESNO))
    values = {"subject": "Hello", "body": "Thanks!", "shift": other_day, "corner": other_day.corner}
    values.update(fields)
    if values["corner"] == "this day's empty corner":
        values["corner"] = shift.corner  # nobody signed up on it
    with pytest.raises(ValidationError) as refused:
        broadcasts.broadcast_create(
            event=shift.corner.event, author=MembershipFactory().user,
            now=shift.starts_at - dt.timedelta(days=1), **values,
        )  # fmt: skip
    assert refused.value.code == code
    assert not Broadcast.objects.exists()
    assert not Notice.objects.exists()


def test_the_log_counts_the_days_donor_receipts_without_naming_donors(client: Client) -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    event = shift.corner.event
    CardDonationFactory(event=event, receipt_status=Donation.ReceiptStatus.SENT,
                        donor_email="donor@example.org")  # fmt: skip
    CardDonationFactory(event=event, receipt_status=Donation.ReceiptStatus.FAILED)
    client.force_login(MembershipFactory(event=event, role=Membership.Role.ORGANIZER).user)
    page = client.get(reverse("notices:log", args=[event.slug])).content.decode()
    assert "Donor receipts: Sent: 1 · Failed: 1" in page
    assert "donor@example.org" not in page
