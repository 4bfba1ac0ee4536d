"""Reads of the money path for organizer and donor pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from donations.models import Donation, LedgerEntry, Refund, StripeEvent, Tally
from events.models import Event
from events.permissions import MONEY_ROLES
from volunteers.models import BucketAssignment, User

S = Donation.Status


def event_donations(*, event: Event) -> QuerySet[Donation]:
    return (
        Donation.objects.filter(event=event)
        .exclude(status=S.PENDING, method=Donation.Method.CARD)
        .select_related("corner", "bucket", "designated_to", "voided_by")
        .prefetch_related("volunteers")
        .annotate(refund_count=Count("refunds"))
        .order_by("-created_at", "-id")
    )


def event_totals(*, event: Event) -> dict[str, int]:
    """Net in the ledger, and the number of completed gifts per method."""
    net = LedgerEntry.objects.filter(donation__event=event).aggregate(s=Sum("amount_cents"))["s"]
    counts = dict(
        Donation.objects.filter(event=event, succeeded_at__isnull=False)
        .exclude(status=S.VOIDED)
        .values_list("method")
        .annotate(n=Count("id"))
        .values_list("method", "n")
    )
    return {
        "net_cents": net or 0,
        **{f"{m}_count": counts.get(m, 0) for m in Donation.Method.values},
    }


@dataclass(frozen=True)
class Attention:
    """Everything about an event's money that a finance organizer must look at."""

    parked: list[StripeEvent]
    failed_receipts: list[Donation]
    failed_refunds: list[Refund]
    voided: list[Donation]

    @property
    def open_count(self) -> int:
        """What still needs someone (voided gifts are shown for the record only)."""
        return len(self.parked) + len(self.failed_receipts) + len(self.failed_refunds)


def event_attention(*, event: Event, voided_limit: int = 50) -> Attention:
    return Attention(
        parked=list(
            StripeEvent.objects.filter(event=event, status=StripeEvent.Status.PARKED)
            .select_related("donation")
            .order_by("received_at")
        ),
        failed_receipts=list(
            Donation.objects.filter(event=event, receipt_status=Donation.ReceiptStatus.FAILED)
            .exclude(status=S.VOIDED)
            .order_by("succeeded_at")
        ),
        failed_refunds=list(
            Refund.objects.filter(
                donation__event=event,
                status__in=(Refund.Status.FAILED, Refund.Status.CANCELED),
                handled_at__isnull=True,
            )
            .select_related("donation")
            .order_by("updated_at")
        ),
        voided=list(
            Donation.objects.filter(event=event, status=S.VOIDED)
            .select_related("voided_by", "recorded_by")
            .order_by("-voided_at")[:voided_limit]
        ),
    )


def event_attention_count(*, event: Event) -> int:
    """How many things need a finance organizer (three counting queries, for a badge)."""
    return (
        StripeEvent.objects.filter(event=event, status=StripeEvent.Status.PARKED).count()
        + Donation.objects.filter(event=event, receipt_status=Donation.ReceiptStatus.FAILED)
        .exclude(status=S.VOIDED)
        .count()
        + Refund.objects.filter(
            donation__event=event,
            status__in=(Refund.Status.FAILED, Refund.Status.CANCELED),
            handled_at__isnull=True,
        ).count()
    )


def event_receipt_counts(*, event: Event) -> dict[str, int]:
    """How many of the day's receipts are in each state (those due a receipt), by state."""
    return dict(
        Donation.objects.filter(event=event)
        .exclude(receipt_status=Donation.ReceiptStatus.NONE)
        .values_list("receipt_status")
        .annotate(n=Count("id"))
        .values_list("receipt_status", "n")
    )


def donation_under_review(*, donation: Donation) -> bool:
    """Whether a payment of this gift is parked for a person (the thank-you page says so)."""
    return StripeEvent.objects.filter(donation=donation, status=StripeEvent.Status.PARKED).exists()


def _summed(rows: QuerySet[Tally]) -> dict[str, dict[str, int]]:
    sums = rows.values_list("key").annotate(*(Sum(c) for c in Tally.COUNTERS))
    return {
        key: {c: total or 0 for c, total in zip(Tally.COUNTERS, totals, strict=True)}
        for key, *totals in sums
    }


def tallies_by_key(*, event: Event, scope: str) -> dict[str, dict[str, int]]:
    """Every tally of one scope of the event (its slots summed), by key: one query whose cost
    does not grow with the number of gifts."""
    return _summed(Tally.objects.filter(event=event, scope=scope))


def event_tally(*, event: Event) -> dict[str, int]:
    """The pledge day's own totals (one query)."""
    return tallies_by_key(event=event, scope=Tally.Scope.EVENT).get(
        "", dict.fromkeys(Tally.COUNTERS, 0)
    )


def counting_people(assignment: BucketAssignment, event: Event) -> QuerySet[User]:
    """Who can co-sign a count: the event's organizers and the volunteers who held the bucket."""
    organizers = User.objects.filter(
        Q(memberships__event=event) | Q(memberships__organization_id=event.fiscal_host_id),
        memberships__role__in=MONEY_ROLES,
    )
    return (organizers | User.objects.filter(pk__in=assignment.holders.all())).distinct()
