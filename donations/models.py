"""Donations (card, cash, check), Stripe events as received, the net-amount ledger, cash counts."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
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

    class ReceiptStatus(models.TextChoices):
        NONE = "none", _("No receipt (no email)")
        PENDING = "pending", _("To send")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        DISPUTED = "disputed", _("Disputed")
        DISPUTE_LOST = "dispute_lost", _("Dispute lost")
        VOIDED = "voided", _("Voided")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="donations")
    method = models.CharField(max_length=5, choices=Method.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    amount_cents = models.BigIntegerField(_("gift (cents)"))
    fee_cents = models.BigIntegerField(_("fee covered by the donor (cents)"), default=0)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    # The card fee rule the gift was given under (the event's, when it started): the donor's
    # "cover the fee" and the estimate below use it, whatever the event says later.
    fee_bp = models.PositiveIntegerField(_("card fee rate (basis points)"), default=0)
    fee_fixed_cents = models.PositiveIntegerField(_("card fee per payment (cents)"), default=0)
    # What the processor kept, set when the gift is paid: the estimate from the rule above until
    # Stripe's balance transaction tells the actual fee.
    processor_fee_cents = models.BigIntegerField(_("processor fee (cents)"), null=True, blank=True)
    processor_fee_estimated = models.BooleanField(_("processor fee is an estimate"), default=True)
    designated_to = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Or the partners the donor chose to split the gift among, in equal parts (two or three).
    split_among = models.ManyToManyField(Organization, blank=True, related_name="+")
    # Attribution: where and through whom the gift came.
    corner = models.ForeignKey(Corner, on_delete=models.PROTECT, null=True, blank=True)
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, null=True, blank=True)
    bucket = models.ForeignKey(Bucket, on_delete=models.PROTECT, null=True, blank=True)
    volunteers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="credited_donations"
    )
    # The credited volunteers' ids, sorted and joined ("12-34"): the pair's tally key.
    credit_key = models.CharField(max_length=64, blank=True)
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
    # A refund in flight: claimed by one organizer across the Stripe call, expires by itself.
    refund_claimed_until = models.DateTimeField(null=True, blank=True)
    public_token = models.CharField(max_length=40, unique=True, default=public_token_new)
    # The one-time token of the organizer's form that recorded it: a form posted twice records
    # one gift (cash and checks).
    submission_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)
    receipt_status = models.CharField(
        _("receipt"), max_length=10, choices=ReceiptStatus.choices, default=ReceiptStatus.NONE
    )
    receipt_claimed_until = models.DateTimeField(null=True, blank=True)
    receipt_attempts = models.PositiveSmallIntegerField(default=0)
    receipt_error = models.CharField(max_length=300, blank=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True)

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
            models.CheckConstraint(
                condition=Q(processor_fee_cents__isnull=True) | Q(processor_fee_cents__gte=0),
                name="donation_processor_fee_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="voided") | Q(method__in=["cash", "check"]),
                name="donation_only_offline_gifts_are_voided",
            ),
            models.CheckConstraint(
                condition=Q(receipt_status__in=["none", "pending", "sending", "sent", "failed"]),
                name="donation_receipt_status_known",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status"], name="donation_event_status_idx"),
            models.Index(
                fields=["receipt_status"],
                name="donation_receipt_due_idx",
                condition=Q(receipt_status__in=["pending", "sending"]),
            ),
            # First-time donors (matching pledges): earlier gifts by the same address.
            models.Index(Lower("donor_email"), name="donation_donor_email_idx"),
            # The control room's latest gifts, newest first, read by the index alone (a sort of
            # a million rows without it).
            models.Index(
                F("event"),
                F("succeeded_at").desc(),
                F("id").desc(),
                name="donation_event_latest_idx",
                condition=Q(succeeded_at__isnull=False),
            ),
            # The attention badge counts failed receipts: a handful of rows, not the event's gifts.
            models.Index(
                fields=["event"],
                name="donation_receipt_failed_idx",
                condition=Q(receipt_status="failed"),
            ),
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


# Refunds recorded before refunds were itemized (migration 0002): one row per gift for the total
# refunded then, replaced by Stripe's own list the first time the gift's refunds are read back.
LEGACY_REFUND_PREFIX = "legacy-"


class Refund(models.Model):
    """One Stripe refund of a card gift, as Stripe last described it.

    A refund's status only moves forward (pending -> succeeded -> failed or canceled; a failed
    or canceled refund is final and returns the money to the pool). The donation's
    refunded_cents is the sum of its refunds that are not failed or canceled.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="refunds")
    stripe_refund_id = models.CharField(max_length=255, unique=True)
    amount_cents = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices)
    failure_reason = models.CharField(max_length=100, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # A failed refund needs someone to reach the donor another way; they mark it handled.
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "succeeded", "failed", "canceled"]),
                name="refund_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_refund_id} {self.amount_cents}¢ ({self.status})"


