"""After closing (issue 9): cash counts are final; a late correction is finance's, with a reason,
a new audited entry, and a follow-up payout that re-opens only the partners whose money changed.
The paid payouts stay as they were."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone, translation

from donations import services
from donations.models import CashCount, Donation
from events import services as event_services
from events.models import Event, Membership
from payouts import services as payouts
from payouts.check import Comparison
from payouts.models import AuditEntry, Payout, PayoutRun
from tests.factories import (
    BucketFactory,
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    ShiftFactory,
    UserFactory,
)
from volunteers.models import BucketAssignment

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def day_with_a_counted_bucket():
    event = EventFactory()
    partners = [OrganizationFactory() for _ in range(3)]
    event_services.event_partners_replace(
        event=event, shares=list(zip(partners, (5000, 3000, 2000), strict=True))
    )
    event = event_services.event_publish(event=event)
    finance = MembershipFactory(event=event, role=Membership.Role.FINANCE).user
    witness = MembershipFactory(event=event).user
    assignment = BucketAssignment.objects.create(
        bucket=BucketFactory(event=event), shift=ShiftFactory(corner__event=event),
        handed_out_at=NOW, handed_out_by=finance, returned_at=NOW,
    )  # fmt: skip
    count, _new = services.cash_count_record(
        assignment=assignment, amount_cents=10_000, counted_by=finance, witnessed_by=witness,
        now=NOW,
    )  # fmt: skip
    services.check_record(
        event=event, amount_cents=5_000, donor_name="Rosa", check_number="77", donor_email="",
        designated_to=partners[2], by=finance, now=NOW,
    )  # fmt: skip
    return event, partners, finance, witness, assignment, count


def test_a_late_correction_is_audited_and_re_opens_only_the_changed_payouts(
    django_capture_on_commit_callbacks,
) -> None:
    event, partners, finance, witness, assignment, count = day_with_a_counted_bucket()
    with django_capture_on_commit_callbacks(execute=True):
        payouts.event_close(event=event, by=finance, now=NOW)
    first = PayoutRun.objects.get(event=event)
    assert sum(first.payouts.values_list("amount_cents", flat=True)) == 15_000
    payouts.payouts_approve(run=first, by=finance, now=NOW, compare=lambda _e: Comparison(1))
    client = Client()
    client.force_login(finance)
    # The organizers' count page sends a closed day's bucket to finance's late page.
    page = client.get(f"/organize/buckets/{assignment.pk}/count/")
    assert page.status_code == 302
    assert page["Location"] == f"/organize/buckets/{assignment.pk}/late-count/"
    late = client.get(page["Location"]).content.decode()
    assert "its counts are final" in late
    no_reason = client.post(
        page["Location"],
        {"amount": "80.00", "witnessed_by": witness.pk, "corrects": count.pk, "note": "",
         "submission_token": "late-count-token-0001"},
    )  # fmt: skip
    assert no_reason.status_code == 200
    assert CashCount.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            page["Location"],
            {"amount": "80.00", "witnessed_by": witness.pk, "corrects": count.pk,
             "note": "Two $10 bills were in the next bucket",
             "submission_token": "late-count-token-0002"},
        )  # fmt: skip
    assert done.status_code == 302
    assert Donation.objects.get(pk=count.donation_id).status == Donation.Status.VOIDED
    entry = AuditEntry.objects.get(event=event, action="late_change")
    assert entry.actor == finance
    assert entry.text == (
        f"Cash count of bucket {assignment.bucket.label}: $100.00 → $80.00. "
        "Two $10 bills were in the next bucket"
    )
    with translation.override("es"):
        assert entry.text.startswith(f"Conteo de efectivo de la alcancía {assignment.bucket.label}")
    follow_up = PayoutRun.objects.get(event=event, number=2)
    changed = dict(follow_up.payouts.values_list("organization", "amount_cents"))
    assert changed == {partners[0].pk: -1_000, partners[1].pk: -600, partners[2].pk: -400}
    assert first.payouts.count() == 3  # the first run's payouts are as they were


def test_organizers_without_finance_cannot_change_a_closed_days_count() -> None:
    event, _partners, _finance, witness, assignment, count = day_with_a_counted_bucket()
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED, closed_at=NOW)
    client = Client()
    client.force_login(witness)  # an organizer
    assert client.get(f"/organize/buckets/{assignment.pk}/late-count/").status_code == 403
    with pytest.raises(Exception, match="final"):
        services.cash_count_record(
            assignment=assignment, amount_cents=1, counted_by=witness,
            witnessed_by=UserFactory(), corrects=count, now=NOW,
        )  # fmt: skip
    assert not Payout.objects.exists()
