"""What must never be false is refused by the database itself, not only by forms or services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from events.models import Bucket, Event, EventPartner, Membership, Shift
from tests.factories import (
    BucketFactory,
    CornerFactory,
    EventFactory,
    EventPartnerFactory,
    OrganizationFactory,
    ShiftFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def refused(action) -> bool:
    """True when the database raises IntegrityError for the write (rolled back on its own)."""
    try:
        with transaction.atomic():
            action()
    except IntegrityError:
        return True
    return False


def test_a_shift_ending_before_it_starts_is_refused() -> None:
    corner = CornerFactory()
    start = corner.event.starts_at
    assert refused(
        lambda: Shift.objects.create(
            corner=corner, starts_at=start, ends_at=start - dt.timedelta(minutes=1)
        )
    )


def test_a_shift_ending_when_it_starts_is_refused() -> None:
    shift = ShiftFactory()
    assert refused(lambda: Shift.objects.filter(pk=shift.pk).update(ends_at=shift.starts_at))


def test_a_shift_without_capacity_is_refused() -> None:
    assert refused(lambda: ShiftFactory(capacity=0, min_volunteers=0))


def test_a_shift_whose_minimum_exceeds_its_capacity_is_refused() -> None:
    assert refused(lambda: ShiftFactory(capacity=2, min_volunteers=3))


def test_a_shift_can_never_hold_more_confirmed_volunteers_than_its_capacity() -> None:
    shift = ShiftFactory(capacity=2)
    assert not refused(lambda: Shift.objects.filter(pk=shift.pk).update(confirmed_count=2))
    assert refused(lambda: Shift.objects.filter(pk=shift.pk).update(confirmed_count=3))


def test_an_event_ending_before_it_starts_is_refused() -> None:
    event = EventFactory()
    assert refused(lambda: Event.objects.filter(pk=event.pk).update(ends_at=event.starts_at))


def test_an_unknown_currency_is_refused() -> None:
    event = EventFactory()
    assert refused(lambda: Event.objects.filter(pk=event.pk).update(currency="xxx"))


def test_a_duplicate_bucket_token_is_refused() -> None:
    first = BucketFactory()
    assert refused(lambda: BucketFactory(event=first.event, token=first.token))


def test_a_duplicate_bucket_token_is_refused_across_events() -> None:
    first = BucketFactory()
    assert refused(lambda: BucketFactory(token=first.token))


def test_a_short_bucket_token_is_refused() -> None:
    assert refused(lambda: BucketFactory(token="abc123"))


def test_bucket_tokens_are_long_and_distinct() -> None:
    tokens = {BucketFactory().token for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(token) == 16 for token in tokens)


def test_a_single_share_over_100_percent_is_refused() -> None:
    assert refused(lambda: EventPartnerFactory(share_bp=10_001))


def test_a_zero_share_is_refused() -> None:
    assert refused(lambda: EventPartnerFactory(share_bp=0))


def test_shares_adding_up_to_over_100_percent_are_refused() -> None:
    event = EventFactory()
    EventPartnerFactory(event=event, share_bp=6000)
    EventPartnerFactory(event=event, share_bp=4000)
    assert refused(lambda: EventPartnerFactory(event=event, share_bp=1))
    assert EventPartner.objects.filter(event=event).count() == 2


def test_raising_a_share_past_100_percent_in_total_is_refused() -> None:
    event = EventFactory()
    first = EventPartnerFactory(event=event, share_bp=6000)
    EventPartnerFactory(event=event, share_bp=4000)
    assert refused(lambda: EventPartner.objects.filter(pk=first.pk).update(share_bp=6001))


def test_changing_a_share_within_100_percent_is_allowed() -> None:
    event = EventFactory()
    first = EventPartnerFactory(event=event, share_bp=6000)
    EventPartnerFactory(event=event, share_bp=4000)
    assert not refused(lambda: EventPartner.objects.filter(pk=first.pk).update(share_bp=5000))


def test_an_event_cannot_leave_draft_until_its_shares_add_up_to_100_percent() -> None:
    event = EventFactory()
    EventPartnerFactory(event=event, share_bp=9999)
    assert refused(lambda: Event.objects.filter(pk=event.pk).update(status="published"))
    EventPartnerFactory(event=event, share_bp=1)
    assert not refused(lambda: Event.objects.filter(pk=event.pk).update(status="published"))


def test_an_event_cannot_be_created_already_published_without_partners() -> None:
    assert refused(lambda: EventFactory(status=Event.Status.PUBLISHED))


def test_the_same_organization_cannot_partner_an_event_twice() -> None:
    partner = EventPartnerFactory(share_bp=1000)
    assert refused(
        lambda: EventPartnerFactory(
            event=partner.event, organization=partner.organization, share_bp=1000
        )
    )


def test_a_membership_names_an_event_or_an_organization_not_both() -> None:
    user, event = UserFactory(), EventFactory()
    both = {"user": user, "event": event, "organization": event.fiscal_host, "role": "organizer"}
    assert refused(lambda: Membership.objects.create(**both))
    assert refused(lambda: Membership.objects.create(user=user, role="organizer"))


def test_a_role_is_held_once_per_event() -> None:
    user, event = UserFactory(), EventFactory()
    Membership.objects.create(user=user, event=event, role="organizer")
    assert refused(lambda: Membership.objects.create(user=user, event=event, role="organizer"))


def test_corner_coordinates_must_be_on_earth() -> None:
    assert refused(lambda: CornerFactory(latitude=91, longitude=0))
    assert refused(lambda: CornerFactory(latitude=36.8, longitude=None))


def test_a_stripe_account_id_must_look_like_one() -> None:
    assert refused(lambda: OrganizationFactory(stripe_account_id="cus_123"))
    assert not refused(lambda: OrganizationFactory(stripe_account_id="acct_1032D82eZvKYlo2C"))


def test_email_addresses_are_unique_ignoring_case() -> None:
    UserFactory(email="Maria@Example.org")
    assert refused(lambda: UserFactory(email="maria@example.org"))


def test_bucket_model_default_token_is_used_when_none_is_given() -> None:
    bucket = Bucket.objects.create(event=EventFactory(), label="B-1")
    assert len(bucket.token) == 16


def test_every_share_trigger_survives_the_migrations() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = {
                "events_eventpartner_shares_insert",
                "events_eventpartner_shares_update",
                "events_event_publish_insert",
                "events_event_publish_update",
            }
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = {
                "events_eventpartner_shares_at_most_whole",
                "events_event_shares_whole_when_published",
            }
        assert expected <= {row[0] for row in cursor.fetchall()}
