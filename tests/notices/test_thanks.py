"""The thank-you after the day (issue 10): once the day closes, each volunteer who checked in
gets one, in their language, with what their corner raised and what the day raised (the
tallies, as on the big screen); once, whatever the scans."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone, translation

from donations.models import Tally
from donations.selectors import event_tally, tallies_by_key
from events.models import Event
from events.money import cents_format
from notices import services
from notices.models import Notice
from tests.support.live_day import live_day
from volunteers.models import Signup

pytestmark = pytest.mark.django_db


def test_each_volunteer_who_checked_in_is_thanked_once_with_the_totals() -> None:
    day = live_day()
    now = timezone.now()
    assert services.thanks_plan(now=now) == 0  # not closed yet
    Event.objects.filter(pk=day.event.pk).update(status=Event.Status.CLOSED, closed_at=now)
    people = set(
        Signup.objects.filter(
            shift__corner__event=day.event, checked_in_at__isnull=False
        ).values_list("user_id", flat=True)
    )
    assert {person.pk for pair in day.pairs for person in pair} <= people
    assert services.thanks_plan(now=now) == len(people)
    assert services.thanks_plan(now=now + dt.timedelta(minutes=1)) == 0  # planned once
    sent = [services.notice_send(notice_id=pk, now=now) for pk in services.notices_due(now=now)]
    assert sent == ["sent"] * len(people)
    assert len(mail.outbox) == len(people)
    person = day.pairs[0][0]
    message = next(m for m in mail.outbox if m.to == [person.email])
    corner = Notice.objects.get(user=person).signup.shift.corner
    raised = tallies_by_key(event=day.event, scope=Tally.Scope.CORNER)[str(corner.pk)]
    with translation.override(person.preferred_language):
        assert f"{corner.name} raised {cents_format(raised['raised_cents'])}." in message.body
        total = cents_format(event_tally(event=day.event)["raised_cents"])
        assert f"Together, the day raised {total} for the partner organizations." in message.body
    assert message.subject.endswith(f"Thank you for {day.event.title}")
