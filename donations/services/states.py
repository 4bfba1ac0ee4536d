"""The states a donation moves through, and which moves are allowed."""

from __future__ import annotations

from donations.models import Donation

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
