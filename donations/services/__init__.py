"""Every write of the money path, by domain: starting gifts, their payment state, the ledger,
receipts, Stripe's events, refunds, and gifts organizers record (cash and checks).

Callers use `from donations import services` and the names below.
"""

from donations.services.gifts import (
    OPEN_FOR_GIFTS,
    Attribution,
    PaymentStart,
    attribution_for_bucket,
    donation_start,
    donation_total_cents,
)
from donations.services.ledger import _net_cents
from donations.services.offline import cash_count_record, check_record
from donations.services.payments import Facts, donation_observe
from donations.services.receipts import donation_receipt_send
from donations.services.refunds import donation_refund
from donations.services.webhook import stripe_event_process, stripe_event_record

__all__ = [
    "OPEN_FOR_GIFTS",
    "Attribution",
    "Facts",
    "PaymentStart",
    "_net_cents",
    "attribution_for_bucket",
    "cash_count_record",
    "check_record",
    "donation_observe",
    "donation_receipt_send",
    "donation_refund",
    "donation_start",
    "donation_total_cents",
    "stripe_event_process",
    "stripe_event_record",
]
