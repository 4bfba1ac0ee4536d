"""A volunteer may keep their name off public leaderboards (the big screen); minors never appear
there, whatever they choose."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import ProfileFactory, UserFactory
from tests.volunteers.test_pages import profile_data
from volunteers.models import AgeBand, Profile

pytestmark = pytest.mark.django_db


def test_the_profile_page_offers_to_keep_my_name_off_public_leaderboards(client: Client) -> None:
    client.force_login(ProfileFactory().user)
    page = client.get(reverse("volunteers:profile")).content.decode()
    assert 'name="leaderboard_opt_out"' in page
    assert "Volunteers under 18 never appear there." in page


def test_the_profile_page_saves_the_opt_out_and_takes_it_back(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("volunteers:profile"), profile_data(leaderboard_opt_out="on"))
    assert Profile.objects.get(user=user).leaderboard_opt_out is True
    page = client.get(reverse("volunteers:profile")).content.decode()
    assert re.search(r'name="leaderboard_opt_out"[^>]*checked', page)
    client.post(reverse("volunteers:profile"), profile_data())
    assert Profile.objects.get(user=user).leaderboard_opt_out is False


@pytest.mark.parametrize(
    ("age_band", "opted_out", "named"),
    [
        (AgeBand.ADULT, False, True),
        (AgeBand.ADULT, True, False),
        (AgeBand.MINOR, False, False),
        (AgeBand.CHILD, False, False),
    ],
)
def test_only_adults_who_did_not_opt_out_are_named_publicly(
    age_band: str, opted_out: bool, named: bool
) -> None:
    profile = ProfileFactory(age_band=age_band, leaderboard_opt_out=opted_out)
    assert profile.named_publicly is named
