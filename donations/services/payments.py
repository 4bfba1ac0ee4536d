"""A card gift's state, derived from Stripe's facts under the donation's row lock.

Facts only grow (paid; each refund's status, which only moves forward; the dispute, which
closes for good; expired; failed), so Stripe events that arrive twice, out of order or at the
same moment converge on the same state. `donation_observe` merges them, derives the status,
settles the ledger in the same transaction and queues what follows (receipt, Stripe's actual
fee, parked events that were waiting for this payment) on commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum

from donations import stripe_api
from donations.models import LEGACY_REFUND_PREFIX, Donation, Refund, StripeEvent
from donations.services.ledger import ledger_settle, processor_fee_estimate
from donations.services.receipts import receipt_queue, receipt_state_follow
from donations.services.states import (
    DISPUTE_CLOSED,
    DISPUTE_LOST,
    DISPUTE_OPEN,
    REFUND_ACTIVE,
    REFUND_RANK,
    TRANSITIONS,
    MoneyInvariantError,
    S,
    Unapplicable,
)
from donations.stripe_api import RefundInfo
from events.money import cents_format

logger = logging.getLogger(__name__)
P = StripeEvent.ParkReason
R = Donation.ReceiptStatus


@dataclass
class Facts:
    """What one Stripe object tells about a payment; merged into the donation monotonically."""

    paid: bool = False
    failed: bool = False
    expired: bool = False
    refunds: list[RefundInfo] = field(default_factory=list)
    dispute_status: str = ""
    charge_id: str = ""
    payment_intent_id: str = ""  # the payment the facts are about, when the object names it
    amount_cents: int | None = None  # what Stripe says was charged, checked against ours
    currency: str = ""
    refunds_complete: bool = False  # `refunds` is Stripe's whole list for the payment


def donation_lock(donation_id: int) -> Donation:
    """The donation's row, locked until the transaction ends (and only that row)."""
    return (
        Donation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("event")
        .get(pk=donation_id)
    )


def _status_derive(donation: Donation, facts: Facts) -> str:
    if donation.status == S.VOIDED:
        return S.VOIDED
    if donation.succeeded_at is not None:
        dispute = donation.dispute_status
        if dispute in DISPUTE_LOST:
            return S.DISPUTE_LOST
        if dispute in DISPUTE_OPEN:
            return S.DISPUTED
        if donation.refunded_cents >= donation.total_cents:
            return S.REFUNDED
        if donation.refunded_cents > 0:
            return S.PARTIALLY_REFUNDED
        return S.SUCCEEDED
    if facts.expired or donation.status == S.CANCELED:
        return S.CANCELED
    if facts.failed or donation.status == S.FAILED:
        return S.FAILED
    return S.PENDING


def _dispute_merge(current: str, seen: str) -> str:
    """A closed dispute (won, lost) is final; an open one replaces nothing closed."""
    if not seen or current in DISPUTE_CLOSED:
        return current
    return seen


def _applicable_check(donation: Donation, facts: Facts) -> None:
    """Refuse (to park) facts that belong to another payment or another amount."""
    bound = donation.stripe_payment_intent_id
    if facts.payment_intent_id and bound and facts.payment_intent_id != bound:
        raise Unapplicable(
            P.BOUND_ELSEWHERE,
            f"gift {donation.pk} is paid by {bound}; this event is about "
            f"{facts.payment_intent_id} (a second payment for the same gift, or another "
            "environment's payment)",
        )
    if (
        facts.paid
        and facts.amount_cents is not None
        and (
            facts.amount_cents != donation.total_cents
            or facts.currency.lower() != donation.currency
        )
    ):
        charged = cents_format(facts.amount_cents, facts.currency or donation.currency)
        raise Unapplicable(
            P.AMOUNT_MISMATCH,
            f"Stripe charged {charged} ({facts.currency.upper()}); gift {donation.pk} expects "
            f"{cents_format(donation.total_cents, donation.currency)} "
            f"({donation.currency.upper()})",
        )


def refunds_complete(donation: Donation, facts: Facts, *, incomplete: bool) -> None:
    """Before the lock: read the payment's whole refund list from Stripe when the facts do not
    itemize every refund (a charge.refunded without its list), or when the gift still has the
    legacy row that stands for refunds made before they were itemized."""
    if not facts.refunds and not incomplete:
        return
    legacy = Refund.objects.filter(
        donation=donation, stripe_refund_id__startswith=LEGACY_REFUND_PREFIX
    ).exists()
    intent = facts.payment_intent_id or donation.stripe_payment_intent_id
    if (incomplete or legacy) and intent:
        facts.refunds = [*facts.refunds, *stripe_api.refunds_list(intent)]
        facts.refunds_complete = True