class StripeEvent(models.Model):
    """Every Stripe event received, once (the unique id makes a repeat delivery a no-op), and
    what became of it.

    "Applied" means its facts are in the donation and the ledger. An event that cannot be
    applied is "parked" with a reason, where finance organizers see it, until it applies (its
    gift becomes known) or someone resolves it; nothing is acknowledged and forgotten.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received, not yet applied")
        APPLIED = "applied", _("Applied")
        IGNORED = "ignored", _("Not for this site")
        PARKED = "parked", _("Needs review")
        RESOLVED = "resolved", _("Resolved by an organizer")

    class Resolution(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted as the gift")
        REFUNDED = "refunded", _("Refunded in full")
        DISMISSED = "dismissed", _("Handled another way")

    class ParkReason(models.TextChoices):
        AMOUNT_MISMATCH = "amount_mismatch", _("Stripe charged another amount or currency")
        UNKNOWN_PAYMENT = "unknown_payment", _("No gift is known for this payment (yet)")
        BOUND_ELSEWHERE = "bound_elsewhere", _("The gift was already paid by another payment")

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    livemode = models.BooleanField(null=True)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    park_reason = models.CharField(max_length=20, choices=ParkReason.choices, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    # What the event is about, where known: to show it to the right organizers, and to find
    # parked events again when their gift becomes known.
    donation = models.ForeignKey(
        Donation, on_delete=models.PROTECT, null=True, blank=True, related_name="stripe_events"
    )
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="stripe_events"
    )
    payment_intent_id = models.CharField(max_length=255, blank=True)
    checkout_session_id = models.CharField(max_length=255, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=300, blank=True)
    resolution_kind = models.CharField(max_length=10, choices=Resolution.choices, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["received", "applied", "ignored", "parked", "resolved"]),
                name="stripeevent_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status="parked", park_reason__gt="")
                | (~Q(status="parked") & Q(park_reason="")),
                name="stripeevent_parked_with_a_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["payment_intent_id"],
                name="stripeevent_parked_pi_idx",
                condition=Q(status="parked"),
            ),
            models.Index(
                fields=["checkout_session_id"],
                name="stripeevent_parked_cs_idx",
                condition=Q(status="parked"),
            ),
            models.Index(fields=["status", "event"], name="stripeevent_status_event_idx"),
            models.Index(
                fields=["payment_intent_id"],
                name="stripeevent_refunded_pi_idx",
                condition=Q(resolution_kind="refunded"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type}"

    @property
    def charged(self) -> tuple[int | None, str]:
        """What the event's payment says was charged (amount in cents, currency), if it says."""
        obj = (
            self.payload.get("data", {}).get("object", {}) if isinstance(self.payload, dict) else {}
        )
        amount = obj.get("amount_received") or obj.get("amount")
        currency = obj.get("currency")
        return (
            amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
            currency if isinstance(currency, str) else "",
        )


class LedgerEntry(models.Model):
    """Money that reached (or left) the pool, per donation; allocations come with the ledger issue.

    Entries are written only by donations.services.ledger under the donation's row lock; `key`
    ("gift", then "<kind>-<n>") is unique per donation, so a repeat is refused by the database.
    """

    class Kind(models.TextChoices):
        GIFT = "gift", _("Gift (net)")
        FEE = "fee", _("Processor fee adjustment")
        REFUND = "refund", _("Refund")
        DISPUTE = "dispute", _("Dispute lost")
        VOID = "void", _("Voided")

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


