"""Stripe's events: parsed strictly, stored once, then applied to their gift, or parked.

The view verifies the signature; `stripe_event_record` parses the body (a malformed or
unstorable one raises MalformedEvent: 400, so Stripe stops retrying) and stores it once by
Stripe's event id; `stripe_event_process` applies it under the stored row's lock. What becomes
of each event is its status:

- applied: its facts are in the gift and the ledger;
- ignored: not for this site (a type we do not handle, the other mode, another site's payment,
  or a payment that is not Pledgeday's at all);
- parked: it cannot be applied — an amount or currency other than the gift's, a gift already
  bound to another payment, or no gift known for it yet. Finance organizers see it (and the
  admins are alerted); an unknown payment is applied by itself once its gift becomes known;
- resolved: a finance organizer accepted, refunded or dismissed it, with a note.

Any stored event can be applied again (the admin's action, a redelivery): facts only grow, so
it converges.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from donations import stripe_api
from donations.models import Donation, StripeEvent
from donations.services.payments import (
    Facts,
    donation_lock,
    donation_observe,
    refunds_complete,
)
from donations.services.states import UNPAID, S, Unapplicable
from donations.stripe_api import RefundInfo
from events.alerts import alert
from events.models import Event
from events.money import cents_format
from volunteers.models import User

logger = logging.getLogger(__name__)
St = StripeEvent.Status
P = StripeEvent.ParkReason

HANDLED_TYPES = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "charge.refunded",
        "charge.refund.updated",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "checkout.session.completed",
        "checkout.session.expired",
    }
)
FINAL = (St.APPLIED, St.IGNORED, St.RESOLVED)
MAX_AMOUNT = 10**12  # beyond any real charge; keeps every amount storable


class MalformedEvent(ValueError):
    """A verified body we cannot read or store: answered 400 and logged, never retried."""


# --- Parsing ---------------------------------------------------------------------------------


def _no_nul(value: Any) -> None:
    """PostgreSQL stores no NUL character in text or JSON, and no database stores half a
    character (a lone surrogate from a "\\ud800" escape): refuse them up front."""
    if isinstance(value, str):
        if "\x00" in value:
            raise MalformedEvent("a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise MalformedEvent("text that is not valid Unicode") from error
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _no_nul(item)
    elif isinstance(value, list):
        for item in value:
            _no_nul(item)


def _str(obj: dict[str, Any], key: str, *, limit: int = 255) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise MalformedEvent(f"{key} is not a string of at most {limit} characters")
    return value


def _amount(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_AMOUNT:
        raise MalformedEvent(f"{key} is not an amount in cents")
    return value


def _id(obj: dict[str, Any], key: str) -> str:
    """An expandable Stripe field: an id, an object with an id, or nothing."""
    value = obj.get(key)
    if isinstance(value, dict):
        return _str(value, "id")
    return _str(obj, key)


def _dict(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedEvent(f"{key} is not an object")
    return value


@dataclass(frozen=True)
class Keys:
    """What finds an event's gift, and whose payment it says it is."""

    payment_intent: str = ""
    checkout_session: str = ""
    donation_id: int | None = None  # from our metadata
    event_slug: str = ""
    instance: str = ""
    ours: bool = False  # the object carries our metadata


@dataclass(frozen=True)
class Reading:
    facts: Facts
    keys: Keys
    refunds_incomplete: bool = False  # the object's refund list is missing or cut short


# Metadata of payments started before the namespaced keys (in flight at the upgrade): honoured
# only together with the pledge day's slug, which must then match the gift's.
LEGACY_DONATION, LEGACY_EVENT = "donation_id", "event"


def _keys(obj: dict[str, Any], **found: str) -> Keys:
    metadata = _dict(obj, "metadata")
    raw = metadata.get(stripe_api.METADATA_DONATION)
    event_slug = _str(metadata, stripe_api.METADATA_EVENT, limit=80)
    instance = _str(metadata, stripe_api.METADATA_INSTANCE)
    if raw is None and LEGACY_DONATION in metadata and LEGACY_EVENT in metadata:
        raw, event_slug = metadata[LEGACY_DONATION], _str(metadata, LEGACY_EVENT, limit=80)
        instance = settings.PLEDGEDAY_INSTANCE
    donation_id = None
    if raw is not None:
        if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
            raise MalformedEvent("pledgeday_donation_id is not a number")
        donation_id = int(raw)
    return Keys(
        donation_id=donation_id,
        event_slug=event_slug,
        instance=instance,
        ours=raw is not None,
        **found,
    )


