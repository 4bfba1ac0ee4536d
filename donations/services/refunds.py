"""Refunds of card gifts through Stripe, one at a time per gift.

A refund is claimed first: one UPDATE sets the gift's refund_claimed_until, only if nobody else
holds the claim and the gift still shows what the organizer's page showed (refunded_seen). The
Stripe call happens with the claim held and no database lock; the idempotency key is built from
what the page showed, so a double click, a retried request or a second organizer on the same
page can never refund twice (a different amount under the same key is refused by Stripe). The
refund Stripe returns is recorded at once; Stripe's refund events later confirm it, or report
that it failed. A worker that dies mid-call leaves a claim that expires by itself.
"""

from __future__ import annotations

import datetime as dt
import logging

import stripe
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from donations import stripe_api
from donations.models import Donation, Refund
from donations.services.payments import Facts, donation_observe, refunds_complete
from events.money import cents_format
from volunteers.models import User

logger = logging.getLogger(__name__)

# Longer than a Stripe call can take (stripe_api.TIMEOUT_SECONDS, with its retries).
REFUND_CLAIM = dt.timedelta(minutes=5)


def _refund_check(donation: Donation, *, amount_cents: int, refunded_seen: int) -> None:
    if donation.method != Donation.Method.CARD or donation.succeeded_at is None:
        raise ValidationError(_("Only a completed card gift can be refunded."), code="not_card")
    if not donation.stripe_payment_intent_id:
        raise ValidationError(_("This gift has no card payment to refund."), code="no_payment")
    if donation.refunded_cents != refunded_seen:
        raise _stale()
    refundable = donation.total_cents - refunded_seen
    if not 1 <= amount_cents <= refundable:
        raise ValidationError(
            _("You can refund between %(min)s and %(max)s.")
            % {
                "min": cents_format(1, donation.currency),
                "max": cents_format(refundable, donation.currency),
            },
            code="amount",
        )


def _stale() -> ValidationError:
    return ValidationError(
        _("This gift changed since the page was loaded; check it and try again."), code="stale"
    )


def donation_refund_check(
    *, donation: Donation, amount_cents: int, refunded_seen: int, refunds_seen: int
) -> None:
    """What the confirmation page checks before asking "refund this?"; raises if it cannot."""
    _refund_check(donation, amount_cents=amount_cents, refunded_seen=refunded_seen)
    if donation.refunds.count() != refunds_seen:
        raise _stale()


def _refund_key(donation: Donation, *, refunds_seen: int, refunded_seen: int) -> str:
    """From what the page showed: how many refunds, and how much refunded. A refund that fails
    brings the refunded total back to an earlier value, but never the number of refunds."""
    return f"donation-{donation.pk}-refund-{refunds_seen}-after-{refunded_seen}"


def _refund_claim(*, donation_id: int, refunded_seen: int, now: dt.datetime) -> bool:
    """One UPDATE: the claim is ours if nobody holds it and the gift still shows what the page
    showed (the concurrency test's control replaces this with a plain check)."""
    return bool(
        Donation.objects.filter(pk=donation_id, refunded_cents=refunded_seen)
        .filter(Q(refund_claimed_until__isnull=True) | Q(refund_claimed_until__lt=now))
        .update(refund_claimed_until=now + REFUND_CLAIM)
    )


def donation_refund(
    *,
    donation: Donation,
    amount_cents: int,
    refunded_seen: int,
    refunds_seen: int,
    by: User,
    now: dt.datetime,
) -> Donation:
    """Refund part or all of a card gift through Stripe, once.

    refunded_seen and refunds_seen are what the organizer's page showed (the amount refunded,
    the number of refunds); a gift that changed since, or whose refund someone else is making
    right now, is refused with a message to reload.
    """
    donation = Donation.objects.get(pk=donation.pk)
    _refund_check(donation, amount_cents=amount_cents, refunded_seen=refunded_seen)
    if not _refund_claim(donation_id=donation.pk, refunded_seen=refunded_seen, now=now):
        raise ValidationError(
            _(
                "Someone else is refunding this gift right now, or it changed since the page "
                "was loaded. Reload the page and check it before trying again."
            ),
            code="busy",
        )
    if donation.refunds.count() != refunds_seen:  # a refund recorded since (the claim holds now)
        Donation.objects.filter(pk=donation.pk).update(refund_claimed_until=None)
        raise _stale()
    try:
        refund = stripe_api.refund_create(
            payment_intent_id=donation.stripe_payment_intent_id or "",
            amount_cents=amount_cents,
            idempotency_key=_refund_key(
                donation, refunds_seen=refunds_seen, refunded_seen=refunded_seen
            ),
            metadata=stripe_api.metadata(donation_id=donation.pk, event_slug=donation.event.slug),
        )
    except stripe.StripeError as error:
        Donation.objects.filter(pk=donation.pk).update(refund_claimed_until=None)
        raise ValidationError(
            _("Stripe did not accept the refund: %(reason)s")
            % {"reason": error.user_message or error},
            code="gateway",
        ) from error
    facts = Facts(
        paid=True, refunds=[refund], payment_intent_id=donation.stripe_payment_intent_id or ""
    )
    refunds_complete(donation, facts, incomplete=False)  # a legacy row is replaced by the list
    with transaction.atomic():
        donation = donation_observe(donation_id=donation.pk, facts=facts, now=now)
        Refund.objects.filter(stripe_refund_id=refund.stripe_refund_id).update(requested_by=by)
        Donation.objects.filter(pk=donation.pk).update(refund_claimed_until=None)
    return Donation.objects.get(pk=donation.pk)


@transaction.atomic
def refund_failure_handle(*, refund: Refund, by: User, note: str, now: dt.datetime) -> Refund:
    """A refund that failed (the donor's card was closed, say) was dealt with another way; the
    note says how. It leaves the gift's attention list."""
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status not in (Refund.Status.FAILED, Refund.Status.CANCELED):
        raise ValidationError(
            _("Only a failed refund can be marked as handled."), code="not_failed"
        )
    if not note.strip():
        raise ValidationError(_("Say how the donor was reached."), code="note")
    refund.handled_at, refund.handled_by, refund.handled_note = now, by, note.strip()[:300]
    refund.save(update_fields=["handled_at", "handled_by", "handled_note"])
    return refund
