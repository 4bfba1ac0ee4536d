"""Cash counts and checks: gifts recorded by organizers."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from donations.models import CashCount, Donation, LedgerEntry
from donations.services.gifts import Attribution, _designation_check
from donations.services.ledger import _ledger
from donations.services.receipts import _receipt_queue
from donations.services.states import S
from events.models import Event, Organization
from volunteers.models import BucketAssignment, User

logger = logging.getLogger(__name__)


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