def _refund(obj: dict[str, Any]) -> RefundInfo:
    refund_id, amount = _str(obj, "id"), _amount(obj, "amount")
    if not refund_id or not amount:
        raise MalformedEvent("a refund without an id or an amount")
    return RefundInfo(
        stripe_refund_id=refund_id,
        amount_cents=amount,
        status=stripe_api.refund_status(_str(obj, "status", limit=40)),
        failure_reason=_str(obj, "failure_reason", limit=100),
    )


def _read(event_type: str, obj: dict[str, Any]) -> Reading:
    """The facts an event's object states, and the keys that find its gift."""
    if event_type.startswith("payment_intent."):
        keys = _keys(obj, payment_intent=_str(obj, "id"))
        if event_type == "payment_intent.succeeded":
            received = _amount(obj, "amount_received")
            facts = Facts(
                paid=True,
                charge_id=_id(obj, "latest_charge"),
                amount_cents=received if received else _amount(obj, "amount"),
                currency=_str(obj, "currency", limit=3),
            )
        else:
            facts = Facts(failed=True)
        return Reading(facts, keys)
    if event_type == "charge.refunded":
        listed = _dict(obj, "refunds")
        data = listed.get("data", [])
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise MalformedEvent("refunds.data is not a list of refunds")
        refunds = [_refund(item) for item in data]
        active = sum(r.amount_cents for r in refunds if r.status in ("pending", "succeeded"))
        total = _amount(obj, "amount_refunded") or 0
        incomplete = not listed or listed.get("has_more") is True or active < total
        facts = Facts(
            paid=bool(obj.get("paid")) and _str(obj, "status", limit=40) == "succeeded",
            refunds=refunds,
            charge_id=_str(obj, "id"),
            amount_cents=_amount(obj, "amount"),
            currency=_str(obj, "currency", limit=3),
        )
        return Reading(facts, _keys(obj, payment_intent=_id(obj, "payment_intent")), incomplete)
    if event_type.startswith(("charge.refund.", "refund.")):
        facts = Facts(refunds=[_refund(obj)], charge_id=_id(obj, "charge"))
        return Reading(facts, _keys(obj, payment_intent=_id(obj, "payment_intent")))
    if event_type.startswith("charge.dispute."):
        # A dispute says nothing about whether we were paid: only the payment's own events do.
        facts = Facts(dispute_status=_str(obj, "status", limit=40), charge_id=_id(obj, "charge"))
        return Reading(facts, _keys(obj, payment_intent=_id(obj, "payment_intent")))
    keys = _keys(obj, checkout_session=_str(obj, "id"), payment_intent=_id(obj, "payment_intent"))
    paid = _str(obj, "payment_status", limit=40) == "paid"
    if event_type == "checkout.session.completed":
        # Binds the gift's PaymentIntent as soon as Checkout knows it (found by the session).
        facts = Facts(
            paid=paid,
            amount_cents=_amount(obj, "amount_total") if paid else None,
            currency=_str(obj, "currency", limit=3),
        )
        return Reading(facts, keys)
    return Reading(Facts(expired=not paid), keys)  # checkout.session.expired


@dataclass(frozen=True)
class Parsed:
    stripe_id: str
    type: str
    livemode: bool | None
    obj: dict[str, Any]


def event_parse(payload: Any) -> Parsed:
    """Check a verified body before anything is stored; raises MalformedEvent."""
    if not isinstance(payload, dict):
        raise MalformedEvent("the body is not a JSON object")
    _no_nul(payload)
    stripe_id, event_type = _str(payload, "id"), _str(payload, "type", limit=100)
    if not stripe_id or not event_type:
        raise MalformedEvent("an event without an id or a type")
    livemode = payload.get("livemode")
    if livemode is not None and not isinstance(livemode, bool):
        raise MalformedEvent("livemode is not true or false")
    obj = _dict(_dict(payload, "data"), "object")
    if not obj:
        raise MalformedEvent("an event without data.object")
    if event_type in HANDLED_TYPES:
        _read(event_type, obj)  # every field we will read is checked now
    return Parsed(stripe_id=stripe_id, type=event_type, livemode=livemode, obj=obj)


