"""The shared core's services: partner shares, publishing and the live-status scan."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from events import services
from events.models import Event, EventPartner
from tests.factories import EventFactory, EventPartnerFactory, OrganizationFactory, published_event

pytestmark = pytest.mark.django_db


def test_partners_replace_sets_the_shares() -> None:
    event = EventFactory()
    a, b = OrganizationFactory(), OrganizationFactory()
    services.event_partners_replace(event=event, shares=[(a, 7000), (b, 3000)])
    assert {(p.organization_id, p.share_bp) for p in event.partners.all()} == {
        (a.pk, 7000),
        (b.pk, 3000),
    }


def test_partners_replace_can_move_share_from_one_partner_to_another() -> None:
    event = EventFactory()
    a, b = OrganizationFactory(), OrganizationFactory()
    services.event_partners_replace(event=event, shares=[(a, 5000), (b, 5000)])
    services.event_partners_replace(event=event, shares=[(b, 7000), (a, 3000)])
    assert sorted(event.partners.values_list("share_bp", flat=True)) == [3000, 7000]


def test_partners_replace_refuses_more_than_100_percent_with_a_clear_message() -> None:
    event = EventFactory()
    with pytest.raises(ValidationError, match=r"100\.01%"):
        services.event_partners_replace(
            event=event, shares=[(OrganizationFactory(), 5001), (OrganizationFactory(), 5000)]
        )
    assert not EventPartner.objects.filter(event=event).exists()


def test_partners_replace_refuses_the_same_organization_twice() -> None:
    event, organization = EventFactory(), OrganizationFactory()
    with pytest.raises(ValidationError, match="only once"):
        services.event_partners_replace(
            event=event, shares=[(organization, 5000), (organization, 5000)]
        )


def test_partners_replace_refuses_a_zero_share() -> None:
    with pytest.raises(ValidationError, match="between"):
        services.event_partners_replace(event=EventFactory(), shares=[(OrganizationFactory(), 0)])


def test_a_draft_may_hold_shares_under_100_percent() -> None:
    event = EventFactory()
    services.event_partners_replace(event=event, shares=[(OrganizationFactory(), 2500)])
    assert event.partners.get().share_bp == 2500


def test_a_published_event_needs_shares_of_exactly_100_percent() -> None:
    event = published_event()
    with pytest.raises(ValidationError, match="exactly 100%"):
        services.event_partners_replace(event=event, shares=[(OrganizationFactory(), 9000)])
    assert sum(event.partners.values_list("share_bp", flat=True)) == 10_000


def test_shares_of_a_live_event_cannot_change() -> None:
    event = published_event()
    Event.objects.filter(pk=event.pk).update(status=Event.Status.LIVE)
    with pytest.raises(ValidationError, match="live or closed"):
        services.event_partners_replace(event=event, shares=[(OrganizationFactory(), 10_000)])


def test_publishing_refuses_an_event_without_partners() -> None:
    event = EventFactory()
    with pytest.raises(ValidationError, match="Add the partner organizations"):
        services.event_publish(event=event)
    event.refresh_from_db()
    assert event.status == Event.Status.DRAFT


def test_publishing_refuses_shares_under_100_percent() -> None:
    event = EventFactory()
    EventPartnerFactory(event=event, share_bp=9000)
    with pytest.raises(ValidationError, match="90%"):
        services.event_publish(event=event)


def test_publishing_a_complete_draft_makes_it_public() -> None:
    event = published_event()
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED


def test_publishing_twice_is_refused() -> None:
    event = published_event()
    with pytest.raises(ValidationError, match="Only a draft"):
        services.event_publish(event=event)


def test_the_status_scan_turns_started_published_events_live() -> None:
    started = published_event()
    upcoming = published_event(
        starts_at=started.starts_at + dt.timedelta(days=7),
        ends_at=started.ends_at + dt.timedelta(days=7),
    )
    draft = EventFactory()
    changed = services.events_advance_status(now=started.starts_at + dt.timedelta(minutes=1))
    assert changed == {"live": 1, "closed": 0}
    assert Event.objects.get(pk=started.pk).status == Event.Status.LIVE
    assert Event.objects.get(pk=upcoming.pk).status == Event.Status.PUBLISHED
    assert Event.objects.get(pk=draft.pk).status == Event.Status.DRAFT


def test_the_status_scan_is_harmless_when_run_again() -> None:
    event = published_event()
    now = event.starts_at + dt.timedelta(minutes=1)
    services.events_advance_status(now=now)
    assert services.events_advance_status(now=now) == {"live": 0, "closed": 0}


def test_the_status_scan_closes_events_once_their_grace_period_has_passed() -> None:
    event = published_event()  # ends at 19:00; a grace of 24 hours by default
    Event.objects.filter(pk=event.pk).update(status=Event.Status.LIVE)
    draft = EventFactory(ends_at=event.ends_at)
    just_before = event.ends_at + dt.timedelta(hours=24) - dt.timedelta(seconds=1)
    assert services.events_advance_status(now=just_before) == {"live": 0, "closed": 0}
    after = event.ends_at + dt.timedelta(hours=24)
    assert services.events_advance_status(now=after) == {"live": 0, "closed": 1}
    closed = Event.objects.get(pk=event.pk)
    assert (closed.status, closed.closed_at) == (Event.Status.CLOSED, after)
    assert Event.objects.get(pk=draft.pk).status == Event.Status.DRAFT
    assert services.events_advance_status(now=after) == {"live": 0, "closed": 0}


def test_an_event_sets_its_own_grace_period() -> None:
    event = published_event(grace_hours=2)
    assert services.events_advance_status(now=event.ends_at + dt.timedelta(hours=2)) == {
        "live": 1,
        "closed": 1,
    }
    assert Event.objects.get(pk=event.pk).status == Event.Status.CLOSED