def _refunds_merge(donation: Donation, facts: Facts, now: dt.datetime) -> None:
    """Record each refund once; a refund's status only moves forward. Stripe's whole list
    replaces the legacy row that stood for the refunds made before they were itemized."""
    if facts.refunds_complete:
        Refund.objects.filter(
            donation=donation, stripe_refund_id__startswith=LEGACY_REFUND_PREFIX
        ).delete()
    for fact in facts.refunds:
        refund = Refund.objects.filter(stripe_refund_id=fact.stripe_refund_id).first()
        if refund is None:
            Refund.objects.create(
                donation=donation,
                stripe_refund_id=fact.stripe_refund_id,
                amount_cents=fact.amount_cents,
                status=fact.status,
                failure_reason=fact.failure_reason,
                created_at=now,
                updated_at=now,
            )
            continue
        if refund.donation_id != donation.pk:
            raise MoneyInvariantError(
                f"refund {fact.stripe_refund_id} belongs to gift {refund.donation_id}, "
                f"not {donation.pk}"
            )
        if REFUND_RANK[fact.status] > REFUND_RANK[refund.status]:
            refund.status, refund.updated_at = fact.status, now
            refund.failure_reason = fact.failure_reason or refund.failure_reason
            refund.save(update_fields=["status", "failure_reason", "updated_at"])
    active = Refund.objects.filter(donation=donation, status__in=REFUND_ACTIVE)
    refunded = active.aggregate(total=Sum("amount_cents"))["total"] or 0
    if refunded > donation.total_cents:
        raise MoneyInvariantError(
            f"gift {donation.pk}: refunds add up to {refunded}¢, more than the "
            f"{donation.total_cents}¢ charged"
        )
    donation.refunded_cents = refunded


def donation_observe(*, donation_id: int, facts: Facts, now: dt.datetime) -> Donation:
    """Merge Stripe's facts into a card gift under its row lock; the ledger and what follows
    come with it. Raises Unapplicable (nothing written) for facts that are not this gift's."""
    with transaction.atomic():
        donation = donation_lock(donation_id)
        if donation.method != Donation.Method.CARD:
            raise MoneyInvariantError(f"Stripe facts for gift {donation.pk}, a {donation.method}")
        _applicable_check(donation, facts)
        before = donation.status
        newly_paid = facts.paid and donation.succeeded_at is None
        learned = facts.payment_intent_id and not donation.stripe_payment_intent_id
        if newly_paid:
            donation.succeeded_at = now
            donation.processor_fee_cents = processor_fee_estimate(donation)
            donation.processor_fee_estimated = True
        if learned:
            donation.stripe_payment_intent_id = facts.payment_intent_id
        if facts.charge_id and not donation.stripe_charge_id:
            donation.stripe_charge_id = facts.charge_id
        if facts.refunds:
            _refunds_merge(donation, facts, now)
        donation.dispute_status = _dispute_merge(donation.dispute_status, facts.dispute_status)
        after = _status_derive(donation, facts)
        if after != before and after not in TRANSITIONS[before]:
            raise MoneyInvariantError(f"gift {donation.pk} cannot move from {before} to {after}")
        donation.status = after
        receipt_before = donation.receipt_status
        receipt_state_follow(donation)
        donation.save()
        ledger_settle(donation, now=now)
        _follow_ups_queue(
            donation,
            newly_paid=newly_paid,
            learned=bool(learned),
            receipt_due=receipt_before != R.PENDING == donation.receipt_status,
        )
        return donation


def _follow_ups_queue(
    donation: Donation, *, newly_paid: bool, learned: bool, receipt_due: bool
) -> None:
    """After commit: the receipt, Stripe's actual fee, and parked events of this payment."""
    from donations import tasks

    donation_id = donation.pk
    if receipt_due:
        receipt_queue(donation)
    if newly_paid and not stripe_api.is_local():
        # localstripe reports a fee of 0 on every charge: the demo keeps the estimate.
        transaction.on_commit(
            lambda: tasks.donation_processor_fee_fetch.delay(donation_id), robust=True
        )
    if learned:
        transaction.on_commit(lambda: tasks.stripe_events_retry.delay(donation_id), robust=True)


# Stripe's balance transaction appears shortly after a charge; the scan stops asking after this.
FEE_LOOKUP_WINDOW = dt.timedelta(days=3)


def donation_processor_fee_fetch(*, donation_id: int, now: dt.datetime) -> str:
    """Replace a paid card gift's estimated fee with what Stripe actually kept (its balance
    transaction); the ledger gets the difference as a fee adjustment. Returns what happened."""
    donation = Donation.objects.get(pk=donation_id)
    if (
        stripe_api.is_local()
        or donation.method != Donation.Method.CARD
        or donation.succeeded_at is None
        or not donation.processor_fee_estimated
        or not donation.stripe_charge_id
    ):
        return "nothing to fetch"
    found = stripe_api.charge_fee(donation.stripe_charge_id)  # outside any lock
    if found is None:
        return "not known yet"
    fee, currency = found
    if currency.lower() != donation.currency:
        # Settled in another currency: the fee cannot be taken as it is; the estimate stays.
        logger.warning(
            "gift %s: Stripe's fee is in %s, the gift in %s",
            donation.pk,
            currency,
            donation.currency,
        )
        return "other currency"
    with transaction.atomic():
        donation = donation_lock(donation_id)
        if not donation.processor_fee_estimated:
            return "already recorded"
        donation.processor_fee_cents, donation.processor_fee_estimated = fee, False
        donation.save(update_fields=["processor_fee_cents", "processor_fee_estimated"])
        ledger_settle(donation, now=now)
    return "recorded"


def donations_fee_due(*, now: dt.datetime) -> list[int]:
    """Paid card gifts whose fee is still an estimate (the beat scan asks Stripe again)."""
    if stripe_api.is_local():
        return []
    return list(
        Donation.objects.filter(
            method=Donation.Method.CARD,
            processor_fee_estimated=True,
            succeeded_at__gte=now - FEE_LOOKUP_WINDOW,
            succeeded_at__lt=now - dt.timedelta(minutes=5),
        )
        .exclude(stripe_charge_id="")
        .values_list("pk", flat=True)[:200]
    )
