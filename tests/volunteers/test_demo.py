"""The demo data command builds a realistic pledge day and can run any number of times."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from events.models import Bucket, Corner, Event, EventPartner, Membership, Organization, Shift
from volunteers.demo import EVENT_SLUG
from volunteers.models import User

pytestmark = pytest.mark.django_db

MODELS = [Organization, Event, EventPartner, Corner, Shift, Bucket, User, Membership]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_the_demo_is_a_published_central_valley_pledge_day() -> None:
    call_command("seed_demo", "--force", stdout=StringIO())
    event = Event.objects.get(slug=EVENT_SLUG)
    assert event.status == Event.Status.PUBLISHED
    assert event.partners.count() == 4
    assert sum(event.partners.values_list("share_bp", flat=True)) == 10_000
    assert set(event.corners.values_list("city", flat=True)) == {
        "Fresno",
        "Clovis",
        "Kerman",
        "Madera",
    }
    assert event.corners.filter(name="Blackstone & Shaw").exists()
    assert Shift.objects.filter(corner__event=event).count() == 20
    assert event.buckets.count() == 10
    local = event.starts_at.astimezone(event.tzinfo)
    assert (local.weekday(), local.hour) == (5, 7)  # a Saturday, from 7:00
    assert event.starts_at > dt.datetime.now(dt.UTC)


def test_the_demo_has_an_organizer_and_volunteers_who_can_sign_in(client) -> None:
    call_command("seed_demo", "--force", stdout=StringIO())
    assert Membership.objects.filter(user__email="organizer@pledgeday.test").exists()
    assert User.objects.filter(preferred_language="es").count() >= 2
    response = client.post(
        "/accounts/login/", {"login": "organizer@pledgeday.test", "password": "pledgeday-demo"}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_the_demo_command_can_run_twice_without_duplicating_anything() -> None:
    call_command("seed_demo", "--force", stdout=StringIO())
    first = counts()
    tokens = set(Bucket.objects.values_list("token", flat=True))
    call_command("seed_demo", "--force", stdout=StringIO())
    assert counts() == first
    assert set(Bucket.objects.values_list("token", flat=True)) == tokens


def test_the_demo_command_prints_the_logins() -> None:
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)
    assert "organizer@pledgeday.test" in out.getvalue()
    assert "pledgeday-demo" in out.getvalue()


def test_the_demo_command_refuses_to_run_without_debug() -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_the_upcoming_demo_day_has_no_bucket_out_and_its_qr_pages_say_so(client) -> None:
    """Nobody stands on a corner before the day: a bucket out weeks early (with check-ins
    recorded for later) would tell a donor a sticker is official when no one is there."""
    from volunteers.models import BucketAssignment, Signup

    call_command("seed_demo", "--force", stdout=StringIO())
    assert not BucketAssignment.objects.exists()
    assert not Signup.objects.filter(checked_in_at__isnull=False).exists()
    bucket = Bucket.objects.get(label="B-01")
    page = client.get(f"/g/{bucket.token}").content.decode()
    assert "not out right now" in page


def test_the_demo_has_every_spanish_twin_an_organizer_should_fill_in() -> None:
    from events.models import Corner, Event, Organization
    from events.twins import twins_missing

    call_command("seed_demo", "--force", "--live-day", stdout=StringIO())
    for model in (Event, Organization, Corner):
        for obj in model.objects.all():
            assert twins_missing(obj) == [], obj
