"""Refunds of card gifts through Stripe."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from donations import stripe_api
from donations.models import Donation
from donations.services.payments import Facts, donation_observe
from events.money import cents_format

logger = logging.getLogger(__name__)


# --- Refunds ------------------------------------------------------------------------------------


def donation_refund(
    *, donation: Donation, amount_cents: int, refunded_seen: int, now: dt.datetime
) -> Donation:
    """Refund part or all of a card gift through Stripe; records change when Stripe confirms.

    refunded_seen is what the organizer's page showed as refunded: a different value means the
    gift changed meanwhile (refused), and the idempotency key is built from it, so a double
    click or a retry of the same request never refunds twice. Stripe's webhook
    (charge.refunded) confirms; the payment is also read back at once, so the page shows the
    refund even where webhooks are slow (or, with localstripe, missing).
    """
    donation = Donation.objects.get(pk=donation.pk)
    if donation.refunded_cents != refunded_seen:
        raise ValidationError(
            _("This gift changed since the page was loaded; check it and try again."),
            code="stale",
        )
    if donation.method != Donation.Method.CARD or donation.succeeded_at is None:
        raise ValidationError(_("Only a completed card gift can be refunded."), code="not_card")
    if not donation.stripe_payment_intent_id:
        raise ValidationError(_("This gift has no card payment to refund."), code="no_payment")
    refundable = donation.total_cents - donation.refunded_cents
    if not 1 <= amount_cents <= refundable:
        raise ValidationError(
            _("You can refund between %(min)s and %(max)s.")
            % {
                "min": cents_format(1, donation.currency),
                "max": cents_format(refundable, donation.currency),
            },
            code="amount",
        )
    try:
        stripe_api.refund_create(
            payment_intent_id=donation.stripe_payment_intent_id,
            amount_cents=amount_cents,
            donation_id=donation.pk,
            refunded_so_far=refunded_seen,
        )
    except stripe_api.stripe.StripeError as error:
        raise ValidationError(
            _("Stripe did not accept the refund: %(reason)s")
            % {"reason": error.user_message or error},
            code="gateway",
        ) from error
    try:
        refunded = stripe_api.payment_refunded_cents(donation.stripe_payment_intent_id)
    except stripe_api.stripe.StripeError:
        logger.warning("refund of donation %s sent; reading it back failed", donation.pk)
        return donation  # Stripe's charge.refunded webhook will record it
    return donation_observe(
        donation_id=donation.pk, facts=Facts(paid=True, refunded_cents=refunded), now=now
    )