# --- Storing and applying ----------------------------------------------------------------------


def stripe_event_record(*, payload: Any, now: dt.datetime) -> StripeEvent | None:
    """Store a verified event once; None when it was already received and is final.

    A redelivery of a parked or not yet applied event returns it, to be tried again.
    Raises MalformedEvent for a body that cannot be read or stored.
    """
    parsed = event_parse(payload)
    keys = _read(parsed.type, parsed.obj).keys if parsed.type in HANDLED_TYPES else Keys()
    try:
        with transaction.atomic():
            return StripeEvent.objects.create(
                stripe_id=parsed.stripe_id,
                type=parsed.type,
                payload=payload,
                livemode=parsed.livemode,
                received_at=now,
                payment_intent_id=keys.payment_intent,
                checkout_session_id=keys.checkout_session,
            )
    except IntegrityError:
        existing = StripeEvent.objects.filter(stripe_id=parsed.stripe_id).first()
        if existing is None:  # not the duplicate it looked like
            raise
        return None if existing.status in FINAL else existing


@dataclass
class _Outcome:
    status: str
    text: str
    reason: str = ""
    donation: Donation | None = None
    event: Event | None = None


def _donation_bound(keys: Keys) -> Donation | None:
    """The gift this payment is bound to (its PaymentIntent, or its Checkout Session)."""
    donations = Donation.objects.select_related("event")
    found = None
    if keys.payment_intent:
        found = donations.filter(stripe_payment_intent_id=keys.payment_intent).first()
    if found is None and keys.checkout_session:
        found = donations.filter(stripe_checkout_session_id=keys.checkout_session).first()
    return found


# Objects that always carry our metadata when they are ours (a charge gets its PaymentIntent's):
# without it, they belong to something else on the same Stripe account.
OURS_WHEN_TAGGED = ("payment_intent.", "checkout.session.", "charge.refunded")


def _refunded_from_attention(payment_intent_id: str) -> StripeEvent | None:
    """A parked payment a finance organizer refunded in full: its later events need no one."""
    if not payment_intent_id:
        return None
    return StripeEvent.objects.filter(
        payment_intent_id=payment_intent_id, resolution_kind=StripeEvent.Resolution.REFUNDED
    ).first()


def _apply(record: StripeEvent, now: dt.datetime) -> _Outcome:
    if record.type not in HANDLED_TYPES:
        return _Outcome(St.IGNORED, "ignored type")
    if record.livemode is not None and record.livemode != stripe_api.livemode():
        return _Outcome(St.IGNORED, "ignored: livemode is not this site's")
    reading = _read(record.type, record.payload["data"]["object"])
    keys, facts = reading.keys, reading.facts
    # A binding (PaymentIntent, Checkout Session) decides; our metadata only finds a gift whose
    # payment is not bound yet, and only when it names this site.
    donation = _donation_bound(keys)
    if donation is None:
        refunded = _refunded_from_attention(keys.payment_intent)
        if refunded is not None:
            return _Outcome(
                St.IGNORED,
                f"ignored: about a payment refunded in full from the attention page "
                f"({refunded.stripe_id})",
                event=refunded.event,
            )
        if keys.ours and keys.instance != settings.PLEDGEDAY_INSTANCE:
            return _Outcome(St.IGNORED, f"ignored: a payment of another site ({keys.instance!r})")
        if keys.donation_id is not None:
            donation = (
                Donation.objects.select_related("event")
                .filter(pk=keys.donation_id, method=Donation.Method.CARD)
                .first()
            )
    if donation is None:
        if not keys.ours and record.type.startswith(OURS_WHEN_TAGGED):
            return _Outcome(St.IGNORED, "ignored: not a Pledgeday payment")
        event = Event.objects.filter(slug=keys.event_slug).first() if keys.event_slug else None
        return _Outcome(
            St.PARKED, "no gift is known for this payment yet", P.UNKNOWN_PAYMENT, None, event
        )
    if keys.event_slug and keys.event_slug != donation.event.slug:
        return _Outcome(
            St.PARKED,
            f"the payment names pledge day {keys.event_slug!r}; gift {donation.pk} is of "
            f"{donation.event.slug!r}",
            P.UNKNOWN_PAYMENT,
            None,
            donation.event,
        )
    facts.payment_intent_id = keys.payment_intent
    refunds_complete(donation, facts, incomplete=reading.refunds_incomplete)
    try:
        donation = donation_observe(donation_id=donation.pk, facts=facts, now=now)
    except Unapplicable as verdict:
        return _Outcome(St.PARKED, verdict.detail, verdict.reason, donation, donation.event)
    return _Outcome(
        St.APPLIED, f"gift {donation.pk} is {donation.status}", "", donation, donation.event
    )


