"""Starting a card gift: validation, attribution, the pending donation and its payment."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from donations import stripe_api
from donations.models import Donation
from events.models import Bucket, Corner, Event, Organization, Shift
from events.money import STRIPE_MINIMUM_CENTS, cents_format, fee_cover_cents
from events.text import local_text
from volunteers.models import BucketAssignment, User

S = Donation.Status

logger = logging.getLogger(__name__)

OPEN_FOR_GIFTS = (Event.Status.PUBLISHED, Event.Status.LIVE)

# --- Starting a gift ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribution:
    """Where a gift came from: set by the bucket's QR code or a volunteer's personal link."""

    corner: Corner | None = None
    shift: Shift | None = None
    bucket: Bucket | None = None
    volunteers: list[User] = field(default_factory=list)

    @property
    def credit_key(self) -> str:
        """The credited volunteers' ids, sorted and joined: their tally's key."""
        return "-".join(str(pk) for pk in sorted(user.pk for user in self.volunteers))


def bucket_hand_out_latest(bucket: Bucket) -> BucketAssignment | None:
    """The bucket's hand-out out now, else its latest one (with its shift and corner)."""
    return (
        BucketAssignment.objects.filter(bucket=bucket)
        .select_related("shift__corner")
        # The one out now (not returned) first, else the latest one, on any database.
        .order_by(F("returned_at").desc(nulls_first=True), "-handed_out_at")
        .first()
    )


def attribution_for_bucket(bucket: Bucket) -> Attribution:
    """The bucket's current hand-out (or its latest one): corner, shift and the pair holding it."""
    return attribution_for_hand_out(bucket, bucket_hand_out_latest(bucket))


def attribution_for_hand_out(bucket: Bucket, assignment: BucketAssignment | None) -> Attribution:
    """A gift through `bucket`, credited to `assignment` (bucket_hand_out_latest's answer)."""
    if assignment is None:
        return Attribution(bucket=bucket)
    return Attribution(
        corner=assignment.shift.corner,
        shift=assignment.shift,
        bucket=bucket,
        volunteers=list(assignment.holders.all()),
    )


def donation_total_cents(*, event: Event, amount_cents: int, cover_fee: bool) -> int:
    fee = (
        fee_cover_cents(
            amount_cents, fee_bp=event.card_fee_bp, fixed_cents=event.card_fee_fixed_cents
        )
        if cover_fee
        else 0
    )
    return amount_cents + fee


SPLIT_AMONG = (2, 3)  # how many partners a donor may split a gift among, in equal parts


def designation_check(
    *, event: Event, designated_to: Organization | None, split_among: Sequence[Organization] = ()
) -> None:
    """A gift goes to the event's partners: shared by their shares, designated to one of them,
    or split in equal parts among two or three the donor chose."""
    chosen = {organization.pk for organization in split_among}
    if designated_to and chosen:
        raise ValidationError(
            _("Choose one partner, or the partners to split among, not both."), code="designation"
        )
    if chosen and not SPLIT_AMONG[0] <= len(chosen) <= SPLIT_AMONG[-1]:
        raise ValidationError(
            _("Choose two or three partners to split your gift among."), code="split_count"
        )
    wanted = chosen | ({designated_to.pk} if designated_to else set())
    if wanted and event.partners.filter(organization_id__in=wanted).count() != len(wanted):
        raise ValidationError(
            _("That organization is not a partner of this pledge day."), code="designation"
        )


def gift_minimum_cents(event: Event) -> int:
    """The smallest online gift: the event's minimum, and never below what Stripe accepts."""
    return max(event.minimum_gift_cents, STRIPE_MINIMUM_CENTS.get(event.currency, 1))


def _gift_validate(
    *,
    event: Event,
    amount_cents: int,
    designated_to: Organization | None,
    split_among: Sequence[Organization],
) -> None:
    if event.status not in OPEN_FOR_GIFTS:
        raise ValidationError(_("This pledge day is not taking gifts online."), code="not_open")
    gift_amount_check(event=event, amount_cents=amount_cents)
    designation_check(event=event, designated_to=designated_to, split_among=split_among)


