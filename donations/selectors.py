"""Reads of the money path for organizer pages."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Sum

from donations.models import Donation, LedgerEntry
from events.models import Event


def event_donations(*, event: Event) -> QuerySet[Donation]:
    return (
        Donation.objects.filter(event=event)
        .exclude(status=Donation.Status.PENDING, method=Donation.Method.CARD)
        .select_related("corner", "bucket", "designated_to")
        .prefetch_related("volunteers")
        .order_by("-created_at", "-id")
    )


def event_totals(*, event: Event) -> dict[str, int]:
    """Net in the ledger, and the number of completed gifts per method."""
    net = LedgerEntry.objects.filter(donation__event=event).aggregate(s=Sum("amount_cents"))["s"]
    counts = dict(
        Donation.objects.filter(event=event, succeeded_at__isnull=False)
        .exclude(status=Donation.Status.VOIDED)
        .values_list("method")
        .annotate(n=Count("id"))
        .values_list("method", "n")
    )
    return {
        "net_cents": net or 0,
        **{f"{m}_count": counts.get(m, 0) for m in Donation.Method.values},
    }