def stripe_event_process(*, record: StripeEvent, now: dt.datetime, force: bool = False) -> str:
    """Apply one stored event; returns what happened. Errors propagate (the view answers 5xx).

    With force (an admin's re-apply) a final event is applied again; that converges, and an
    event an organizer resolved stays resolved if it still cannot be applied.
    """
    with transaction.atomic():
        record = StripeEvent.objects.select_for_update(of=("self",)).get(pk=record.pk)
        if record.status in FINAL and not force:
            return "already processed"
        was = record.status
        outcome = _apply(record, now)
        if outcome.status == St.PARKED and was == St.RESOLVED:
            record.outcome = f"still cannot be applied: {outcome.text}"[:300]
            record.save(update_fields=["outcome"])
            return record.outcome
        record.status, record.outcome = outcome.status, outcome.text[:300]
        record.park_reason = outcome.reason
        record.processed_at = now if outcome.status in FINAL else None
        record.donation = outcome.donation or record.donation
        record.event = outcome.event or record.event
        record.save()
        if outcome.status == St.PARKED and was != St.PARKED:
            alert(
                subject=f"A Stripe payment needs review ({record.get_park_reason_display()})",
                detail=f"Stripe event {record.stripe_id} ({record.type}): {outcome.text}. "
                "Finance organizers see it on the pledge day's 'Needs attention' page.",
            )
        return f"parked: {outcome.text}" if outcome.status == St.PARKED else outcome.text


def stripe_events_retry(*, donation_id: int, now: dt.datetime) -> int:
    """Apply the parked events of a payment whose gift just became known; returns how many."""
    donation = Donation.objects.get(pk=donation_id)
    match = Q(donation=donation)
    if donation.stripe_payment_intent_id:
        match |= Q(payment_intent_id=donation.stripe_payment_intent_id)
    if donation.stripe_checkout_session_id:
        match |= Q(checkout_session_id=donation.stripe_checkout_session_id)
    applied = 0
    for record in StripeEvent.objects.filter(match, status=St.PARKED).order_by("received_at"):
        stripe_event_process(record=record, now=now)
        applied += StripeEvent.objects.filter(pk=record.pk, status=St.APPLIED).count()
    return applied


def stripe_events_parked_unknown(*, now: dt.datetime) -> list[int]:
    """Parked events of payments with no known gift, from the last 30 days (the beat scan
    tries them again: their gift may have become known since)."""
    return list(
        StripeEvent.objects.filter(
            status=St.PARKED,
            park_reason=P.UNKNOWN_PAYMENT,
            received_at__gte=now - dt.timedelta(days=30),
        ).values_list("pk", flat=True)[:200]
    )


# --- Resolving parked events (finance organizers) ----------------------------------------------


def _resolved(
    record: StripeEvent, *, by: User, note: str, kind: str, now: dt.datetime
) -> StripeEvent:
    record.status, record.park_reason = St.RESOLVED, ""
    record.resolved_at, record.resolved_by, record.resolution = now, by, note[:300]
    record.resolution_kind = kind
    record.processed_at = now
    record.save()
    return record


def _parked(record: StripeEvent) -> StripeEvent:
    record = StripeEvent.objects.select_for_update(of=("self",)).get(pk=record.pk)
    if record.status != St.PARKED:
        raise ValidationError(_("This payment no longer needs review."), code="not_parked")
    return record