def gift_amount_check(*, event: Event, amount_cents: int) -> None:
    """Refuses an online gift below the event's minimum (or Stripe's) or above its maximum; the
    give form asks it too, so the donor hears it with any other mistake, not after them."""
    minimum = gift_minimum_cents(event)
    if amount_cents < minimum:
        raise ValidationError(
            _("The smallest gift online is %(minimum)s.")
            % {"minimum": cents_format(minimum, event.currency)},
            code="too_small",
        )
    if amount_cents > event.maximum_gift_cents:
        raise ValidationError(
            _("For gifts over %(maximum)s, please contact the organizers.")
            % {"maximum": cents_format(event.maximum_gift_cents, event.currency)},
            code="too_large",
        )


@dataclass(frozen=True)
class PaymentStart:
    donation: Donation
    redirect_url: str


def donation_pending_create(
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
    now: dt.datetime,
) -> Donation:
    """Validate a card gift and record it as pending; the caller then opens its payment."""
    _gift_validate(
        event=event, amount_cents=amount_cents, designated_to=designated_to, split_among=split_among
    )
    total = donation_total_cents(event=event, amount_cents=amount_cents, cover_fee=cover_fee)
    with transaction.atomic():
        donation = Donation.objects.create(
            event=event,
            method=Donation.Method.CARD,
            amount_cents=amount_cents,
            fee_cents=total - amount_cents,
            currency=event.currency,
            fee_bp=event.card_fee_bp,
            fee_fixed_cents=event.card_fee_fixed_cents,
            designated_to=designated_to,
            corner=attribution.corner,
            shift=attribution.shift,
            bucket=attribution.bucket,
            credit_key=attribution.credit_key,
            donor_name=donor_name.strip(),
            donor_email=donor_email.strip(),
            anonymous=anonymous,
            language=language,
            created_at=now,
        )
        donation.volunteers.set(attribution.volunteers)
        donation.split_among.set(split_among)
        # Checked again now that the insert holds a share lock on the event row: the shares and
        # money settings cannot change under this gift any more, and a change committed just
        # before is seen (the gift then follows what the donor was shown, or is refused).
        designation_check(event=event, designated_to=designated_to, split_among=split_among)
        unchanged = Event.objects.filter(
            pk=event.pk,
            status__in=OPEN_FOR_GIFTS,
            currency=event.currency,
            card_fee_bp=event.card_fee_bp,
            card_fee_fixed_cents=event.card_fee_fixed_cents,
        ).exists()
        if not unchanged:
            raise ValidationError(
                _("This pledge day's giving settings just changed. Please check and give again."),
                code="settings_changed",
            )
    return donation


def donation_start(
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
    now: dt.datetime,
    success_url: str,
    cancel_url: str,
    demo_pay_url: str,
) -> PaymentStart:
    """Record a pending card gift and open its payment (Stripe Checkout, or the demo page).

    success_url, cancel_url and demo_pay_url may contain {token}: the donation's public token.
    """
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
        now=now,
    )
    total = donation.total_cents
    description = _("Gift to %(title)s") % {"title": local_text(event, "title")}
    token = donation.public_token
    # The external call happens outside any transaction: a slow Stripe never holds a lock.
    try:
        if stripe_api.is_local():
            intent_id = stripe_api.payment_intent_create(
                donation_id=donation.pk,
                event_slug=event.slug,
                description=description,
                total_cents=total,
                currency=event.currency,
            )
            Donation.objects.filter(pk=donation.pk).update(stripe_payment_intent_id=intent_id)
            return PaymentStart(donation=donation, redirect_url=demo_pay_url.format(token=token))
        session = stripe_api.checkout_session_create(
            donation_id=donation.pk,
            event_slug=event.slug,
            description=description,
            total_cents=total,
            currency=event.currency,
            locale=language,
            donor_email=donation.donor_email,
            success_url=success_url.format(token=token),
            cancel_url=cancel_url.format(token=token),
        )
    except stripe_api.stripe.StripeError as error:
        logger.warning("could not open a payment for donation %s: %s", donation.pk, error)
        Donation.objects.filter(pk=donation.pk).update(status=S.FAILED)
        raise ValidationError(
            _("The card payment could not be opened just now. Please try again in a minute."),
            code="gateway",
        ) from error
    Donation.objects.filter(pk=donation.pk).update(stripe_checkout_session_id=session.id)
    return PaymentStart(donation=donation, redirect_url=session.url)
