"""Gifts organizers record: cash counted from a returned bucket, and checks; and voiding them.

Every form that records money carries a one-time token (stored unique with what it recorded):
the same form posted twice — a double click, a retried request, two people at the table —
records one gift and sends one receipt. Nothing is edited or deleted: a recount is a new count
that voids the old count's gift, and a finance organizer voids a wrong gift with a reason; a
void is a reversing ledger entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from donations.models import CashCount, Donation
from donations.services.gifts import Attribution, designation_check
from donations.services.ledger import ledger_settle
from donations.services.payments import donation_lock
from donations.services.receipts import receipt_queue, receipt_state_follow
from donations.services.states import S
from events.models import Event, Organization
from events.money import cents_format
from volunteers.models import BucketAssignment, User

OFFLINE_METHODS = (Donation.Method.CASH, Donation.Method.CHECK)


def _offline_amount_check(event: Event, amount_cents: int, *, zero_allowed: bool) -> None:
    if amount_cents < 0 or (amount_cents == 0 and not zero_allowed):
        raise ValidationError(_("Enter an amount like 25 or 25.50."), code="amount")
    if amount_cents > event.maximum_offline_cents:
        raise ValidationError(
            _("The largest amount here is %(maximum)s.")
            % {"maximum": cents_format(event.maximum_offline_cents, event.currency)},
            code="too_large",
        )


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
        credit_key=attribution.credit_key,
        created_at=now,
        succeeded_at=now,
        recorded_by=by,
        **fields,
    )
    donation.volunteers.set(attribution.volunteers)
    receipt_state_follow(donation)
    donation.save(update_fields=["receipt_status"])
    ledger_settle(donation, now=now)
    if donation.receipt_status == Donation.ReceiptStatus.PENDING:
        receipt_queue(donation)
    return donation


def _void(donation: Donation, *, by: User, reason: str, now: dt.datetime) -> Donation:
    """Void a cash or check gift under its row lock: status, who, why, and the ledger."""
    donation = donation_lock(donation.pk)
    if donation.method not in OFFLINE_METHODS:
        raise ValidationError(
            _("A card gift is refunded through Stripe, not voided."), code="card_gift"
        )
    if donation.status == S.VOIDED:
        raise ValidationError(_("This gift is already voided."), code="already_voided")
    donation.status, donation.voided_at, donation.voided_by = S.VOIDED, now, by
    donation.void_reason = reason[:200]
    if donation.receipt_status == Donation.ReceiptStatus.PENDING:
        donation.receipt_status = Donation.ReceiptStatus.NONE
    donation.save(
        update_fields=["status", "voided_at", "voided_by", "void_reason", "receipt_status"]
    )
    ledger_settle(donation, now=now)
    return donation


@transaction.atomic
def donation_void(*, donation: Donation, by: User, reason: str, now: dt.datetime) -> Donation:
    """A finance organizer voids a cash or check gift recorded by mistake, with a reason.

    The gift stays, marked voided; the ledger gets a reversing entry; no receipt is sent (one
    already sent is not taken back: the reason is what finance tells the donor).
    """
    if not reason.strip():
        raise ValidationError(_("Say why this gift is voided."), code="reason")
    return _void(donation, by=by, reason=reason.strip(), now=now)


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
    submission_token: str | None = None,
    after_closing: bool = False,
) -> tuple[CashCount, bool]:
    """Two people counted a returned bucket; the count becomes a cash gift credited to its pair.

    Returns the count and whether it is new: the same form posted again returns the count it
    recorded. A correction is a new count; the old count's gift is voided. Once the day is
    closed its counts are final: only payouts.services.cash_count_late records one then
    (`after_closing`, with a reason, in the audit trail, and a follow-up payout).
    """
    assignment = (
        BucketAssignment.objects.select_for_update()
        .select_related("bucket__event", "shift__corner")
        .get(pk=assignment.pk)
    )
    if submission_token:
        already = CashCount.objects.filter(submission_token=submission_token).first()
        if already is not None:
            return already, False
    event = assignment.bucket.event
    if event.status == Event.Status.CLOSED and not after_closing:
        raise ValidationError(
            _("This pledge day is closed: its cash counts are final."), code="closed"
        )
    if after_closing and (event.status != Event.Status.CLOSED or not note.strip()):
        raise ValidationError(
            _("Say why the count changes after the day closed."), code="late_reason"
        )
    if assignment.returned_at is None:
        raise ValidationError(_("Check the bucket back in before counting it."), code="not_back")
    if counted_by.pk == witnessed_by.pk:
        raise ValidationError(_("Two different people must count the cash."), code="two_people")
    _offline_amount_check(event, amount_cents, zero_allowed=True)
    current = CashCount.objects.filter(assignment=assignment, corrected_by__isnull=True).first()
    if current is not None and (corrects is None or corrects.pk != current.pk):
        raise ValidationError(
            _("This bucket was already counted; enter a correction of that count instead."),
            code="already_counted",
        )
    if corrects is not None and current is None:
        raise ValidationError(_("There is no count to correct."), code="nothing_to_correct")
    if corrects is not None and corrects.donation_id:
        old = Donation.objects.get(pk=corrects.donation_id)
        if old.status != S.VOIDED:
            _void(old, by=counted_by, reason=_("Corrected by a recount"), now=now)
    donation = None
    if amount_cents > 0:
        donation = _offline_gift(
            event=event,
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
    count = CashCount.objects.create(
        assignment=assignment,
        amount_cents=amount_cents,
        counted_by=counted_by,
        witnessed_by=witnessed_by,
        corrects=corrects,
        donation=donation,
        note=note,
        submission_token=submission_token or None,
        created_at=now,
    )
    return count, True


def check_number_taken(*, event: Event, check_number: str) -> Donation | None:
    """A check already recorded (and not voided) for the event under this number."""
    return (
        Donation.objects.filter(
            event=event, method=Donation.Method.CHECK, check_number=check_number.strip()
        )
        .exclude(status=S.VOIDED)
        .first()
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
    submission_token: str | None = None,
    repeated_number_confirmed: bool = False,
) -> tuple[Donation, bool]:
    """A check, entered with the donor's name and check number so that it can be receipted.

    Returns the gift and whether it is new: the same form posted again returns the gift it
    recorded. A number already recorded for the event is refused (code "repeated_number")
    unless the organizer confirms it is another check.
    """
    # Recordings of one event's checks take turns (the lock does not block card gifts).
    Event.objects.select_for_update(no_key=True).filter(pk=event.pk).first()
    if submission_token:
        already = Donation.objects.filter(submission_token=submission_token).first()
        if already is not None:
            return already, False
    _offline_amount_check(event, amount_cents, zero_allowed=False)
    if not donor_name.strip() or not check_number.strip():
        raise ValidationError(
            _("A check needs the donor's name and the check number."), code="incomplete"
        )
    designation_check(event=event, designated_to=designated_to)
    taken = check_number_taken(event=event, check_number=check_number)
    if taken is not None and not repeated_number_confirmed:
        raise ValidationError(
            _(
                "Check number %(number)s was already recorded for this pledge day (%(amount)s "
                "from %(donor)s). If this is a different check, confirm it below."
            )
            % {
                "number": taken.check_number,
                "amount": cents_format(taken.amount_cents, taken.currency),
                "donor": taken.donor_name,
            },
            code="repeated_number",
        )
    donation = _offline_gift(
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
        submission_token=submission_token or None,
    )
    return donation, True
