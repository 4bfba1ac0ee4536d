"""Every write of the money path, by domain: starting gifts, their payment state, the ledger,
receipts, Stripe's events, refunds, and gifts organizers record (cash and checks).

Callers use `from donations import services` and the names below.
"""

from donations.services.allocations import split_cents
from donations.services.demo import donation_demo_record
from donations.services.gifts import (
    OPEN_FOR_GIFTS,
    Attribution,
    PaymentStart,
    attribution_for_bucket,
    attribution_for_hand_out,
    bucket_hand_out_latest,
    designation_check,
    donation_pending_create,
    donation_start,
    donation_total_cents,
    gift_minimum_cents,
)
from donations.services.ledger import ledger_settle, ledger_targets, net_cents
from donations.services.matching import (
    donor_is_first_time,
    match_pledge_receive,
    match_pledge_save,
)
from donations.services.offline import (
    cash_count_record,
    check_number_taken,
    check_record,
    donation_void,
)
from donations.services.payments import (
    Facts,
    donation_observe,
    donation_processor_fee_fetch,
    donations_fee_due,
)
from donations.services.receipts import (
    donation_receipt_retry,
    donation_receipt_send,
    donation_receipts_due,
)
from donations.services.reconcile import Reconciliation, payments_reconcile
from donations.services.refunds import donation_refund, donation_refund_check, refund_failure_handle
from donations.services.states import MoneyInvariantError, Unapplicable
from donations.services.tallies import (
    events_to_reconcile,
    tallies_reconcile,
    tallies_reconcile_all,
)
from donations.services.webhook import (
    MalformedEvent,
    stripe_event_accept_amount,
    stripe_event_dismiss,
    stripe_event_process,
    stripe_event_process_by_id,
    stripe_event_record,
    stripe_event_refund,
    stripe_events_parked_unknown,
    stripe_events_retry,
)

__all__ = [
    "OPEN_FOR_GIFTS",
    "Attribution",
    "Facts",
    "MalformedEvent",
    "MoneyInvariantError",
    "PaymentStart",
    "Reconciliation",
    "Unapplicable",
    "attribution_for_bucket",
    "attribution_for_hand_out",
    "bucket_hand_out_latest",
    "cash_count_record",
    "check_number_taken",
    "check_record",
    "designation_check",
    "donation_demo_record",
    "donation_observe",
    "donation_pending_create",
    "donation_processor_fee_fetch",
    "donation_receipt_retry",
    "donation_receipt_send",
    "donation_receipts_due",
    "donation_refund",
    "donation_refund_check",
    "donation_start",
    "donation_total_cents",
    "donation_void",
    "donations_fee_due",
    "donor_is_first_time",
    "events_to_reconcile",
    "gift_minimum_cents",
    "ledger_settle",
    "ledger_targets",
    "match_pledge_receive",
    "match_pledge_save",
    "net_cents",
    "payments_reconcile",
    "refund_failure_handle",
    "split_cents",
    "stripe_event_accept_amount",
    "stripe_event_dismiss",
    "stripe_event_process",
    "stripe_event_process_by_id",
    "stripe_event_record",
    "stripe_event_refund",
    "stripe_events_parked_unknown",
    "stripe_events_retry",
    "tallies_reconcile",
    "tallies_reconcile_all",
]
