"""What the payout pages read."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from donations.models import MatchCredit, MatchPledge
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
    match_waiting: int  # matched by sponsors, not recorded as received yet
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
    pledges = MatchPledge.objects.filter(event=event).values_list("pk", "received_cents")
    credited = dict(
        MatchCredit.objects.filter(event=event)
        .order_by()
        .values("pledge_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("pledge_id", "total")
    )
    match_waiting = sum(max(0, credited.get(pk, 0) - received) for pk, received in pledges)
    return DayPayouts(
        match_waiting=match_waiting,
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
