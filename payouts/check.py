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
from django.utils.translation import gettext as _

from donations import stripe_api
from donations.models import Donation
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


def ledger_stripe_compare(event: Event) -> Comparison:
    """Compare the day's card gifts with Stripe's payments (reads Stripe: call it outside any
    transaction)."""
    result = Comparison()
    card = Donation.objects.filter(event=event, method=Donation.Method.CARD)
    first = card.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return result
    money = event.currency
    columns = ("pk", "stripe_payment_intent_id", "amount_cents", "fee_cents", "refunded_cents")
    paid = {
        pk: (intent_id, amount + fee, refunded, status)
        for pk, intent_id, amount, fee, refunded, status in card.filter(
            succeeded_at__isnull=False
        ).values_list(*columns, "status")
    }
    by_intent = {row[0]: pk for pk, row in paid.items() if row[0]}
    matched: set[int] = set()
    for intent in stripe_api.payment_intents_since(first, with_charges=True):
        metadata = intent.get("metadata") or {}
        if metadata.get(stripe_api.METADATA_INSTANCE) != settings.PLEDGEDAY_INSTANCE:
            continue
        if metadata.get(stripe_api.METADATA_EVENT) != event.slug:
            continue
        if intent.get("status") != "succeeded":
            continue
        named = str(metadata.get(stripe_api.METADATA_DONATION, ""))
        pk = by_intent.get(intent["id"]) or (int(named) if named.isdigit() else None)
        # localstripe leaves amount_received out; Stripe always sends it.
        received = int(intent.get("amount_received") or intent.get("amount") or 0)
        if pk is None or pk not in paid:
            result.differences.append(
                Difference(
                    pk,
                    intent["id"],
                    _("Stripe took %(amount)s; the ledger counts no gift for it.")
                    % {"amount": cents_format(received, money)},
                )
            )
            continue
        matched.add(pk)
        result.compared += 1
        _intent_id, total, refunded, status = paid[pk]
        if status == S.VOIDED:
            result.differences.append(
                Difference(pk, intent["id"], _("Stripe took the payment; the gift was voided."))
            )
        elif received != total:
            result.differences.append(
                Difference(
                    pk,
                    intent["id"],
                    _("Stripe took %(stripe)s; the ledger counts %(ledger)s.")
                    % {
                        "stripe": cents_format(received, money),
                        "ledger": cents_format(total, money),
                    },
                )
            )
        elif refunded or _charge_refunded(intent):
            at_stripe = _refunded_at_stripe(intent)
            if at_stripe != refunded:
                result.differences.append(
                    Difference(
                        pk,
                        intent["id"],
                        _("Stripe refunded %(stripe)s; the ledger %(ledger)s.")
                        % {
                            "stripe": cents_format(at_stripe, money),
                            "ledger": cents_format(refunded, money),
                        },
                    )
                )
    for pk, (intent_id, total, _refunded, _status) in sorted(paid.items()):
        if pk in matched:
            continue
        if not intent_id and stripe_api.is_local():
            result.not_compared += 1  # a demo gift: the local stand-in never took a payment
            continue
        result.differences.append(
            Difference(
                pk,
                intent_id or "",
                _("The ledger counts %(amount)s; Stripe has no succeeded payment for it.")
                % {"amount": cents_format(total, money)},
            )
        )
    return result
