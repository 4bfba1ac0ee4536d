"""Demo data only: card gifts recorded as paid by the local gateway's rules, without a payment.

The demo's seed runs before localstripe starts, so the gifts a live demo day already has cannot
be paid on it. They are recorded as `donation_start` records a gift (same validation, same row),
then paid with the facts localstripe's webhook would bring, through `donation_observe`: the
ledger, allocations, tallies and matching pledges follow as for any gift. Refused on a site with
Stripe keys, where a gift is paid only by Stripe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from donations import stripe_api
from donations.models import Donation
from donations.services.gifts import Attribution, donation_pending_create
from donations.services.payments import Facts, donation_observe
from events.models import Event, Organization


def donation_demo_record(
    *,
    event: Event,
    amount_cents: int,
    cover_fee: bool,
    designated_to: Organization | None,
    attribution: Attribution,
    split_among: Sequence[Organization] = (),
    donor_name: str,
    donor_email: str,
    anonymous: bool,
    language: str,
    started_at: dt.datetime,
    paid_at: dt.datetime,
) -> Donation:
    """A demo card gift started at `started_at` and paid at `paid_at` (local gateway only)."""
    if not stripe_api.is_local():
        raise ValidationError(
            _("Demo gifts are recorded only on a site without Stripe keys."), code="not_local"
        )
    if paid_at < started_at:
        raise ValidationError(_("A gift is paid after it is started."), code="order")
    donation = donation_pending_create(
        event=event,
        amount_cents=amount_cents,
        cover_fee=cover_fee,
        designated_to=designated_to,
        attribution=attribution,
        split_among=split_among,
        donor_name=donor_name,
        donor_email=donor_email,
        anonymous=anonymous,
        language=language,
        now=started_at,
    )
    return donation_observe(
        donation_id=donation.pk,
        facts=Facts(paid=True, amount_cents=donation.total_cents, currency=donation.currency),
        now=paid_at,
    )
