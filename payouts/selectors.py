"""What the payout pages read."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import QuerySet, Sum

from donations.models import MatchCredit, MatchPledge
from events.models import Event, Organization
from payouts.models import AuditEntry, Payout, PayoutRun
from payouts.owed import Owed, ledger_mark, owed_compute
from payouts.services import follow_up_due


@dataclass
class DayPayouts:
    runs: list[PayoutRun]
    latest: PayoutRun | None
    owed: Owed | None  # the ledger as it stands now (shown before the first run)
    follow_up_due: bool
    match_waiting: int  # matched by sponsors, not recorded as received yet
    match_unused: int  # received from sponsors beyond what their pledges matched
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
    owed = owed_cached(event) if latest is None else None
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
    match_unused = sum(max(0, received - max(0, credited.get(pk, 0))) for pk, received in pledges)
    return DayPayouts(
        match_waiting=match_waiting,
        match_unused=match_unused,
        runs=runs,
        latest=latest,
        owed=owed,
        follow_up_due=bool(latest and follow_up_due(latest)),
        audit=audit,
        organizations=organizations,
    )


def owed_cached(event: Event) -> Owed:
    """The day's arithmetic, remembered until its money changes (the ledger mark is a few
    tally rows; the arithmetic reads every allocation): a statement or the payouts page opened
    again and again costs the database almost nothing."""
    mark = ledger_mark(event)
    digest = hashlib.sha256(json.dumps(mark, sort_keys=True).encode()).hexdigest()[:32]
    key = f"payouts:owed:{event.pk}:{event.fee_policy}:{digest}"
    owed = cache.get(key)
    if owed is None:
        owed = owed_compute(event)
        cache.set(key, owed, timeout=600)
    return owed


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
