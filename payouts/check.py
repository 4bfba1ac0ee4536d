"""Before money leaves: the ledger and Stripe's records of a pledge day must agree.

Every card gift the ledger counts must be a payment Stripe says succeeded, for the same amount
and with the same refunds; every payment of this site and this day that Stripe says succeeded
must be a gift the ledger counts. Any difference refuses the payout and is named, gift by gift.
(The beat's reconciliation records missed payments as they happen; this is the last look.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from donations import stripe_api
from donations.models import Donation, StripeEvent
from donations.services.payments import FEE_LOOKUP_WINDOW
from donations.services.states import S
from events.models import Event
from events.money import cents_format


@dataclass(frozen=True)
class Difference:
    donation_id: int | None
    payment_intent_id: str
    what: str


@dataclass
class Comparison:
    compared: int = 0  # card gifts compared with a Stripe payment
    not_compared: int = 0  # demo gifts of the local stand-in, recorded without a payment
    differences: list[Difference] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        return "\n".join(
            f"#{d.donation_id or '—'} {d.payment_intent_id or '—'}: {d.what}"
            for d in self.differences
        )


def _charge_refunded(intent: dict[str, Any]) -> int | None:
    charge = intent.get("latest_charge")
    if isinstance(charge, dict) and isinstance(charge.get("amount_refunded"), int):
        return int(charge["amount_refunded"])
    return None


def _refunded_at_stripe(intent: dict[str, Any]) -> int:
    refunded = _charge_refunded(intent)
    if refunded is not None:
        return refunded
    return sum(
        refund.amount_cents
        for refund in stripe_api.refunds_list(intent["id"])
        if refund.status in ("succeeded", "pending")
    )


@dataclass(frozen=True)
class _Gift:
    intent_id: str
    total: int
    currency: str
    refunded: int
    status: str
    disputed: bool
    fee_pending: bool  # Stripe's actual fee of a real charge not known yet


def _gifts(event: Event) -> dict[int, _Gift]:
    card = Donation.objects.filter(event=event, method=Donation.Method.CARD)
    rows = card.filter(succeeded_at__isnull=False).values_list(
        "pk", "stripe_payment_intent_id", "amount_cents", "fee_cents", "currency",
        "refunded_cents", "status", "dispute_status", "processor_fee_estimated",
        "stripe_charge_id", "succeeded_at",
    )  # fmt: skip
    # Stripe's actual fee is still being asked for (the beat tries for FEE_LOOKUP_WINDOW; after
    # that, and on the local stand-in, which reports none, the estimate stands).
    asking_since = timezone.now() - FEE_LOOKUP_WINDOW
    fees_known_here = not stripe_api.is_local()
    return {
        pk: _Gift(intent_id or "", amount + fee, currency, refunded, status, bool(dispute),
                  fees_known_here and estimated and bool(charge) and paid_at is not None
                  and paid_at >= asking_since)
        for (pk, intent_id, amount, fee, currency, refunded, status, dispute, estimated, charge,
             paid_at) in rows
    }  # fmt: skip


def _settled_elsewhere(intent: dict[str, Any], received: int, resolved: set[str]) -> bool:
    """A payment that is no gift of the ledger but needs nothing: finance resolved its parked
    event (refunded, dismissed), or Stripe refunded all of it."""
    return intent["id"] in resolved or _refunded_at_stripe(intent) >= received


def _gift_differences(
    pk: int, gift: _Gift, intent: dict[str, Any], received: int, money: str
) -> list[str]:
    found = []
    currency = str(intent.get("currency") or "").lower()
    if gift.status == S.VOIDED:
        found.append(_("Stripe took the payment; the gift was voided."))
    if currency and currency != gift.currency:
        found.append(
            _("Stripe took %(stripe)s; the gift is in %(ledger)s.")
            % {"stripe": currency.upper(), "ledger": gift.currency.upper()}
        )
    elif received != gift.total:
        found.append(
            _("Stripe took %(stripe)s; the ledger counts %(ledger)s.")
            % {"stripe": cents_format(received, money), "ledger": cents_format(gift.total, money)}
        )
    if gift.refunded or _charge_refunded(intent):
        at_stripe = _refunded_at_stripe(intent)
        if at_stripe != gift.refunded:
            found.append(
                _("Stripe refunded %(stripe)s; the ledger %(ledger)s.")
                % {
                    "stripe": cents_format(at_stripe, money),
                    "ledger": cents_format(gift.refunded, money),
                }
            )
    charge = intent.get("latest_charge")
    if isinstance(charge, dict) and charge.get("disputed") and not gift.disputed:
        found.append(_("Stripe says the payment is disputed; the ledger knows no dispute."))
    if gift.fee_pending:
        found.append(_("Stripe's actual fee is not known yet (it usually is within minutes)."))
    return found


def ledger_stripe_compare(event: Event) -> Comparison:
    """Compare the day's card gifts with Stripe's payments (reads Stripe: call it outside any
    transaction)."""
    result = Comparison()
    card = Donation.objects.filter(event=event, method=Donation.Method.CARD)
    first = card.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return result
    money = event.currency
    paid = _gifts(event)
    by_intent = {gift.intent_id: pk for pk, gift in paid.items() if gift.intent_id}
    resolved = set(
        StripeEvent.objects.filter(event=event, status=StripeEvent.Status.RESOLVED)
        .exclude(payment_intent_id="")
        .values_list("payment_intent_id", flat=True)
    )
    matched: set[int] = set()
    for intent in stripe_api.payment_intents_since(first, with_charges=True):
        metadata = intent.get("metadata") or {}
        if metadata.get(stripe_api.METADATA_INSTANCE) != settings.PLEDGEDAY_INSTANCE:
            continue
        if metadata.get(stripe_api.METADATA_EVENT) != event.slug:
            continue
        if intent.get("status") != "succeeded":
            continue
        # localstripe leaves amount_received out; Stripe always sends it.
        received = int(intent.get("amount_received") or intent.get("amount") or 0)
        pk = by_intent.get(intent["id"])
        named = str(metadata.get(stripe_api.METADATA_DONATION, ""))
        unbound = named.isdigit() and int(named) in paid and not paid[int(named)].intent_id
        if pk is None and unbound:  # a Checkout gift not bound to its payment yet
            pk = int(named)
        if pk is None or pk in matched:
            if not _settled_elsewhere(intent, received, resolved):
                result.differences.append(
                    Difference(
                        int(named) if named.isdigit() else None,
                        intent["id"],
                        _("Stripe took %(amount)s; the ledger counts no gift for it.")
                        % {"amount": cents_format(received, money)},
                    )
                )
            continue
        matched.add(pk)
        result.compared += 1
        for what in _gift_differences(pk, paid[pk], intent, received, money):
            result.differences.append(Difference(pk, intent["id"], what))
    for pk, gift in sorted(paid.items()):
        if pk in matched:
            continue
        if not gift.intent_id and stripe_api.is_local():
            result.not_compared += 1  # a demo gift: the local stand-in never took a payment
            continue
        result.differences.append(
            Difference(
                pk,
                gift.intent_id,
                _("The ledger counts %(amount)s; Stripe has no succeeded payment for it.")
                % {"amount": cents_format(gift.total, money)},
            )
        )
    return result
