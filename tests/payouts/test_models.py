"""The database's own guarantees about payouts, on SQLite and PostgreSQL alike: a paid payout
and the audit trail refuse changes, and a test's flush still empties them (see conftest)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from events.models import Event
from payouts import services as payouts
from payouts.models import AuditEntry, Payout, PayoutRun
from tests.factories import UserFactory, published_event

NOW = timezone.now()


def paid_grant() -> Payout:
    from donations import services

    event = published_event()
    services.check_record(
        event=event, amount_cents=5_000, donor_name="Rosa", check_number="1", donor_email="",
        designated_to=None, by=UserFactory(), now=NOW,
    )  # fmt: skip
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED)
    run = payouts.payouts_compute(event_id=event.pk, now=NOW)
    PayoutRun.objects.filter(pk=run.pk).update(approved_at=NOW, approved_by=UserFactory())
    line = run.payouts.first()
    return payouts.payout_grant_paid(
        payout=line, by=UserFactory(), paid_on=NOW.date(), method="check", reference="9", now=NOW
    )


@pytest.mark.django_db(transaction=True)
def test_the_triggers_are_installed_and_a_transactional_tests_flush_still_works() -> None:
    line = paid_grant()
    with pytest.raises(DatabaseError), transaction.atomic():
        Payout.objects.filter(pk=line.pk).update(amount_cents=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.update(detail="")
    with connection.cursor() as cursor, pytest.raises(DatabaseError), transaction.atomic():
        cursor.execute("DELETE FROM payouts_auditentry")
    assert AuditEntry.objects.exists()  # the flush after this test empties them (conftest)
