"""Donations (card, cash, check), Stripe events as received, the net-amount ledger, cash counts."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from events.models import Bucket, Corner, Event, Organization, Shift
from events.money import CURRENCY_CHOICES


def public_token_new() -> str:
    return secrets.token_urlsafe(18)


class Donation(models.Model):
    """One gift. amount_cents is what the donor meant the organizations to receive; fee_cents is
    what they added to cover the card fee; the card is charged amount_cents + fee_cents."""

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        CASH = "cash", _("Cash")
        CHECK = "check", _("Check")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        DISPUTED = "disputed", _("Disputed")
        DISPUTE_LOST = "dispute_lost", _("Dispute lost")
        VOIDED = "voided", _("Voided (corrected)")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="donations")
    method = models.CharField(max_length=5, choices=Method.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    amount_cents = models.BigIntegerField(_("gift (cents)"))
    fee_cents = models.BigIntegerField(_("fee covered by the donor (cents)"), default=0)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    designated_to = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Attribution: where and through whom the gift came.
    corner = models.ForeignKey(Corner, on_delete=models.PROTECT, null=True, blank=True)
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, null=True, blank=True)
    bucket = models.ForeignKey(Bucket, on_delete=models.PROTECT, null=True, blank=True)
    volunteers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="credited_donations"
    )
    # The donor (all optional).
    donor_name = models.CharField(_("donor name"), max_length=150, blank=True)
    donor_email = models.EmailField(_("donor email"), blank=True)
    anonymous = models.BooleanField(_("give anonymously"), default=False)
    language = models.CharField(max_length=5, default="en")
    check_number = models.CharField(_("check number"), max_length=40, blank=True)
    # Stripe.
    stripe_payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    stripe_checkout_session_id = models.CharField(
        max_length=255, null=True, blank=True, unique=True
    )
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    refunded_cents = models.BigIntegerField(default=0)
    dispute_status = models.CharField(max_length=40, blank=True)
    public_token = models.CharField(max_length=40, unique=True, default=public_token_new)
    created_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="donation_amount_positive"
            ),
            models.CheckConstraint(condition=Q(fee_cents__gte=0), name="donation_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_cents__gte=0)
                & Q(refunded_cents__lte=F("amount_cents") + F("fee_cents")),
                name="donation_refund_within_charge",
            ),
            models.CheckConstraint(
                condition=Q(method__in=["card", "cash", "check"]), name="donation_method_known"
            ),
            models.CheckConstraint(
                condition=Q(method="card") | Q(fee_cents=0), name="donation_fee_only_on_cards"
            ),
            models.CheckConstraint(
                condition=~Q(method="check") | ~Q(check_number=""),
                name="donation_check_has_number",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status"], name="donation_event_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.total_cents}¢ ({self.status})"

    @property
    def total_cents(self) -> int:
        return self.amount_cents + self.fee_cents

    @property
    def kept_cents(self) -> int:
        """What the donor gave and was not refunded (the amount on a receipt)."""
        return self.total_cents - self.refunded_cents


class StripeEvent(models.Model):
    """Every Stripe event received, once: the unique id makes a repeat delivery a no-op."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type}"


class LedgerEntry(models.Model):
    """Money that reached (or left) the pool, per donation; allocations come with the ledger issue.

    `key` makes each entry idempotent: "gift" once per donation; a refund step is keyed by the
    cumulative refunded amount it brings the donation to.
    """

    class Kind(models.TextChoices):
        GIFT = "gift", _("Gift (net)")
        REFUND = "refund", _("Refund")
        DISPUTE = "dispute", _("Dispute lost")
        VOID = "void", _("Voided by a correction")

    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=60)
    amount_cents = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["donation", "key"], name="ledger_entry_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_cents}¢ ({self.donation_id})"


class CashCount(models.Model):
    """Two people counted a returned bucket; a correction is a new count replacing an old one."""

    assignment = models.ForeignKey(
        "volunteers.BucketAssignment", on_delete=models.PROTECT, related_name="cash_counts"
    )
    amount_cents = models.BigIntegerField(_("counted (cents)"))
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    corrects = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrected_by"
    )
    donation = models.OneToOneField(
        Donation, on_delete=models.PROTECT, null=True, blank=True, related_name="cash_count"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gte=0), name="cashcount_not_negative"),
            models.CheckConstraint(
                condition=~Q(counted_by=F("witnessed_by")), name="cashcount_two_people"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} {self.amount_cents}¢"
