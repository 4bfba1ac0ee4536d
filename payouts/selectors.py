"""What the payout pages read."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from events.models import Event, Organization
from payouts.models import AuditEntry, Payout, PayoutRun
from payouts.owed import Owed, owed_compute
from payouts.services import follow_up_due


@dataclass
class DayPayouts:
    runs: list[PayoutRun]
    latest: PayoutRun | None
    owed: Owed | None  # the ledger as it stands now (shown before the first run)
    follow_up_due: bool
    audit: list[AuditEntry]
    organizations: dict[int, Organization]


def day_payouts(event: Event) -> DayPayouts:
    runs = list(
        PayoutRun.objects.filter(event=event)
        .select_related("computed_by", "approved_by")
        .prefetch_related("payouts__organization", "payouts__paid_by")
        .order_by("-number")
    )
    latest = runs[0] if runs else None
    owed = owed_compute(event) if latest is None else None
    organizations = Organization.objects.in_bulk(list(owed.shares) if owed else [])
    audit = list(
        AuditEntry.objects.filter(event=event)
        .select_related("actor", "organization", "run")
        .order_by("-at", "-id")[:100]
    )
    return DayPayouts(
        runs=runs,
        latest=latest,
        owed=owed,
        follow_up_due=bool(latest and follow_up_due(latest)),
        audit=audit,
        organizations=organizations,
    )


def partner_lines(event: Event, organization: Organization) -> QuerySet[Payout]:
    return (
        Payout.objects.filter(event=event, organization=organization)
        .select_related("run")
        .order_by("run__number")
    )


def partner_events(organization: Organization) -> QuerySet[Event]:
    return (
        Event.objects.filter(partners__organization=organization)
        .exclude(status=Event.Status.DRAFT)
        .order_by("-starts_at")
    )
