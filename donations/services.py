"""Every write of the money path: starting a gift, Stripe's events, refunds, cash and checks.

A donation's state is derived from facts that only grow (paid, refunded so far, dispute state,
expired, failed), so Stripe events that arrive twice, out of order or at the same moment converge
on the same final state. Each change takes the donation's row lock and writes the ledger in the
same transaction; receipts are queued on commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from donations import ratelimit, receipts, stripe_api
from donations.models import CashCount, Donation, LedgerEntry, StripeEvent
from events.models import Bucket, Corner, Event, Organization, Shift
from events.money import cents_format, fee_cover_cents, fee_estimate_cents
from volunteers.models import BucketAssignment, User

logger = logging.getLogger(__name__)

S = Donation.Status
PAID = (S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED, S.DISPUTE_LOST)
UNPAID = (S.PENDING, S.FAILED, S.CANCELED)
# Allowed moves: an unpaid donation may become anything; a paid one stays paid (money moved).
TRANSITIONS: dict[str, set[str]] = {
    **{status: {*UNPAID, *PAID} for status in UNPAID},
    **{status: set(PAID) for status in PAID},
    S.VOIDED: set(),
}
DISPUTE_OPEN = {"warning_needs_response", "warning_under_review", "needs_response", "under_review"}
DISPUTE_LOST = {"lost"}
OPEN_FOR_GIFTS = (Event.Status.PUBLISHED, Event.Status.LIVE)


# --- Starting a gift ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribution:
    """Where a gift came from: set by the bucket's QR code or a volunteer's personal link."""

    corner: Corner | None = None
    shift: Shift | None = None
    bucket: Bucket | None = None
    volunteers: list[User] = field(default_factory=list)


def attribution_for_bucket(bucket: Bucket) -> Attribution:
    """The bucket's current hand-out (or its latest one): corner, shift and the pair holding it."""
    assignment = (
        BucketAssignment.objects.filter(bucket=bucket)
        .select_related("shift__corner")
        # The one out now (not returned) first, else the latest one, on any database.
        .order_by(F("returned_at").desc(nulls_first=True), "-handed_out_at")
        .first()
    )
    if assignment is None:
        return Attribution(bucket=bucket)
    return Attribution(
        corner=assignment.shift.corner,
        shift=assignment.shift,
        bucket=bucket,
        volunteers=list(assignment.holders.all()),
    )


def donation_total_cents(*, event: Event, amount_cents: int, cover_fee: bool) -> int:
    fee = (
        fee_cover_cents(
            amount_cents, fee_bp=event.card_fee_bp, fixed_cents=event.card_fee_fixed_cents
        )
        if cover_fee
        else 0
    )
    return amount_cents + fee


def _designation_check(*, event: Event, designated_to: Organization | None) -> None:
    """A gift may be designated only to one of the event's partner organizations."""
    if designated_to and not event.partners.filter(organization=designated_to).exists():
        raise ValidationError(
            _("That organization is not a partner of this pledge day."), code="designation"
        )


def _gift_validate(*, event: Event, amount_cents: int, designated_to: Organization | None) -> None:
    if event.status not in OPEN_FOR_GIFTS:
        raise ValidationError(_("This pledge day is not taking gifts online."), code="not_open")
    if amount_cents < event.minimum_gift_cents:
        raise ValidationError(
            _("The smallest gift online is %(minimum)s.")
            % {"minimum": cents_format(event.minimum_gift_cents, event.currency)},
            code="too_small",
        )
    if amount_cents > settings.DONATION_MAX_CENTS:
        raise ValidationError(
            _("For gifts over %(maximum)s, please contact the organizers.")
            % {"maximum": cents_format(settings.DONATION_MAX_CENTS, event.currency)},
            code="too_large",
        )
    _designation_check(event=event, designated_to=designated_to)


@dataclass(frozen=True)
class PaymentStart:
    donation: Donation
    redirect_url: str


