"""Text organizers type has a Spanish twin: Spanish pages, emails and texts show it when it is
filled in, and the English text when it is not (issue 11, "Spanish, all of it")."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.template import Context, Template
from django.utils import translation

from events.models import Corner, Event, Shift
from events.text import local_text, local_value
from notices import services
from tests.factories import CornerFactory, ShiftFactory, published_event, volunteer
from volunteers import services as volunteer_services

FRESNO = zoneinfo.ZoneInfo("America/Los_Angeles")


def test_the_twin_is_shown_to_spanish_readers_only_when_filled_in() -> None:
    corner = Corner(name="Blackstone & Shaw", address="NW corner", address_es="esquina noroeste")
    assert local_text(corner, "address", "es") == "esquina noroeste"
    assert local_text(corner, "address", "es-mx") == "esquina noroeste"
    assert local_text(corner, "address", "en") == "NW corner"
    assert local_text(corner, "name", "es") == "Blackstone & Shaw"  # no twin: the English
    with translation.override("es"):
        rendered = Template('{% load pledgeday %}{{ corner|local:"address" }}').render(
            Context({"corner": corner})
        )
    assert rendered == "esquina noroeste"
    assert local_value({"corner": "Shaw", "corner_es": "Shaw (sur)"}, "corner", "es") == (
        "Shaw (sur)"
    )
    assert local_value({"corner": "Shaw"}, "corner", "es") == "Shaw"


@pytest.mark.django_db
def test_a_reminder_in_spanish_names_the_corner_and_the_day_as_the_organizers_wrote_them() -> None:
    starts = dt.datetime(2031, 5, 17, 9, 0, tzinfo=FRESNO)
    event = published_event(
        title="Pledge 2 Stop Human Trafficking",
        title_es="Compromiso para Detener la Trata",
        starts_at=starts - dt.timedelta(hours=1),
        ends_at=starts + dt.timedelta(hours=8),
    )
    corner = CornerFactory(
        event=event, name="Blackstone & Shaw", address="NW corner", address_es="esquina noroeste"
    )
    shift = ShiftFactory(corner=corner, starts_at=starts, ends_at=starts + dt.timedelta(hours=3))
    shift = Shift.objects.get(pk=shift.pk)
    people = {}
    for language in ("es", "en"):
        person = volunteer()
        person.preferred_language = language
        person.save()
        people[language] = person
        volunteer_services.signup_create(
            user=person, shift=shift, now=shift.starts_at - dt.timedelta(days=3)
        )
    at = shift.starts_at - dt.timedelta(hours=24)
    services.reminders_plan(now=at)
    for pk in services.notices_due(now=at):
        services.notice_send(notice_id=pk, now=at)
    spanish = next(m for m in mail.outbox if m.to == [people["es"].email])
    english = next(m for m in mail.outbox if m.to == [people["en"].email])
    assert "(esquina noroeste)" in spanish.body
    assert "Compromiso para Detener la Trata" in spanish.body
    assert "(NW corner)" in english.body
    assert "Pledge 2 Stop Human Trafficking" in english.body
    assert "NW corner" not in spanish.body
    assert Event.objects.get(pk=event.pk).title_es  # the twin was stored, not only shown


@pytest.mark.django_db
def test_the_admin_marks_each_missing_spanish_twin_and_counts_them_in_the_lists(client) -> None:
    from django.urls import reverse

    from events.twins import twins_missing
    from tests.factories import UserFactory

    event = published_event(
        title="Pledge Day", title_es="Día del Compromiso", waiver_text="Stay on the sidewalk."
    )
    corner = CornerFactory(event=event, address="NW corner", address_es="")
    assert "waiver_text" in twins_missing(event)
    assert "title" not in twins_missing(event)
    assert twins_missing(corner) == ["address"]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    at = page.index('name="waiver_text_es"')
    waiver = page[page.rindex("<textarea", 0, at) : page.index(">", at)]
    assert 'class="twin-missing"' in waiver
    assert page.count("Missing: Spanish readers see the English text") == len(twins_missing(event))
    listing = client.get(reverse("admin:events_event_changelist")).content.decode()
    assert "missing: " in listing
    assert "volunteer waiver" in listing
    corners = client.get(reverse("admin:events_corner_changelist")).content.decode()
    assert "missing: address or landmark" in corners
    corner.address_es = "esquina noroeste"
    corner.save()
    corners = client.get(reverse("admin:events_corner_changelist")).content.decode()
    assert "missing:" not in corners
    assert "Corner" in corners or "corner" in corners
    assert Corner.objects.get(pk=corner.pk).address_es == "esquina noroeste"


@pytest.mark.django_db
def test_the_big_screen_in_spanish_shows_the_spanish_title_and_corner_names(client) -> None:
    from tests.support.live_day import live_day, paid_gift

    day = live_day()
    Event.objects.filter(pk=day.event.pk).update(title_es="Compromiso para Detener la Trata")
    corner = day.corners[0]
    Corner.objects.filter(pk=corner.pk).update(name_es="Blackstone y Shaw")
    paid_gift(day.event, 2500, corner=corner)
    spanish = client.get(f"/events/{day.event.slug}/screen/?lang=es").content.decode()
    english = client.get(f"/events/{day.event.slug}/screen/?lang=en").content.decode()
    assert "Compromiso para Detener la Trata" in spanish
    assert "Blackstone y Shaw" in spanish
    assert "Compromiso para Detener la Trata" not in english
    assert "Blackstone y Shaw" not in english
