"""Concurrent writers cannot push an event's partner shares past 100% (PostgreSQL).

The control run disables the trigger and shows the race a read-then-write check leaves open: two
writers each read a total of 0%, each add 60%, and both commit. With the trigger, which locks the
event row before summing, exactly one of them commits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from events.models import EventPartner
from tests.factories import EventFactory, OrganizationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS = 4
TRIGGER = "events_eventpartner_shares_at_most_whole"


@contextmanager
def trigger_disabled() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE events_eventpartner DISABLE TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE events_eventpartner ENABLE TRIGGER {TRIGGER}")


def race(event_id: int, organization_ids: list[int], share_bp: int) -> list[str]:
    """Each writer checks the total, waits for the others, then inserts its share."""
    barrier = threading.Barrier(len(organization_ids), timeout=20)
    outcomes: list[str] = []

    def writer(organization_id: int) -> None:
        try:
            with transaction.atomic():
                total = EventPartner.objects.filter(event_id=event_id).aggregate(s=Sum("share_bp"))
                assert (total["s"] or 0) + share_bp <= 10_000  # the check every writer passes
                barrier.wait()
                EventPartner.objects.create(
                    event_id=event_id, organization_id=organization_id, share_bp=share_bp
                )
            outcomes.append("committed")
        except IntegrityError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(oid,)) for oid in organization_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_control_without_the_trigger_concurrent_writers_overshoot_100_percent() -> None:
    event = EventFactory()
    organizations = [OrganizationFactory().pk for _ in range(WRITERS)]
    with trigger_disabled():
        outcomes = race(event.pk, organizations, 6000)
    assert outcomes.count("committed") == WRITERS
    total = EventPartner.objects.filter(event=event).aggregate(s=Sum("share_bp"))["s"]
    assert total == WRITERS * 6000


def test_with_the_trigger_exactly_one_concurrent_writer_commits() -> None:
    event = EventFactory()
    organizations = [OrganizationFactory().pk for _ in range(WRITERS)]
    outcomes = race(event.pk, organizations, 6000)
    assert sorted(outcomes) == ["committed"] + ["refused"] * (WRITERS - 1)
    total = EventPartner.objects.filter(event=event).aggregate(s=Sum("share_bp"))["s"]
    assert total == 6000