def donation_start(
    *,
    event: Event,
    amount_cents: int,
    cover_fee: bool,
    designated_to: Organization | None,
    attribution: Attribution,
    donor_name: str,
    donor_email: str,
    anonymous: bool,
    language: str,
    client_ip: str,
    now: dt.datetime,
    success_url: str,
    cancel_url: str,
    demo_pay_url: str,
) -> PaymentStart:
    """Record a pending card gift and open its payment (Stripe Checkout, or the demo page).

    success_url, cancel_url and demo_pay_url may contain {token}: the donation's public token.
    """
    _gift_validate(event=event, amount_cents=amount_cents, designated_to=designated_to)
    if not ratelimit.donation_start_allowed(client_ip=client_ip, event_id=event.pk):
        raise ValidationError(
            _("Too many gifts were started from here in a short time. Please wait a few minutes."),
            code="rate_limited",
        )
    total = donation_total_cents(event=event, amount_cents=amount_cents, cover_fee=cover_fee)
    with transaction.atomic():
        donation = Donation.objects.create(
            event=event,
            method=Donation.Method.CARD,
            amount_cents=amount_cents,
            fee_cents=total - amount_cents,
            currency=event.currency,
            designated_to=designated_to,
            corner=attribution.corner,
            shift=attribution.shift,
            bucket=attribution.bucket,
            donor_name=donor_name.strip(),
            donor_email=donor_email.strip(),
            anonymous=anonymous,
            language=language,
            created_at=now,
        )
        donation.volunteers.set(attribution.volunteers)
    description = _("Gift to %(title)s") % {"title": event.title}
    token = donation.public_token
    # The external call happens outside any transaction: a slow Stripe never holds a lock.
    try:
        if stripe_api.is_local():
            intent_id = stripe_api.payment_intent_create(
                donation_id=donation.pk,
                event_slug=event.slug,
                description=description,
                total_cents=total,
                currency=event.currency,
            )
            Donation.objects.filter(pk=donation.pk).update(stripe_payment_intent_id=intent_id)
            return PaymentStart(donation=donation, redirect_url=demo_pay_url.format(token=token))
        session = stripe_api.checkout_session_create(
            donation_id=donation.pk,
            event_slug=event.slug,
            description=description,
            total_cents=total,
            currency=event.currency,
            locale=language,
            donor_email=donation.donor_email,
            success_url=success_url.format(token=token),
            cancel_url=cancel_url.format(token=token),
        )
    except stripe_api.stripe.StripeError as error:
        logger.warning("could not open a payment for donation %s: %s", donation.pk, error)
        Donation.objects.filter(pk=donation.pk).update(status=S.FAILED)
        raise ValidationError(
            _("The card payment could not be opened just now. Please try again in a minute."),
            code="gateway",
        ) from error
    Donation.objects.filter(pk=donation.pk).update(stripe_checkout_session_id=session.id)
    return PaymentStart(donation=donation, redirect_url=session.url)


# --- Facts from Stripe, and the state they imply ------------------------------------------------


@dataclass
class Facts:
    """What one Stripe object tells about a payment; merged into the donation monotonically."""

    paid: bool = False
    failed: bool = False
    expired: bool = False
    refunded_cents: int = 0
    dispute_status: str = ""
    charge_id: str = ""
    payment_intent_id: str = ""  # learned from a Checkout payment's first event
    amount_cents: int | None = None  # what Stripe says was charged, checked against ours
    currency: str = ""


def _status_derive(donation: Donation, facts: Facts) -> str:
    paid = donation.succeeded_at is not None or facts.paid
    dispute = donation.dispute_status
    if paid:
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
    if not seen:
        return current
    closed = {"won", "lost", "warning_closed"}
    if current in closed:
        return current
    return seen


def _ledger(
    donation: Donation, *, kind: str, key: str, amount_cents: int, now: dt.datetime
) -> None:
    """Write a ledger entry once (the unique key makes a repeat a no-op)."""
    try:
        with transaction.atomic():
            LedgerEntry.objects.create(
                donation=donation, kind=kind, key=key, amount_cents=amount_cents, created_at=now
            )
    except IntegrityError:
        pass


def _ledger_target(donation: Donation) -> int:
    """What the ledger must add up to for a paid gift, from its merged state alone.

    The net, less every refunded cent; a lost dispute takes back whatever was not refunded.
    Facts only grow, so the target only falls, and each adjustment is keyed by the target it
    reaches: any order of events writes the same entries.
    """
    target = _net_cents(donation) - donation.refunded_cents
    if donation.dispute_status in DISPUTE_LOST:
        target -= donation.total_cents - donation.refunded_cents
    return target


def _ledger_settle(donation: Donation, *, now: dt.datetime) -> None:
    recorded = LedgerEntry.objects.filter(donation=donation).aggregate(s=Sum("amount_cents"))["s"]
    change = _ledger_target(donation) - (recorded or 0)
    if change == 0:
        return
    lost = donation.dispute_status in DISPUTE_LOST
    _ledger(
        donation,
        kind=LedgerEntry.Kind.DISPUTE if lost else LedgerEntry.Kind.REFUND,
        key=f"settle-to-{_ledger_target(donation)}",
        amount_cents=change,
        now=now,
    )


