"""Closing a pledge day and paying its partner organizations.

A payout run is one computation of what each partner is owed, from the ledger: the first when the
day closes, follow-ups when gifts arrive or are refunded later. Each run's payouts pay the
difference between what a partner is owed now and what earlier runs already committed to it,
so a paid payout is never changed: a late refund becomes a negative line carried into the next
payment. Every row here is written by payouts.services; the audit trail only grows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from events.models import Event, Organization
from events.money import cents_format


class PayoutRun(models.Model):
    """One computation of the payouts of a closed pledge day (number 1, then follow-ups)."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="payout_runs")
    number = models.PositiveIntegerField()
    fee_policy = models.CharField(max_length=4, choices=Event.FeePolicy.choices)
    # What the partners are owed in all, as of this run (the ledger plus matched money received).
    net_raised_cents = models.BigIntegerField()
    gross_cents = models.BigIntegerField()  # gifts before fees, refunds and disputes
    fees_cents = models.BigIntegerField()
    reversed_cents = models.BigIntegerField()  # refunds, lost disputes and voids
    matched_cents = models.BigIntegerField()  # matched money received from sponsors
    # The day's tallies and sponsors' receipts when this run was computed (payouts.owed.
    # ledger_mark): a follow-up is due only when they change.
    ledger_mark = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: computed by the system when the day closed or changed."),
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["event", "number"]
        verbose_name = _("payout run")
        verbose_name_plural = _("payout runs")
        constraints = [
            models.UniqueConstraint(fields=["event", "number"], name="payoutrun_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="payoutrun_number_positive"),
            models.CheckConstraint(
                condition=Q(approved_at__isnull=True) | Q(approved_by__isnull=False),
                name="payoutrun_approved_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.number}"

    @property
    def is_follow_up(self) -> bool:
        return self.number > 1


class Payout(models.Model):
    """What one run pays one partner organization, and the arithmetic behind it.

    The breakdown is cumulative (everything the partner is owed as of the run); `amount_cents`
    is this run's payment: `owed_cents - previously_cents`. A transfer's idempotency key is
    derived from exactly (event, organization, run), so a retried or repeated send can never
    pay twice; a paid payout cannot change (the database refuses it).
    """

    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Stripe transfer")
        GRANT = "grant", _("Grant (check or bank transfer)")
        NONE = "none", _("Nothing to pay")

    class Status(models.TextChoices):
        PENDING = "pending", _("To pay")
        SENDING = "sending", _("Sending to Stripe")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Transfer refused")
        OFFSET = "offset", _("To deduct from the next payment")
        RECOVERED = "recovered", _("Recovered from the partner")
        CARRIED = "carried", _("Carried into a later run")
        SETTLED = "settled", _("Nothing to pay")

    class GrantMethod(models.TextChoices):
        CHECK = "check", _("Check")
        BANK = "bank", _("Bank transfer")
        OTHER = "other", _("Other")

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="payouts")
    method = models.CharField(max_length=8, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    amount_cents = models.BigIntegerField()
    # The arithmetic, cumulative as of the run.
    designated_cents = models.BigIntegerField()  # gifts designated to (or split with) it
    pooled_cents = models.BigIntegerField()  # its share of the pooled gifts
    reversed_cents = models.BigIntegerField()  # its part of refunds, lost disputes, voids
    fees_cents = models.BigIntegerField()  # processing fees it bears (the event's policy)
    matched_cents = models.BigIntegerField()  # matched money received from sponsors
    owed_cents = models.BigIntegerField()
    previously_cents = models.BigIntegerField()  # committed by earlier runs
    # Stripe Connect.
    destination = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    stripe_transfer_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    # Paid (a transfer Stripe accepted, or a grant finance recorded).
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    paid_method = models.CharField(_("how"), max_length=5, choices=GrantMethod.choices, blank=True)
    paid_reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_("Check number or bank transfer reference."),
    )
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["run", "organization__name"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.UniqueConstraint(fields=["run", "organization"], name="payout_once_per_run"),
            models.CheckConstraint(
                condition=Q(
                    owed_cents=models.F("designated_cents")
                    + models.F("pooled_cents")
                    + models.F("matched_cents")
                    - models.F("reversed_cents")
                    - models.F("fees_cents")
                ),
                name="payout_arithmetic_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(amount_cents=models.F("owed_cents") - models.F("previously_cents")),
                name="payout_pays_the_difference",
            ),
            models.CheckConstraint(
                condition=(
                    Q(method="transfer", amount_cents__gt=0)
                    | Q(method="grant", amount_cents__gt=0)
                    | Q(method="none", amount_cents__lte=0)
                ),
                name="payout_method_fits_amount",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["paid"], paid_at__isnull=False) | ~Q(status__in=["paid"]),
                name="payout_paid_has_a_date",
            ),
            models.CheckConstraint(
                condition=~Q(method="transfer") | Q(idempotency_key__isnull=False),
                name="payout_transfer_has_a_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.amount_cents}¢ ({self.run})"

    @property
    def is_open(self) -> bool:
        """Still to be paid (or sent)."""
        return self.status in (self.Status.PENDING, self.Status.SENDING, self.Status.FAILED)


class AuditEntry(models.Model):
    """Who closed, computed, approved and paid what, and when. Only ever added to."""

    class Action(models.TextChoices):
        CLOSED = "closed", _("Closed the pledge day")
        COMPUTED = "computed", _("Computed the payouts")
        UNCHANGED = "unchanged", _("Computed again: nothing changed")
        CHECK_FAILED = "check_failed", _("Ledger and Stripe differ: payment refused")
        APPROVED = "approved", _("Approved the payouts")
        TRANSFER_SENT = "transfer_sent", _("Stripe transfer made")
        TRANSFER_FAILED = "transfer_failed", _("Stripe refused the transfer")
        GRANT_PAID = "grant_paid", _("Recorded a grant as paid")
        RECOVERED = "recovered", _("Recorded money recovered from a partner")
        CORRECTION = "correction", _("Correction")
        LATE_CHANGE = "late_change", _("Changed after closing")
        CONNECT = "connect", _("Stripe account")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, null=True, blank=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, null=True, blank=True)
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, null=True, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What happened, shown in the reader's language: a key of AUDIT_MESSAGES and its values
    # (amounts in cents under names ending in _cents); `detail` is what people or Stripe wrote.
    message = models.CharField(max_length=40, blank=True)
    params = models.JSONField(default=dict, blank=True)
    detail = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["event", "at"], name="auditentry_event_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    @property
    def text(self) -> str:
        """The entry in the reader's language (then what was written, as written)."""
        template = AUDIT_MESSAGES.get(self.message)
        if template is None:
            return self.detail
        currency = self.event.currency if self.event_id and self.event else "usd"
        values: dict[str, object] = {}
        for name, value in self.params.items():
            if name.endswith("_cents"):
                shown = cents_format(value, currency) if isinstance(value, int) else "—"
                values[name.removesuffix("_cents")] = shown
            elif name == "how" and value in Payout.GrantMethod.values:
                values[name] = Payout.GrantMethod(value).label
            elif name == "state" and value in Organization.StripeState.values:
                values[name] = Organization.StripeState(value).label
            else:
                values[name] = value
        text = str(template) % values
        return f"{text} {self.detail}".strip()


AUDIT_MESSAGES = {
    "closed_by_lead": _("Closed by a lead."),
    "closed_after_grace": _("Closed after its grace period."),
    "computed": _("Run %(number)s: %(net)s owed to the partners in all; %(count)s payouts."),
    "agrees": _("The ledger agrees with Stripe (%(count)s card payments compared)."),
    "agrees_demo": _(
        "The ledger agrees with Stripe (%(count)s card payments compared; %(demo)s demo gifts "
        "of the local stand-in had no payment to compare)."
    ),
    "transfer_sent": _("Transfer %(transfer)s: %(amount)s."),
    "grant_paid": _("%(amount)s paid on %(date)s: %(how)s %(reference)s."),
    "late_cash_count": _("Cash count of bucket %(bucket)s: %(was)s → %(now)s."),
    "account_created": _("Connected account %(account)s created."),
    "account_state": _("Stripe account %(account)s: %(state)s."),
}