class Allocation(models.Model):
    """A ledger entry's share for one partner organization.

    Written only by donations.services.allocations, in the ledger entry's transaction: the
    allocations of an entry add up to its amount, so a gift's add up to its net, and a refund, a
    lost dispute or a void is split in the same proportions as the gift.
    """

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="allocations")
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="allocations")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="allocations"
    )
    kind = models.CharField(max_length=10, choices=LedgerEntry.Kind.choices)
    # The gift was designated (or split among chosen partners) rather than shared by the shares.
    designated = models.BooleanField(default=False)
    amount_cents = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["entry_id", "organization_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "organization"], name="allocation_once_per_organization"
            ),
        ]
        indexes = [
            models.Index(fields=["event", "organization"], name="allocation_event_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.amount_cents}¢ ({self.kind})"


class Tally(models.Model):
    """Running totals of a pledge day, kept in the ledger's transaction so that reading them
    costs the same with a thousand gifts or a million.

    Each (event, scope, key) is spread over SLOTS rows (a gift writes the slot of its id), so two
    webhooks of one pledge day rarely wait on the same row; a reader sums the slots. Every write
    is one INSERT … ON CONFLICT DO UPDATE adding to the counters (donations.services.tallies);
    `manage.py tallies_reconcile` recomputes them from the ledger.
    """

    SLOTS = 8

    class Scope(models.TextChoices):
        EVENT = "event", _("Pledge day")
        ORGANIZATION = "org", _("Organization")
        CORNER = "corner", _("Corner")
        SHIFT = "shift", _("Shift")
        PAIR = "pair", _("Volunteers")
        BUCKET = "bucket", _("Bucket")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=6, choices=Scope.choices)
    key = models.CharField(max_length=64, blank=True)
    slot = models.PositiveSmallIntegerField()
    raised_cents = models.BigIntegerField(default=0)  # net: what reaches the organizations
    gross_cents = models.BigIntegerField(default=0)  # what donors gave (less refunds, voids)
    gifts = models.BigIntegerField(default=0)
    card_gifts = models.BigIntegerField(default=0)
    cash_gifts = models.BigIntegerField(default=0)
    check_gifts = models.BigIntegerField(default=0)
    card_cents = models.BigIntegerField(default=0)
    cash_cents = models.BigIntegerField(default=0)
    check_cents = models.BigIntegerField(default=0)
    designated_cents = models.BigIntegerField(default=0)  # part of raised given to a chosen partner
    match_cents = models.BigIntegerField(default=0)  # matched by sponsors (separate from raised)

    COUNTERS = (
        "raised_cents",
        "gross_cents",
        "gifts",
        "card_gifts",
        "cash_gifts",
        "check_gifts",
        "card_cents",
        "cash_cents",
        "check_cents",
        "designated_cents",
        "match_cents",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "scope", "key", "slot"], name="tally_slot_once"
            ),
            models.CheckConstraint(condition=Q(slot__lt=8), name="tally_slot_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} #{self.slot}"


class MatchPledge(models.Model):
    """A sponsor's promise to match gifts: "doubled between 4 and 6 p.m., up to $5,000".

    Gifts it applies to take part of its cap when they are paid (MatchClaim); matched money is
    kept apart from what donors gave (MatchCredit) and counts as raised only once the sponsor's
    money is recorded as received.
    """

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="match_pledges")
    sponsor = models.CharField(_("sponsor"), max_length=150)
    ratio_percent = models.PositiveIntegerField(
        _("match ratio (percent)"), default=100, help_text=_("100 = 1:1, 200 = 2:1, 50 = 1:2.")
    )
    cap_cents = models.BigIntegerField(_("cap (cents)"))
    starts_at = models.DateTimeField(_("from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only gifts to this partner"),
    )
    corner = models.ForeignKey(
        Corner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only gifts at this corner"),
    )
    card_only = models.BooleanField(_("only card gifts"), default=False)
    first_time_only = models.BooleanField(_("only first-time donors"), default=False)
    # The part of the cap gifts have taken (written under the pledge's row lock).
    allotted_cents = models.BigIntegerField(default=0, editable=False)
    received_cents = models.BigIntegerField(_("received from the sponsor (cents)"), default=0)
    received_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("matching pledge")
        verbose_name_plural = _("matching pledges")
        constraints = [
            models.CheckConstraint(condition=Q(ratio_percent__gte=1), name="match_ratio_positive"),
            models.CheckConstraint(condition=Q(cap_cents__gte=1), name="match_cap_positive"),
            models.CheckConstraint(
                condition=Q(allotted_cents__gte=0, allotted_cents__lte=F("cap_cents")),
                name="match_never_over_its_cap",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="match_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(received_cents__gte=0), name="match_received_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sponsor} ({self.event})"

    @property
    def left_cents(self) -> int:
        return self.cap_cents - self.allotted_cents


class MatchClaim(models.Model):
    """The part of a pledge's cap a gift took when it was paid (never given back: a refunded
    gift's match is taken back, but its room under the cap stays used)."""

    pledge = models.ForeignKey(MatchPledge, on_delete=models.PROTECT, related_name="claims")
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="match_claims")
    allotted_cents = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pledge", "donation"], name="match_claim_once"),
            models.CheckConstraint(condition=Q(allotted_cents__gte=1), name="match_claim_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.pledge_id}: {self.allotted_cents}¢ for gift {self.donation_id}"


class MatchCredit(models.Model):
    """Matched money for one partner organization; a gift refunded, voided or lost to a dispute
    gets a reversing credit. Written only by donations.services.matching."""

    claim = models.ForeignKey(MatchClaim, on_delete=models.PROTECT, related_name="credits")
    pledge = models.ForeignKey(MatchPledge, on_delete=models.PROTECT, related_name="credits")
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="match_credits")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["event", "organization"], name="matchcredit_event_org_idx")]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.amount_cents}¢ matched"


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
    submission_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
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