def _net_cents(donation: Donation) -> int:
    """What reaches the pool: the charge less the processor's fee (estimated from the event)."""
    if donation.method != Donation.Method.CARD:
        return donation.total_cents
    event = donation.event
    fee = fee_estimate_cents(
        donation.total_cents, fee_bp=event.card_fee_bp, fixed_cents=event.card_fee_fixed_cents
    )
    return donation.total_cents - fee


def donation_observe(*, donation_id: int, facts: Facts, now: dt.datetime) -> Donation:
    """Merge Stripe's facts into a donation under its row lock; ledger and receipt follow."""
    with transaction.atomic():
        donation = Donation.objects.select_for_update().select_related("event").get(pk=donation_id)
        if (
            facts.paid
            and facts.amount_cents is not None
            and (
                facts.amount_cents != donation.total_cents
                or facts.currency.lower() != donation.currency
            )
        ):
            logger.error(
                "donation %s: Stripe charged %s %s, we expected %s %s; not marked paid",
                donation.pk, facts.amount_cents, facts.currency,
                donation.total_cents, donation.currency,
            )  # fmt: skip
            return donation
        before = donation.status
        was_paid = donation.succeeded_at is not None
        if facts.paid and not was_paid:
            donation.succeeded_at = now
        donation.refunded_cents = min(
            max(donation.refunded_cents, facts.refunded_cents), donation.total_cents
        )
        donation.dispute_status = _dispute_merge(donation.dispute_status, facts.dispute_status)
        if facts.charge_id and not donation.stripe_charge_id:
            donation.stripe_charge_id = facts.charge_id
        if facts.payment_intent_id and not donation.stripe_payment_intent_id:
            donation.stripe_payment_intent_id = facts.payment_intent_id
        after = _status_derive(donation, facts)
        if after != before and after not in TRANSITIONS[before]:
            logger.error("donation %s: refusing %s -> %s", donation.pk, before, after)
            return Donation.objects.get(pk=donation.pk)
        donation.status = after
        donation.save()
        if donation.succeeded_at is not None:
            if not was_paid:
                net = _net_cents(donation)
                _ledger(donation, kind=LedgerEntry.Kind.GIFT, key="gift", amount_cents=net, now=now)
                _receipt_queue(donation)
            _ledger_settle(donation, now=now)
        return donation


RECEIPTED_STATUSES = (S.SUCCEEDED, S.PARTIALLY_REFUNDED)


def donation_receipt_send(*, donation_id: int, now: dt.datetime) -> bool:
    """Email the receipt once; True if this call sent it.

    The receipt is claimed (receipt_sent_at) by one short UPDATE and sent after it, so a slow
    mail server never holds the donation's lock; a failed send releases the claim for the retry.
    A gift refunded or lost to a dispute before its receipt went out gets none.
    """
    claimed = (
        Donation.objects.filter(
            pk=donation_id, receipt_sent_at__isnull=True, status__in=RECEIPTED_STATUSES
        )
        .exclude(donor_email="")
        .update(receipt_sent_at=now)
    )
    if not claimed:
        return False
    donation = Donation.objects.select_related("event__fiscal_host").get(pk=donation_id)
    try:
        receipts.receipt_email_send(donation=donation)
    except Exception:
        Donation.objects.filter(pk=donation_id).update(receipt_sent_at=None)
        raise
    return True


def _receipt_queue(donation: Donation) -> None:
    if not donation.donor_email:
        return
    from donations.tasks import donation_receipt_send

    donation_id = donation.pk
    transaction.on_commit(lambda: donation_receipt_send.delay(donation_id))


# --- Stripe events ------------------------------------------------------------------------------

HANDLED_TYPES = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
    "checkout.session.expired",
)


def _id(value: Any) -> str:
    """An expandable Stripe field: either an id string or an object with an id."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return ""


def _facts_and_keys(event_type: str, obj: dict[str, Any]) -> tuple[Facts, dict[str, str]]:
    """The facts an event's object states, and the keys that find its donation."""
    metadata = obj.get("metadata") or {}
    keys = {"donation_id": str(metadata.get("donation_id") or "")}
    if event_type.startswith("payment_intent."):
        keys["payment_intent"] = obj.get("id", "")
        if event_type == "payment_intent.succeeded":
            facts = Facts(
                paid=True,
                charge_id=_id(obj.get("latest_charge")),
                amount_cents=obj.get("amount_received") or obj.get("amount"),
                currency=obj.get("currency", ""),
            )
        else:
            facts = Facts(failed=True)
    elif event_type == "charge.refunded":
        keys["payment_intent"] = _id(obj.get("payment_intent"))
        facts = Facts(
            paid=bool(obj.get("paid")) and obj.get("status") == "succeeded",
            refunded_cents=int(obj.get("amount_refunded") or 0),
            charge_id=obj.get("id", ""),
            amount_cents=obj.get("amount"),
            currency=obj.get("currency", ""),
        )
    elif event_type.startswith("charge.dispute."):
        keys["payment_intent"] = _id(obj.get("payment_intent"))
        # A dispute says nothing about whether we were paid: only the payment's own events do.
        facts = Facts(dispute_status=obj.get("status", ""), charge_id=_id(obj.get("charge")))
    else:  # checkout.session.expired
        keys["checkout_session"] = obj.get("id", "")
        keys["payment_intent"] = _id(obj.get("payment_intent"))
        facts = Facts(expired=obj.get("payment_status") != "paid")
    return facts, keys