@transaction.atomic
def stripe_event_dismiss(
    *, record: StripeEvent, by: User, note: str, now: dt.datetime
) -> StripeEvent:
    """Mark a parked event as handled outside Pledgeday (for example refunded in Stripe's
    dashboard); the note says how. Nothing about the gift changes."""
    record = _parked(record)
    if not note.strip():
        raise ValidationError(_("Say what was done about this payment."), code="note")
    return _resolved(
        record, by=by, note=note.strip(), kind=StripeEvent.Resolution.DISMISSED, now=now
    )


def stripe_event_accept_amount(*, record: StripeEvent, by: User, now: dt.datetime) -> StripeEvent:
    """Take a payment of another amount (same currency) as the gift: the gift becomes what Stripe
    charged (the donor's fee cover kept as far as it fits), then the event is applied."""
    with transaction.atomic():
        record = _parked(record)
        reading = _read(record.type, record.payload["data"]["object"])
        charged, currency = reading.facts.amount_cents, reading.facts.currency.lower()
        donation = record.donation
        if (
            record.park_reason != P.AMOUNT_MISMATCH
            or donation is None
            or not charged
            or currency != donation.currency
        ):
            raise ValidationError(
                _("Only a payment in the gift's own currency can be accepted as it is."),
                code="cannot_accept",
            )
        donation = donation_lock(donation.pk)
        if donation.status not in UNPAID:
            raise ValidationError(_("This gift is already paid."), code="paid")
        fee = donation.fee_cents if charged - donation.fee_cents >= 1 else 0
        donation.amount_cents, donation.fee_cents = charged - fee, fee
        donation.save(update_fields=["amount_cents", "fee_cents"])
        note = _("Accepted %(amount)s, the amount Stripe charged.") % {
            "amount": cents_format(charged, currency)
        }
        record.resolved_at, record.resolved_by, record.resolution = now, by, note
        record.resolution_kind = StripeEvent.Resolution.ACCEPTED
        record.save(update_fields=["resolved_at", "resolved_by", "resolution", "resolution_kind"])
    stripe_event_process(record=record, now=now)
    # Other events of the same payment parked for the same reason (Checkout's completion and the
    # PaymentIntent's success both carry the amount) now apply too.
    stripe_events_retry(donation_id=donation.pk, now=now)
    return StripeEvent.objects.get(pk=record.pk)


def stripe_event_refund(*, record: StripeEvent, by: User, now: dt.datetime) -> StripeEvent:
    """Give a parked payment back to the donor in full (an amount we could not take, or a
    second payment of a gift already paid), then mark the event resolved."""
    with transaction.atomic():
        record = _parked(record)
        if record.park_reason == P.UNKNOWN_PAYMENT or not record.payment_intent_id:
            raise ValidationError(
                _("Only a payment that belongs to a known gift can be refunded from here."),
                code="cannot_refund",
            )
    try:
        refund = stripe_api.refund_create(
            payment_intent_id=record.payment_intent_id,
            amount_cents=None,
            idempotency_key=f"parked-{record.stripe_id}-refund",
            # Its later events are known by the PaymentIntent (_refunded_from_attention).
            metadata={"pledgeday_parked_event": record.stripe_id},
        )
    except stripe.StripeError as error:
        raise ValidationError(
            _("Stripe did not accept the refund: %(reason)s")
            % {"reason": error.user_message or error},
            code="gateway",
        ) from error
    with transaction.atomic():
        record = _parked(record)
        if record.park_reason == P.AMOUNT_MISMATCH and record.donation_id:
            # The gift was never taken; it will not be paid by this payment any more.
            donation = donation_lock(record.donation_id)
            if donation.status in UNPAID:
                donation.status = S.CANCELED
                donation.save(update_fields=["status"])
        note = _("Refunded in full to the donor (%(refund)s).") % {
            "refund": refund.stripe_refund_id
        }
        return _resolved(record, by=by, note=note, kind=StripeEvent.Resolution.REFUNDED, now=now)


def stripe_event_process_by_id(*, record_id: int, now: dt.datetime) -> str:
    """For the beat scan's task: apply a stored event again if it is not final."""
    record = StripeEvent.objects.filter(pk=record_id).first()
    if record is None:
        return "no such event"
    return stripe_event_process(record=record, now=now)
