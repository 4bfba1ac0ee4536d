"""A browser's date and time inputs read only ISO values (2026-11-01, 14:00): a form shown in
Spanish must not fill them with the localized date ("01/11/2026"), which the browser shows as
empty — and which, saved unchanged, erased a minor's guardian consent date."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import volunteer
from volunteers.forms import BulkShiftsForm, PoolForm, ShiftCapacityForm
from volunteers.models import AgeBand, Profile

pytestmark = pytest.mark.django_db


def test_a_minors_consent_date_survives_saving_the_profile_in_spanish(client: Client) -> None:
    lupe = volunteer(
        age_band=AgeBand.MINOR, guardian_name="Rosa Ramírez", guardian_contact="559-555-0198",
        guardian_consent_on=dt.date(2026, 11, 1),
    )  # fmt: skip
    lupe.preferred_language = "es"
    lupe.save()
    client.force_login(lupe)
    page = client.get(reverse("volunteers:profile"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert re.search(r'name="guardian_consent_on"[^>]*value="2026-11-01"', page), page
    # What a browser sends back: every field as the page filled it.
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page))
    fields.update(age_band="16-17", preferred_language="es", name="Lupe Ramírez")
    fields.pop("texts", None)
    fields.pop("future_days", None)
    fields.pop("leaderboard_opt_out", None)
    client.post(reverse("volunteers:profile"), fields, HTTP_ACCEPT_LANGUAGE="es")
    assert Profile.objects.get(user=lupe).guardian_consent_on == dt.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("form", "field", "value", "shown"),
    [
        (ShiftCapacityForm(initial={"day": dt.date(2026, 12, 12)}), "day", None, "2026-12-12"),
        (ShiftCapacityForm(initial={"starts": dt.time(14, 0)}), "starts", None, "14:00"),
        (PoolForm(cities=[], initial={"available_from": dt.time(9, 30)}), "available_from", None,
         "09:30"),
        (BulkShiftsForm, "day", dt.date(2026, 12, 12), "2026-12-12"),
    ],
)  # fmt: skip
def test_date_and_time_inputs_are_filled_in_iso_in_spanish(form, field, value, shown) -> None:
    from django.utils import translation

    with translation.override("es"):
        if isinstance(form, type):
            from tests.factories import EventFactory

            form = form(event=EventFactory(), initial={field: value})
        html = str(form[field])
    assert f'value="{shown}"' in html, html