def _donation_find(keys: dict[str, str]) -> Donation | None:
    if keys.get("payment_intent"):
        found = Donation.objects.filter(stripe_payment_intent_id=keys["payment_intent"]).first()
        if found:
            return found
    if keys.get("checkout_session"):
        found = Donation.objects.filter(stripe_checkout_session_id=keys["checkout_session"]).first()
        if found:
            return found
    if keys.get("donation_id", "").isdigit():
        return Donation.objects.filter(pk=int(keys["donation_id"]), method="card").first()
    return None


def stripe_event_record(*, payload: dict[str, Any], now: dt.datetime) -> StripeEvent | None:
    """Store a verified event once; None when it was already received and processed."""
    try:
        with transaction.atomic():
            return StripeEvent.objects.create(
                stripe_id=payload["id"], type=payload["type"], payload=payload, received_at=now
            )
    except IntegrityError:
        existing = StripeEvent.objects.get(stripe_id=payload["id"])
        return None if existing.processed_at else existing


def stripe_event_process(*, record: StripeEvent, now: dt.datetime) -> str:
    """Apply one stored event; returns what happened. Errors propagate (the view answers 5xx)."""
    with transaction.atomic():
        record = StripeEvent.objects.select_for_update().get(pk=record.pk)
        if record.processed_at:
            return "already processed"
        outcome = "ignored type"
        if record.type in HANDLED_TYPES:
            obj = record.payload["data"]["object"]
            facts, keys = _facts_and_keys(record.type, obj)
            donation = _donation_find(keys)
            if donation is None:
                outcome = "no matching donation"
            else:
                facts.payment_intent_id = keys.get("payment_intent", "")
                donation = donation_observe(donation_id=donation.pk, facts=facts, now=now)
                outcome = f"donation {donation.pk} is {donation.status}"
        record.processed_at, record.outcome = now, outcome[:200]
        record.save(update_fields=["processed_at", "outcome"])
        return outcome


# --- Refunds ------------------------------------------------------------------------------------


def donation_refund(
    *, donation: Donation, amount_cents: int, refunded_seen: int, now: dt.datetime
) -> Donation:
    """Refund part or all of a card gift through Stripe; records change when Stripe confirms.

    refunded_seen is what the organizer's page showed as refunded: a different value means the
    gift changed meanwhile (refused), and the idempotency key is built from it, so a double
    click or a retry of the same request never refunds twice. Stripe's webhook
    (charge.refunded) confirms; the payment is also read back at once, so the page shows the
    refund even where webhooks are slow (or, with localstripe, missing).
    """
    donation = Donation.objects.get(pk=donation.pk)
    if donation.refunded_cents != refunded_seen:
        raise ValidationError(
            _("This gift changed since the page was loaded; check it and try again."),
            code="stale",
        )
    if donation.method != Donation.Method.CARD or donation.succeeded_at is None:
        raise ValidationError(_("Only a completed card gift can be refunded."), code="not_card")
    if not donation.stripe_payment_intent_id:
        raise ValidationError(_("This gift has no card payment to refund."), code="no_payment")
    refundable = donation.total_cents - donation.refunded_cents
    if not 1 <= amount_cents <= refundable:
        raise ValidationError(
            _("You can refund between %(min)s and %(max)s.")
            % {
                "min": cents_format(1, donation.currency),
                "max": cents_format(refundable, donation.currency),
            },
            code="amount",
        )
    try:
        stripe_api.refund_create(
            payment_intent_id=donation.stripe_payment_intent_id,
            amount_cents=amount_cents,
            donation_id=donation.pk,
            refunded_so_far=refunded_seen,
        )
    except stripe_api.stripe.StripeError as error:
        raise ValidationError(
            _("Stripe did not accept the refund: %(reason)s")
            % {"reason": error.user_message or error},
            code="gateway",
        ) from error
    try:
        refunded = stripe_api.payment_refunded_cents(donation.stripe_payment_intent_id)
    except stripe_api.stripe.StripeError:
        logger.warning("refund of donation %s sent; reading it back failed", donation.pk)
        return donation  # Stripe's charge.refunded webhook will record it
    return donation_observe(
        donation_id=donation.pk, facts=Facts(paid=True, refunded_cents=refunded), now=now
    )


