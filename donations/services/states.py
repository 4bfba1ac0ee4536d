"""The states a donation moves through, which moves are allowed, and the errors of the money
path that are not a person's mistake."""

from __future__ import annotations

from donations.models import Donation, Refund, StripeEvent

S = Donation.Status
PAID = (S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED, S.DISPUTE_LOST)
UNPAID = (S.PENDING, S.FAILED, S.CANCELED)
# Allowed moves: an unpaid donation may become anything; a paid one stays paid (money moved);
# a voided one (cash or check only) is final.
TRANSITIONS: dict[str, set[str]] = {
    **{status: {*UNPAID, *PAID} for status in UNPAID},
    **{status: set(PAID) for status in PAID},
    S.VOIDED: set(),
}
DISPUTE_OPEN = {"warning_needs_response", "warning_under_review", "needs_response", "under_review"}
DISPUTE_LOST = {"lost"}
DISPUTE_CLOSED = {"won", "lost", "warning_closed"}

# A refund's status only moves forward; failed and canceled are final and give the money back.
REFUND_RANK: dict[str, int] = {
    Refund.Status.PENDING: 0,
    Refund.Status.SUCCEEDED: 1,
    Refund.Status.FAILED: 2,
    Refund.Status.CANCELED: 2,
}
REFUND_ACTIVE = (Refund.Status.PENDING, Refund.Status.SUCCEEDED)


class MoneyInvariantError(Exception):
    """Something that must never happen on the money path did (a bug, or data edited by hand).

    Never caught to carry on: it rolls the transaction back, the caller alerts, and Stripe's
    retry (or the organizer's) meets the same refusal until someone fixes the cause.
    """


class Unapplicable(Exception):
    """Stripe's facts cannot be applied to this gift; the event is parked for a person."""

    def __init__(self, reason: StripeEvent.ParkReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
