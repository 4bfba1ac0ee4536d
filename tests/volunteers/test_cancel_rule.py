"""One rule for whether a place can be cancelled (review of issue 11): the service, My shifts and
the confirmation page ask the same question, so a page never offers what the service refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import open_shift, volunteer
from tests.support.volunteering import signed_up, text
from volunteers import selectors, services
from volunteers.models import Signup

pytestmark = pytest.mark.django_db


def test_a_checked_in_volunteer_is_not_offered_a_cancel_the_service_would_refuse(
    client: Client,
) -> None:
    shift, user = open_shift(), volunteer()
    signup = signed_up(user, shift)
    Signup.objects.filter(pk=signup.pk).update(checked_in_at=timezone.now())
    client.force_login(user)
    page = text(client.get(reverse("volunteers:signup_cancel", args=[signup.pk])))
    assert "You have already checked in on this shift" in page
    assert "Yes, cancel my shift" not in page
    mine = selectors.user_upcoming_signups(user=user, now=timezone.now())
    assert [item.can_cancel for item in mine] == [False]
    signup.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.signup_cancel(signup=signup, now=timezone.now())
    assert refused.value.code == "checked_in"


def test_the_pages_and_the_service_agree_on_the_cut_off() -> None:
    shift, user = open_shift(), volunteer()
    signup = signed_up(user, shift)
    event = shift.corner.event
    cutoff = shift.starts_at - dt.timedelta(hours=event.cancellation_cutoff_hours)
    for now, allowed in ((cutoff - dt.timedelta(minutes=1), True), (cutoff, False)):
        refusal = selectors.signup_cancel_refusal(signup=signup, now=now)
        assert (refusal is None) is allowed
    with pytest.raises(ValidationError) as refused:
        services.signup_cancel(signup=signup, now=cutoff)
    assert refused.value.code == "too_late"
    services.signup_cancel(signup=signup, now=cutoff - dt.timedelta(minutes=1))


def test_a_waiver_accepted_in_spanish_records_the_spanish_words(client: Client) -> None:
    from django.utils import translation

    from events.models import Event
    from volunteers.models import WaiverAcceptance

    shift = open_shift()
    event = shift.corner.event
    Event.objects.filter(pk=event.pk).update(
        waiver_text="Stay on the sidewalk.", waiver_text_es="Quédate en la banqueta."
    )
    user = volunteer()
    with translation.override("es"):
        services.signup_create(user=user, shift=shift, now=timezone.now(), accept_waiver=True)
    acceptance = WaiverAcceptance.objects.get(user=user)
    assert (acceptance.language, acceptance.text) == ("es", "Quédate en la banqueta.")