# --- Cash and checks ----------------------------------------------------------------------------


def _offline_gift(
    *,
    event: Event,
    method: str,
    amount_cents: int,
    attribution: Attribution,
    by: User,
    now: dt.datetime,
    **fields: Any,
) -> Donation:
    donation = Donation.objects.create(
        event=event,
        method=method,
        status=S.SUCCEEDED,
        amount_cents=amount_cents,
        currency=event.currency,
        corner=attribution.corner,
        shift=attribution.shift,
        bucket=attribution.bucket,
        created_at=now,
        succeeded_at=now,
        recorded_by=by,
        **fields,
    )
    donation.volunteers.set(attribution.volunteers)
    _ledger(donation, kind=LedgerEntry.Kind.GIFT, key="gift", amount_cents=amount_cents, now=now)
    _receipt_queue(donation)
    return donation


@transaction.atomic
def cash_count_record(
    *,
    assignment: BucketAssignment,
    amount_cents: int,
    counted_by: User,
    witnessed_by: User,
    now: dt.datetime,
    corrects: CashCount | None = None,
    note: str = "",
) -> CashCount:
    """Two people counted a returned bucket; the count becomes a cash gift credited to its pair.

    A correction is a new count: the old count's gift is voided (a negative ledger entry), the
    new one recorded; nothing is edited or erased.
    """
    assignment = (
        BucketAssignment.objects.select_for_update()
        .select_related("bucket__event", "shift__corner")
        .get(pk=assignment.pk)
    )
    if assignment.returned_at is None:
        raise ValidationError(_("Check the bucket back in before counting it."), code="not_back")
    if counted_by.pk == witnessed_by.pk:
        raise ValidationError(_("Two different people must count the cash."), code="two_people")
    if amount_cents < 0:
        raise ValidationError(_("A count cannot be negative."), code="negative")
    current = CashCount.objects.filter(assignment=assignment, corrected_by__isnull=True).first()
    if current is not None and (corrects is None or corrects.pk != current.pk):
        raise ValidationError(
            _("This bucket was already counted; enter a correction of that count instead."),
            code="already_counted",
        )
    if corrects is not None and current is None:
        raise ValidationError(_("There is no count to correct."), code="nothing_to_correct")
    if corrects is not None and corrects.donation_id:
        old = Donation.objects.select_for_update().get(pk=corrects.donation_id)
        old.status = S.VOIDED
        old.save(update_fields=["status"])
        _ledger(
            old, kind=LedgerEntry.Kind.VOID, key="void", amount_cents=-old.amount_cents, now=now
        )
    donation = None
    if amount_cents > 0:
        donation = _offline_gift(
            event=assignment.bucket.event,
            method=Donation.Method.CASH,
            amount_cents=amount_cents,
            attribution=Attribution(
                corner=assignment.shift.corner,
                shift=assignment.shift,
                bucket=assignment.bucket,
                volunteers=list(assignment.holders.all()),
            ),
            by=counted_by,
            now=now,
        )
    return CashCount.objects.create(
        assignment=assignment,
        amount_cents=amount_cents,
        counted_by=counted_by,
        witnessed_by=witnessed_by,
        corrects=corrects,
        donation=donation,
        note=note,
        created_at=now,
    )


@transaction.atomic
def check_record(
    *,
    event: Event,
    amount_cents: int,
    donor_name: str,
    check_number: str,
    donor_email: str,
    designated_to: Organization | None,
    by: User,
    now: dt.datetime,
) -> Donation:
    """A check, entered with the donor's name and check number so that it can be receipted."""
    if amount_cents <= 0:
        raise ValidationError(_("Enter the amount of the check."), code="amount")
    if not donor_name.strip() or not check_number.strip():
        raise ValidationError(
            _("A check needs the donor's name and the check number."), code="incomplete"
        )
    _designation_check(event=event, designated_to=designated_to)
    return _offline_gift(
        event=event,
        method=Donation.Method.CHECK,
        amount_cents=amount_cents,
        attribution=Attribution(),
        by=by,
        now=now,
        donor_name=donor_name.strip(),
        check_number=check_number.strip(),
        donor_email=donor_email.strip(),
        designated_to=designated_to,
    )
