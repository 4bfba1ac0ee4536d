"""A shift changed or a place cancelled by an organizer (issue 10): everyone affected is told
what changed, once, in their language, by email (and text); a shift moved again tells only the
latest; a move that would give a volunteer two shifts at once is refused, naming them. The
thank-you's unsubscribe link works without signing in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from events.models import Event
from notices import preferences, services
from notices.models import Notice
from tests.factories import CornerFactory, ShiftFactory
from tests.notices.test_reminders import FRESNO, shift_at, signed_up
from volunteers import services as volunteer_services
from volunteers.models import Signup

pytestmark = pytest.mark.django_db


def send_due(now: dt.datetime) -> list[str]:
    return [services.notice_send(notice_id=pk, now=now) for pk in services.notices_due(now=now)]


def test_moving_a_shift_tells_everyone_on_it_what_changed_in_their_language() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    at = shift.starts_at - dt.timedelta(days=10)
    ana = signed_up(shift, at=at, name="Ana García")
    rosa = signed_up(shift, at=at, language="es", name="Rosa Pérez")
    cancelled = signed_up(shift, at=at)
    volunteer_services.signup_cancel(signup=cancelled, now=at)
    now = shift.starts_at - dt.timedelta(days=2)
    volunteer_services.shift_update(
        shift=shift, capacity=shift.capacity, min_volunteers=shift.min_volunteers, now=now,
        starts_at=shift.starts_at + dt.timedelta(hours=1),
        ends_at=shift.ends_at + dt.timedelta(hours=1),
    )  # fmt: skip
    assert sorted(send_due(now)) == ["sent", "sent"]  # the cancelled one is not told
    english = next(m for m in mail.outbox if m.to == [ana.user.email])
    assert english.subject.endswith("Your shift changed: Blackstone & Shaw, Saturday at 10 a.m.")
    assert "When: Saturday, May 17, 2031, 10 a.m.–1 p.m. (America/Los_Angeles)" in english.body
    assert "Before:\nWhen: Saturday, May 17, 2031, 9 a.m.–noon" in english.body
    spanish = next(m for m in mail.outbox if m.to == [rosa.user.email])
    assert "Tu turno cambió: Blackstone & Shaw, sábado a las 10:00" in spanish.subject
    assert "Antes:" in spanish.body
    assert "<s>" in spanish.alternatives[0][0]
    # The reminders follow the shift: at the new time, not the old.
    old_24 = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=old_24)
    assert send_due(old_24) == []
    new_24 = old_24 + dt.timedelta(hours=1)
    services.reminders_plan(now=new_24)
    assert send_due(new_24) == ["sent", "sent"]


def test_a_shift_moved_twice_before_the_notices_went_tells_only_the_latest() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    ana = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10))
    now = shift.starts_at - dt.timedelta(days=2)
    other = CornerFactory(event=shift.corner.event, name="Cedar & Kings Canyon", city="Fresno")
    for minutes, corner in ((1, shift.corner), (2, other)):
        volunteer_services.shift_update(
            shift=Signup.objects.get(pk=ana.pk).shift, capacity=shift.capacity,
            min_volunteers=shift.min_volunteers, now=now + dt.timedelta(minutes=minutes),
            corner=corner, starts_at=shift.starts_at + dt.timedelta(hours=minutes),
            ends_at=shift.ends_at + dt.timedelta(hours=minutes),
        )  # fmt: skip
    later = now + dt.timedelta(minutes=3)
    assert sorted(send_due(later)) == ["sent", "skipped"]
    [message] = mail.outbox
    assert "Cedar & Kings Canyon" in message.subject
    assert "Where: Blackstone & Shaw" in message.body  # before: the other corner
    skipped = Notice.objects.get(status=Notice.Status.SKIPPED)
    assert skipped.error == "the shift changed again since"


def test_a_move_that_would_double_book_a_volunteer_is_refused_naming_them() -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    ana = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10), name="Ana García")
    later = ShiftFactory(
        corner=shift.corner, starts_at=shift.ends_at + dt.timedelta(hours=2),
        ends_at=shift.ends_at + dt.timedelta(hours=5),
    )  # fmt: skip
    volunteer_services.signup_create(
        user=ana.user, shift=later, now=shift.starts_at - dt.timedelta(days=9)
    )
    with pytest.raises(ValidationError) as refused:
        volunteer_services.shift_update(
            shift=shift, capacity=shift.capacity, min_volunteers=shift.min_volunteers,
            now=shift.starts_at - dt.timedelta(days=2),
            starts_at=shift.starts_at + dt.timedelta(hours=3),
            ends_at=shift.ends_at + dt.timedelta(hours=3),
        )  # fmt: skip
    assert refused.value.code == "volunteer_overlap"
    assert refused.value.messages[0].startswith("Ana García cannot take the new time: ")
    assert not Notice.objects.filter(kind=Notice.Kind.CHANGED).exists()


def test_the_thank_you_carries_an_unsubscribe_link_that_works_without_signing_in(
    client: Client,
) -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    rosa = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10), language="es")
    Signup.objects.filter(pk=rosa.pk).update(checked_in_at=shift.starts_at)
    closed = shift.ends_at + dt.timedelta(hours=6)
    Event.objects.filter(pk=shift.corner.event_id).update(status="closed", closed_at=closed)
    services.thanks_plan(now=closed)
    assert send_due(closed) == ["sent"]
    [message] = mail.outbox
    link = preferences.unsubscribe_url(user_id=rosa.user_id, topic="news")
    assert link in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    path = link.removeprefix("http://127.0.0.1:8000")
    page = client.get(path)
    assert page.status_code == 200
    assert "Cancelar la suscripción" in page.content.decode()  # in the email's language
    assert preferences.subscribed(rosa.user_id, "news")  # a GET changes nothing
    done = client.post(path, {"List-Unsubscribe": "One-Click"})  # RFC 8058, no CSRF token
    assert "ya no recibirás estos correos" in done.content.decode()
    assert not preferences.subscribed(rosa.user_id, "news")
    # The next day's thank-you is not sent; shift notices still are.
    Notice.objects.all().delete()
    services.thanks_plan(now=closed)
    assert send_due(closed) == ["skipped"]
    client.post(path, {"again": "1"})
    assert preferences.subscribed(rosa.user_id, "news")
    assert client.get(path[:-5] + "xxxx/").status_code == 404
    assert client.get(reverse("notices:unsubscribe", args=["nonsense"])).status_code == 404


def test_a_new_day_invites_the_past_volunteers_who_asked_once(client: Client) -> None:
    past = shift_at(dt.datetime(2030, 5, 18, 9, 0, tzinfo=FRESNO))
    at = past.starts_at - dt.timedelta(days=10)
    asked = signed_up(past, at=at, language="es", name="Rosa Pérez")
    quiet = signed_up(past, at=at)  # never asked
    back_already = signed_up(past, at=at)
    for person in (asked, back_already):
        preferences.subscription_set(
            user_id=person.user_id, topic="future_days", subscribed=True, how="profile", now=at
        )
    new = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    now = new.starts_at - dt.timedelta(days=30)
    volunteer_services.signup_create(user=back_already.user, shift=new, now=now)
    assert services.invites_plan(now=now) == 1
    assert services.invites_plan(now=now + dt.timedelta(minutes=1)) == 0
    assert send_due(now) == ["sent"]
    [message] = mail.outbox
    assert message.to == [asked.user.email]
    assert message.subject.endswith(f"Inscripciones abiertas: {new.corner.event.title}")
    assert f"/events/{new.corner.event.slug}/shifts/" in message.body
    link = preferences.unsubscribe_url(user_id=asked.user_id, topic="future_days")
    assert link in message.body
    client.post(link.removeprefix("http://127.0.0.1:8000"))
    assert not preferences.subscribed(asked.user_id, "future_days")
    assert not Notice.objects.filter(user=quiet.user).exists()


def test_an_organizer_moves_a_shift_on_its_page_and_its_volunteers_are_told(
    client: Client,
) -> None:
    from events.models import Membership
    from tests.factories import MembershipFactory

    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    ana = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10), name="Ana García")
    client.force_login(
        MembershipFactory(event=shift.corner.event, role=Membership.Role.ORGANIZER).user
    )
    url = reverse("volunteers:shift_edit", args=[shift.pk])
    form = client.get(url).content.decode()
    assert 'value="2031-05-17"' in form
    assert 'value="09:00:00"' in form or 'value="09:00"' in form
    data = {"day": "2031-05-17", "starts": "10:30", "ends": "13:30", "capacity": shift.capacity,
            "min_volunteers": shift.min_volunteers}  # fmt: skip
    half = client.post(url, {**data, "ends": ""})
    assert "Give the day, the start and the end together" in half.content.decode()
    answer = client.post(url, data, follow=True)
    assert "Everyone signed up is told of the new time" in answer.content.decode()
    shift.refresh_from_db()
    assert shift.starts_at == dt.datetime(2031, 5, 17, 10, 30, tzinfo=FRESNO)
    notice = Notice.objects.get(user=ana.user, kind=Notice.Kind.CHANGED)
    assert notice.detail["was"]["starts_at"] == "2031-05-17T16:00:00+00:00"


def test_an_organizer_cancels_a_shift_and_everyone_on_it_is_told_why(client: Client) -> None:
    from events.models import Membership
    from tests.factories import MembershipFactory

    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    at = shift.starts_at - dt.timedelta(days=10)
    ana = signed_up(shift, at=at, name="Ana García")
    rosa = signed_up(shift, at=at, language="es", name="Rosa Pérez")
    preferences.text_consent_set(
        user=rosa.user, texts=True, phone="559-555-0142", language="es", now=at
    )
    client.force_login(
        MembershipFactory(event=shift.corner.event, role=Membership.Role.ORGANIZER).user
    )
    url = reverse("volunteers:shift_cancel", args=[shift.pk])
    assert "2 volunteers are signed up or waiting" in client.get(url).content.decode()
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 200  # a reason is required: the volunteers are told it
    answer = client.post(url, {"reason": "Road work closed the corner"}, follow=True)
    assert "The shift is cancelled; 2 volunteers are told why." in answer.content.decode()
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.cancelled_reason) == (0, "Road work closed the corner")
    assert set(Signup.objects.filter(shift=shift).values_list("status", flat=True)) == {"cancelled"}
    now = shift.cancelled_at
    assert sorted(send_due(now)) == ["sent", "sent", "sent"]
    english = next(m for m in mail.outbox if m.to == [ana.user.email])
    assert "cancelled this shift: Road work closed the corner" in english.body
    spanish = next(m for m in mail.outbox if m.to == [rosa.user.email])
    assert "cancelaron este turno: Road work closed the corner" in spanish.body
    import sms

    [text] = sms.outbox
    assert "fue cancelado (Road work closed the corner)" in text.body
    # No more sign-ups, no reminders, not listed, not reported as understaffed.
    with pytest.raises(ValidationError) as closed:
        signed_up(shift, at=now)
    assert closed.value.code == "cancelled"
    services.reminders_plan(now=shift.starts_at - dt.timedelta(hours=2))
    services.organizer_notices_plan(now=shift.starts_at - dt.timedelta(hours=2))
    assert not Notice.objects.filter(kind__in=["reminder", "understaffed"]).exists()
    listing = client.get(reverse("volunteers:shift_list", args=[shift.corner.event.slug]))
    assert f"/shifts/{shift.pk}/signup/" not in listing.content.decode()
    again = client.post(url, {"reason": "twice"})
    assert "already cancelled" in again.content.decode()


def test_the_unsubscribe_page_speaks_the_persons_language_without_leaking_it(
    client: Client,
) -> None:
    """The page is in the email's language; the thread's language afterwards is as before (a
    later task or test in the same thread must not speak Spanish by accident)."""
    from django.utils import translation

    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    rosa = signed_up(shift, at=shift.starts_at - dt.timedelta(days=10), language="es")
    link = preferences.unsubscribe_url(user_id=rosa.user_id, topic="news")
    before = translation.get_language()
    page = client.get(link.removeprefix("http://127.0.0.1:8000"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Cancelar la suscripción" in page.content.decode()
    assert translation.get_language() == before


def test_a_cancelled_shifts_page_says_so_instead_of_offering_a_sign_up(client: Client) -> None:
    shift = shift_at(dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO))
    volunteer_services.shift_cancel(
        shift=shift, reason="Road work", now=shift.starts_at - dt.timedelta(days=3)
    )
    person = signed_up(
        shift_at(dt.datetime(2031, 6, 17, 9, 0, tzinfo=FRESNO)),
        at=shift.starts_at - dt.timedelta(days=3),
    ).user
    client.force_login(person)
    page = client.get(reverse("volunteers:shift_signup", args=[shift.pk])).content.decode()
    assert "The organizers cancelled this shift." in page
    assert "Road work" in page
    assert "Confirm my sign-up" not in page
