"""Text messages (issue 10): only to volunteers who agreed on their profile (the wording, its
language and the time recorded), each one SMS segment in English and Spanish, sent once with
its email twin; STOP (a reply through Twilio's webhook, checked by its signature, or the
provider refusing the number) ends them."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sms
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from notices import preferences, services, texts
from notices.models import Notice, TextConsent
from tests.factories import volunteer
from tests.notices.test_reminders import FRESNO, run_scan, shift_at, signed_up
from tests.support.texting import RefusingSmsBackend
from volunteers import services as volunteer_services
from volunteers.models import Signup

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2031, 5, 1, 12, 0, tzinfo=dt.UTC)


def agree(signup: Signup, phone: str = "(559) 555-0142") -> TextConsent:
    consent = preferences.text_consent_set(
        user=signup.user, texts=True, phone=phone, language=signup.user.preferred_language,
        now=signup.created_at,
    )  # fmt: skip
    assert consent is not None
    return consent


def test_consent_records_the_number_the_wording_shown_its_language_and_the_time() -> None:
    person = volunteer()
    consent = preferences.text_consent_set(
        user=person, texts=True, phone="559 555 0142", language="es", now=NOW
    )
    assert consent is not None
    assert (consent.phone, consent.language, consent.given_at) == ("+15595550142", "es", NOW)
    assert consent.wording.startswith("Envíenme mensajes de texto a este número")
    assert "STOP" in consent.wording
    # The same answer again changes nothing; a new number ends the old consent and records anew.
    same = preferences.text_consent_set(
        user=person, texts=True, phone="+1 559-555-0142", language="es", now=NOW
    )
    assert same is not None
    assert same.pk == consent.pk
    later = NOW + dt.timedelta(days=1)
    other = preferences.text_consent_set(
        user=person, texts=True, phone="559-555-0199", language="en", now=later
    )
    assert other is not None
    assert other.wording.startswith("Text me at this number")
    consent.refresh_from_db()
    assert (consent.withdrawn_at, consent.withdrawn_how) == (later, "number")
    assert preferences.text_consent_set(
        user=person, texts=False, phone="", language="en", now=later
    ) is None  # fmt: skip
    assert TextConsent.objects.filter(withdrawn_at__isnull=True).count() == 0
    assert list(TextConsent.objects.values_list("withdrawn_how", flat=True)) == [
        "profile",
        "number",
    ]


def test_a_number_that_cannot_be_texted_is_refused_in_the_persons_language() -> None:
    with translation.override("es"), pytest.raises(ValidationError) as refused:
        preferences.text_consent_set(
            user=volunteer(), texts=True, phone="12", language="es", now=NOW
        )
    assert refused.value.code == "phone_invalid"
    assert refused.value.messages == ["Este no es un número de teléfono al que podamos escribir."]


def test_the_profile_page_records_consent_and_shows_the_wording(client: Client) -> None:
    person = volunteer(phone="559-555-0142")
    client.force_login(person)
    page = client.get(reverse("volunteers:profile"))
    assert "Text me at this number about the shifts I sign up for" in page.content.decode()
    data = {
        "name": "Ana García", "phone": "559-555-0142", "preferred_language": "en",
        "age_band": "18+", "emergency_contact_name": "Rosa",
        "emergency_contact_phone": "559-555-0100",
        "texts": "on", "future_days": "on",
    }  # fmt: skip
    assert client.post(reverse("volunteers:profile"), data).status_code == 302
    consent = preferences.text_consent(person.pk)
    assert consent is not None
    assert consent.phone == "+15595550142"
    assert preferences.subscribed(person.pk, "future_days")
    data.pop("texts")
    data["phone"] = "not a phone"
    assert client.post(reverse("volunteers:profile"), data).status_code == 302  # no texts: fine
    assert preferences.text_consent(person.pk) is None
    data["texts"] = "on"
    page = client.post(reverse("volunteers:profile"), data)
    assert page.status_code == 200
    assert "This is not a phone number we can text." in page.content.decode()
    assert preferences.text_consent(person.pk) is None


def test_a_reminder_goes_by_text_too_once_in_the_volunteers_language() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    at = shift.starts_at - dt.timedelta(days=10)
    ana = signed_up(shift, at=at, language="es", name="Ana García")
    signed_up(shift, at=at, name="Luis Martínez")  # email only
    agree(ana)
    at_24 = shift.starts_at - dt.timedelta(hours=24)
    assert sorted(run_scan(at_24)) == ["sent", "sent", "sent"]
    assert run_scan(at_24 + dt.timedelta(minutes=1)) == []
    [text] = sms.outbox
    assert text.recipients == ["+15595550142"]
    assert text.body == (
        "Recordatorio de Pledgeday: tu turno en Blackstone & Shaw es sab, 17 de mayo, 09:00. "
        "Con Luis. Ayuda: (559) 555-0142. STOP para salir"
    )
    row = Notice.objects.get(channel=Notice.Channel.SMS)
    assert (row.status, row.address, row.language) == ("sent", "+15595550142", "es")


def test_texts_stopped_after_planning_are_not_sent() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    ana = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    agree(ana)
    at_2 = shift.starts_at - dt.timedelta(hours=2)
    services.reminders_plan(now=at_2)
    preferences.text_consent_stop(phone="+15595550142", how="stop", now=at_2)
    outcomes = [
        services.notice_send(notice_id=pk, now=at_2) for pk in services.notices_due(now=at_2)
    ]
    assert sorted(outcomes) == ["sent", "skipped"]  # the email; the text
    assert sms.outbox == []


def test_a_number_the_provider_refuses_for_stop_ends_the_consent_and_is_not_retried() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    ana = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    agree(ana)
    at_2 = shift.starts_at - dt.timedelta(hours=2)
    refused = TwilioRestException(
        400, "https://api.twilio.com", msg="Unsubscribed recipient", code=21610
    )
    busy = TwilioRestException(503, "https://api.twilio.com", msg="Service unavailable", code=20503)
    with override_settings(SMS_BACKEND="tests.support.texting.RefusingSmsBackend"):
        RefusingSmsBackend.errors = [busy, refused]
        services.reminders_plan(now=at_2)
        sms_row = Notice.objects.filter(channel="sms").order_by("pk").first()
        assert sms_row is not None
        assert services.notice_send(notice_id=sms_row.pk, now=at_2) == "retry"
        later = at_2 + services.RETRY_AFTER
        assert services.notice_send(notice_id=sms_row.pk, now=later) == "failed"
    sms_row.refresh_from_db()
    assert (sms_row.status, sms_row.attempts, sms_row.error) == (
        "failed",
        2,
        "Unsubscribed recipient",
    )
    consent = TextConsent.objects.get()
    assert consent.withdrawn_how == "stop"  # Twilio's 21610: the number replied STOP


@override_settings(TWILIO_AUTH_TOKEN="twilio-test-token", SITE_URL="https://pledge.example.org")
def test_a_stop_reply_through_twilios_signed_webhook_ends_texts_to_that_number(
    client: Client,
) -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    agree(signed_up(shift, at=shift.starts_at - dt.timedelta(days=10)))
    url = reverse("notices:sms_inbound")
    form = {"From": "+15595550142", "To": "+15595550100", "Body": "Stop", "MessageSid": "SM1"}
    signature = RequestValidator("twilio-test-token").compute_signature(
        "https://pledge.example.org" + url, form
    )
    forged = client.post(url, form, HTTP_X_TWILIO_SIGNATURE="forged")
    assert forged.status_code == 403
    assert preferences.text_consent(TextConsent.objects.get().user_id) is not None
    answer = client.post(url, form, HTTP_X_TWILIO_SIGNATURE=signature)
    assert answer.status_code == 200
    assert answer.content == b"<Response/>"
    consent = TextConsent.objects.get()
    assert consent.withdrawn_how == "stop"
    # Spanish: ALTO, as one word.
    agree(Signup.objects.get())
    form["Body"] = " alto "
    signature = RequestValidator("twilio-test-token").compute_signature(
        "https://pledge.example.org" + url, form
    )
    assert client.post(url, form, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 200
    assert not TextConsent.objects.filter(withdrawn_at__isnull=True).exists()


def test_without_a_twilio_token_the_webhook_is_not_there(client: Client) -> None:
    assert client.post(reverse("notices:sms_inbound"), {"Body": "STOP"}).status_code == 404


def test_every_kind_of_text_is_one_segment_in_both_languages_at_the_longest() -> None:
    """The longest corner name, coordinator phone, buddy name, place in line and dates."""
    shift = shift_at(dt.datetime(2031, 9, 24, 12, 30, tzinfo=FRESNO))  # a Wednesday in September
    shift.corner.name = "Blackstone Avenue & East Shaw Avenue (northeast corner)"
    shift.corner.save()
    event = shift.corner.event
    event.volunteer_coordinator_phone = "+1 (559) 555-0142 ext. 1234"
    event.save()
    at = shift.starts_at - dt.timedelta(days=10)
    first = signed_up(shift, at=at, name="Maximiliano-Bartolomé Fernández")
    ana = signed_up(shift, at=at, name="Ana")
    ana.refresh_from_db()
    was = services.shift_place(ana) | {"corner": "Cedar Avenue & East Kings Canyon Road, east side"}
    reason = "The city closed the corner for road work on Blackstone until further notice"
    details = [{"was": was}, {"was": was, "shift_cancelled": True, "reason": reason}]
    for kind in Notice.Kind.values:
        if kind not in services.TEXT_KINDS or kind == Notice.Kind.MESSAGE:
            continue
        for language, detail in itertools.product(("en", "es"), details):
            notice = Notice(
                user=ana.user, event=event, kind=kind, key="k", channel="sms", signup=ana,
                detail=detail, due_at=at, created_at=at,
            )  # fmt: skip
            text = texts.text_render(notice, now=at, language=language)
            assert set(text) <= texts.GSM_BASIC | texts.GSM_EXTENDED, (kind, language, text)
            assert texts.septets(text) <= texts.SEGMENT, (kind, language, len(text), text)
            assert "by email)" not in text
            assert "por correo)" not in text
    assert first.user.name.startswith("Maximiliano")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_spelled_in_the_gsm_alphabet(text: str) -> None:
    fitted = texts.sms_fit(text)
    assert set(fitted) <= texts.GSM_BASIC | texts.GSM_EXTENDED
    assert len(fitted) >= len(text)


def test_sms_fit_keeps_what_the_alphabet_has_and_spells_the_rest() -> None:
    assert texts.sms_fit("Niño, café, acción – “hoy”…") == 'Niño, café, accion - "hoy"...'


def test_an_organizer_cancelling_a_place_tells_the_volunteer_by_email_and_text() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    ana = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10), name="Ana García")
    agree(ana)
    now = shift.starts_at - dt.timedelta(hours=3)
    volunteer_services.signup_cancel(signup=ana, now=now, by_organizer=True)
    assert [
        services.notice_send(notice_id=pk, now=now) for pk in services.notices_due(now=now)
    ] == [
        "sent",
        "sent",
    ]
    [text] = sms.outbox
    assert text.body.startswith("Pledgeday: an organizer cancelled your place at Blackstone & Shaw")
    assert timezone.is_aware(now)


def test_a_long_message_from_the_organizers_is_cut_to_one_text_saying_the_rest_is_emailed() -> None:
    from notices.models import Broadcast

    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    ana = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    body = "Parking is behind the church on Shaw; " * 10
    broadcast = Broadcast.objects.create(
        event=shift.corner.event, scope="shift", shift=shift, subject="Parking", body=body,
        body_es="Estacionen detrás de la iglesia en Shaw; " * 10, author=ana.user,
        created_at=NOW, recipients=1,
    )  # fmt: skip
    for language, ending in (
        ("en", "... (all of it by email) STOP to end"),
        ("es", "... (completo por correo) STOP para salir"),
    ):
        notice = Notice(user=ana.user, event=shift.corner.event, kind="message", key="m",
                        channel="sms", signup=ana, broadcast=broadcast, due_at=NOW,
                        created_at=NOW)  # fmt: skip
        text = texts.text_render(notice, now=NOW, language=language)
        assert text.endswith(ending), text
        assert texts.septets(text) <= texts.SEGMENT


def test_a_cancelled_shifts_text_carries_the_whole_reason_when_it_fits_else_whole_words() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    ana = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    for reason, shown in (
        ("Obras en la calle cerraron la esquina", "(Obras en la calle cerraron la esquina)"),
        ("The city closed Blackstone for a parade and the police asked us to stay off the "
         "sidewalks between Shaw and Bullard all morning", "..."),
    ):  # fmt: skip
        notice = Notice(user=ana.user, event=shift.corner.event, kind="cancelled", key="c",
                        channel="sms", signup=ana, due_at=NOW, created_at=NOW,
                        detail={"shift_cancelled": True, "reason": reason})  # fmt: skip
        text = texts.text_render(notice, now=NOW, language="es")
        assert shown in text, text
        assert texts.septets(text) <= texts.SEGMENT
        words = text.split("(", 1)[1].split(")", 1)[0].removesuffix("...").split()
        assert all(word in reason for word in words), text  # no word cut in two
