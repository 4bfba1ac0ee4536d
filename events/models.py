"""The shared core's tables and the invariants the database itself enforces."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.money import (
    BASIS_POINTS_WHOLE,
    CURRENCY_CHOICES,
    STRIPE_MINIMUM_CENTS,
    basis_points_format,
    cents_format,
)

# Unambiguous lowercase letters and digits (no 0/o, 1/l/i): a token survives being read aloud.
TOKEN_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # noqa: S105 (an alphabet, not a secret)
TOKEN_LENGTH = 16  # 31**16 ~ 2**79: not guessable, still short in a QR code


def bucket_token_new() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def suggested_amounts_validate(value: object) -> None:
    """A short list of whole-cent amounts, each at least a cent (the give page's buttons)."""
    if not isinstance(value, list) or len(value) > 8:
        raise ValidationError(_("Give up to 8 amounts in cents, like [1000, 2500, 5000]."))
    for amount in value:
        if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= 10**8:
            raise ValidationError(
                _("“%(amount)s” is not an amount in whole cents."), params={"amount": amount}
            )


def _any(conditions: Iterable[Q]) -> Q:
    """The OR of several conditions (for a check constraint)."""
    combined = Q()
    for condition in conditions:
        combined |= condition
    return combined


def reminder_hours_validate(value: object) -> None:
    """Up to four reminders, each a whole number of hours (1 to 168) before a shift."""
    if not isinstance(value, list) or len(value) > 4:
        raise ValidationError(_("Give up to 4 numbers of hours, like [24, 2]."))
    for hours in value:
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 168:
            raise ValidationError(
                _("“%(hours)s” is not a number of hours from 1 to 168."), params={"hours": hours}
            )
    if len(set(value)) != len(value):
        raise ValidationError(_("Each reminder needs its own number of hours."))


def reminder_hours_default() -> list[int]:
    return [24, 2]


def timezone_validate(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class Organization(models.Model):
    """A nonprofit: a partner of a pledge day, and possibly its fiscal host."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    legal_name = models.CharField(_("legal name"), max_length=200)
    tax_id = models.CharField(
        _("tax id"), max_length=40, help_text=_("Printed on donation receipts (an EIN in the US).")
    )
    description = models.TextField(_("public description"), blank=True)
    description_es = models.TextField(_("public description in Spanish"), blank=True)
    website = models.URLField(_("website"), blank=True)
    hotline_name = models.CharField(_("hotline or tip line name"), max_length=120, blank=True)
    hotline_name_es = models.CharField(
        _("hotline or tip line name in Spanish"), max_length=120, blank=True
    )
    hotline_phone = models.CharField(_("hotline or tip line phone"), max_length=40, blank=True)
    stripe_account_id = models.CharField(
        _("Stripe connected account id"),
        max_length=255,
        blank=True,
        help_text=_("acct_…; leave empty if the fiscal host pays this organization by hand."),
    )

    class StripeState(models.TextChoices):
        NONE = "none", _("Not connected")
        PENDING = "pending", _("Onboarding with Stripe")
        READY = "ready", _("Ready for transfers")

    stripe_account_state = models.CharField(
        _("Stripe account state"),
        max_length=8,
        choices=StripeState.choices,
        default=StripeState.NONE,
        editable=False,
    )
    stripe_account_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    logo = models.ImageField(
        _("logo"),
        upload_to="organizations/logos/",
        max_length=255,
        blank=True,
        help_text=_("Square works best; it is resized to at most 256 pixels."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(
                condition=Q(stripe_account_id="") | Q(stripe_account_id__startswith="acct_"),
                name="organization_stripe_account_id_shape",
            ),
            models.CheckConstraint(
                condition=Q(stripe_account_state="none") | ~Q(stripe_account_id=""),
                name="organization_stripe_state_needs_an_account",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """A pledge day: a window of hours on one or more days when volunteers collect on corners."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        LIVE = "live", _("Live")
        CLOSED = "closed", _("Closed")

    class FeePolicy(models.TextChoices):
        OWN = "own", _("Each partner bears the processing fees of the gifts it receives")
        POOL = "pool", _("All partners bear the fees in proportion to what each raised")

    title = models.CharField(_("title"), max_length=200)
    title_es = models.CharField(
        _("title in Spanish"),
        max_length=200,
        blank=True,
        help_text=_("Shown to Spanish speakers when filled in."),
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    story = models.TextField(_("story"), blank=True)
    story_es = models.TextField(
        _("story in Spanish"), blank=True, help_text=_("Shown to Spanish speakers when filled in.")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    timezone = models.CharField(
        _("time zone"), max_length=64, default="America/Los_Angeles", validators=[timezone_validate]
    )
    goal_cents = models.BigIntegerField(_("goal (cents)"), default=0)
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="usd"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    grace_hours = models.PositiveSmallIntegerField(
        _("grace period after the end (hours)"),
        default=24,
        help_text=_(
            "Bucket links keep taking gifts, and cash can be counted, this long after the end; "
            "then the pledge day closes by itself."
        ),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    fiscal_host = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="hosted_events",
        verbose_name=_("fiscal host"),
        help_text=_("The organization that receives the money and issues receipts."),
    )
    minimum_gift_cents = models.PositiveIntegerField(
        _("minimum gift (cents)"),
        default=500,
        help_text=_("Online gifts; at least Stripe's minimum for the currency (MXN: 1000)."),
    )
    maximum_gift_cents = models.PositiveIntegerField(
        _("largest online gift (cents)"),
        default=1_000_000,
        help_text=_("Larger gifts are asked to contact the organizers."),
    )
    maximum_offline_cents = models.PositiveIntegerField(
        _("largest check or cash count (cents)"), default=10_000_000
    )
    suggested_amounts_cents = models.JSONField(
        _("suggested amounts (cents)"),
        default=list,
        blank=True,
        help_text=_("For example [1000, 2500, 5000, 10000]."),
        validators=[suggested_amounts_validate],
    )
    card_fee_bp = models.PositiveIntegerField(
        _("card fee rate (basis points)"),
        default=290,
        help_text=_("What the card processor keeps, for “cover the fee”: 290 = 2.9%."),
    )
    card_fee_fixed_cents = models.PositiveIntegerField(
        _("card fee per payment (cents)"), default=30
    )
    fee_policy = models.CharField(
        _("processing fees at payout"),
        max_length=4,
        choices=FeePolicy.choices,
        default=FeePolicy.OWN,
        help_text=_("Who bears the card processor's fees when the day is split among partners."),
    )
    # --- Volunteer rules of this pledge day ---
    minimum_volunteer_age = models.PositiveSmallIntegerField(
        _("minimum volunteer age"),
        default=16,
        help_text=_("Volunteers younger than this cannot take a corner shift (16 or 18)."),
    )
    signup_opens_at = models.DateTimeField(
        _("sign-up opens"), null=True, blank=True, help_text=_("Empty: open as soon as published.")
    )
    signup_closes_at = models.DateTimeField(
        _("sign-up closes"), null=True, blank=True, help_text=_("Empty: until each shift starts.")
    )
    cancellation_cutoff_hours = models.PositiveSmallIntegerField(
        _("no cancellations online in the last (hours)"), default=3
    )
    max_consecutive_hours = models.PositiveSmallIntegerField(
        _("most consecutive hours per volunteer"), default=6
    )
    volunteer_coordinator_name = models.CharField(
        _("volunteer coordinator"), max_length=120, blank=True
    )
    volunteer_coordinator_phone = models.CharField(
        _("volunteer coordinator phone"),
        max_length=40,
        blank=True,
        help_text=_("Shown to volunteers who can no longer cancel online."),
    )
    reminder_hours = models.JSONField(
        _("shift reminders (hours before)"),
        default=reminder_hours_default,
        blank=True,
        validators=[reminder_hours_validate],
        help_text=_("Each confirmed volunteer is reminded this many hours before a shift."),
    )
    volunteer_notes = models.TextField(
        _("what to bring and where to check in"),
        blank=True,
        help_text=_("In every shift reminder: the staging table, what to wear and bring."),
    )
    volunteer_notes_es = models.TextField(
        _("what to bring and where to check in, in Spanish"), blank=True
    )
    waiver_text = models.TextField(_("volunteer waiver"), blank=True)
    waiver_text_es = models.TextField(
        _("volunteer waiver in Spanish"),
        blank=True,
        help_text=_(
            "Spanish speakers accept this text when it is filled in. Change both together, "
            "and raise the version."
        ),
    )
    waiver_version = models.PositiveIntegerField(
        _("waiver version"),
        default=1,
        help_text=_("Raise it when the waiver changes: everyone accepts the new text again."),
    )
    logo = models.ImageField(
        _("logo"),
        upload_to="events/logos/",
        max_length=255,
        blank=True,
        help_text=_("Square works best; it is resized to at most 256 pixels."),
    )
    cover = models.ImageField(
        _("cover image"),
        upload_to="events/covers/",
        max_length=255,
        blank=True,
        help_text=_("A wide photo for the event page and shared links; resized to 1600 pixels."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("pledge day")
        verbose_name_plural = _("pledge days")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(goal_cents__gte=0), name="event_goal_not_negative"),
            models.CheckConstraint(
                condition=Q(minimum_gift_cents__gte=1), name="event_minimum_gift_positive"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "live", "closed"]),
                name="event_status_known",
            ),
            models.CheckConstraint(
                condition=Q(currency__in=[code for code, _label in CURRENCY_CHOICES]),
                name="event_currency_supported",
            ),
            models.CheckConstraint(
                condition=Q(minimum_volunteer_age__gte=16, minimum_volunteer_age__lte=21),
                name="event_minimum_volunteer_age_range",
            ),
            models.CheckConstraint(
                condition=Q(signup_opens_at__isnull=True)
                | Q(signup_closes_at__isnull=True)
                | Q(signup_closes_at__gt=F("signup_opens_at")),
                name="event_signup_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(max_consecutive_hours__gte=1),
                name="event_max_consecutive_hours_positive",
            ),
            models.CheckConstraint(
                condition=Q(card_fee_bp__lt=5000), name="event_card_fee_below_half"
            ),
            models.CheckConstraint(
                condition=_any(
                    Q(currency=currency, minimum_gift_cents__gte=minimum)
                    for currency, minimum in STRIPE_MINIMUM_CENTS.items()
                ),
                name="event_minimum_gift_at_least_stripes",
            ),
            models.CheckConstraint(
                condition=Q(maximum_gift_cents__gte=F("minimum_gift_cents")),
                name="event_maximum_gift_above_minimum",
            ),
            models.CheckConstraint(
                condition=Q(maximum_offline_cents__gte=1), name="event_maximum_offline_positive"
            ),
            models.CheckConstraint(
                condition=Q(fee_policy__in=["own", "pool"]), name="event_fee_policy_known"
            ),
        ]
        indexes = [models.Index(fields=["status", "ends_at"], name="event_status_ends_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def closes_at(self) -> dt.datetime:
        """When bucket links stop taking gifts: the end plus the grace period."""
        return self.ends_at + dt.timedelta(hours=self.grace_hours)

    def clean(self) -> None:
        stripe_minimum = STRIPE_MINIMUM_CENTS.get(self.currency)
        minimum = self.minimum_gift_cents
        if stripe_minimum and minimum is not None and minimum < stripe_minimum:
            raise ValidationError(
                {
                    "minimum_gift_cents": _(
                        "Stripe accepts no card payment under %(minimum)s in this currency."
                    )
                    % {"minimum": cents_format(stripe_minimum, self.currency)}
                }
            )
        amounts = self.suggested_amounts_cents
        if not isinstance(amounts, list) or not all(isinstance(a, int) for a in amounts):
            return  # the field's validator reports it
        if self.minimum_gift_cents and any(a < self.minimum_gift_cents for a in amounts):
            raise ValidationError(
                {"suggested_amounts_cents": _("Each suggested amount must reach the minimum.")}
            )


class EventPartner(models.Model):
    """A partner organization of an event and its share of the pooled money, in basis points.

    The shares of one event never add up to more than 100% and must add up to exactly 100% before
    the event leaves draft: both are enforced by database triggers (see migration 0002).
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="partners")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="partnerships"
    )
    share_bp = models.PositiveIntegerField(
        _("share (basis points)"), help_text=_("2500 = 25% of the pooled money.")
    )

    class Meta:
        ordering = ["-share_bp", "organization__name"]
        verbose_name = _("partner organization")
        verbose_name_plural = _("partner organizations")
        constraints = [
            models.UniqueConstraint(fields=["event", "organization"], name="eventpartner_once"),
            models.CheckConstraint(
                condition=Q(share_bp__gte=1, share_bp__lte=BASIS_POINTS_WHOLE),
                name="eventpartner_share_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({basis_points_format(self.share_bp)})"


class Membership(models.Model):
    """Who may organize what: a role on an event, or on an organization and the events it hosts."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Coalition lead")
        ORGANIZER = "organizer", _("Organizer")
        FINANCE = "finance", _("Finance (cash counts, refunds, payouts)")
        PARTNER = "partner", _("Partner organization staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(event__isnull=False, organization__isnull=True)
                    | Q(event__isnull=True, organization__isnull=False)
                ),
                name="membership_event_xor_organization",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["lead", "organizer", "finance", "partner"]),
                name="membership_role_known",
            ),
            models.UniqueConstraint(
                fields=["user", "event", "role"],
                condition=Q(event__isnull=False),
                name="membership_event_role_once",
            ),
            models.UniqueConstraint(
                fields=["user", "organization", "role"],
                condition=Q(organization__isnull=False),
                name="membership_organization_role_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.event or self.organization}"


class Corner(models.Model):
    """A street corner where volunteers stand with buckets during an event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="corners")
    name = models.CharField(
        _("name"), max_length=120, help_text=_("For example “Blackstone & Shaw”.")
    )
    name_es = models.CharField(
        _("name in Spanish"),
        max_length=120,
        blank=True,
        help_text=_("Only if the name reads differently in Spanish."),
    )
    city = models.CharField(_("city"), max_length=80)
    address = models.CharField(_("address or landmark"), max_length=200, blank=True)
    address_es = models.CharField(
        _("address or landmark in Spanish"),
        max_length=200,
        blank=True,
        help_text=_("For example “esquina noroeste”."),
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    safety_notes = models.TextField(
        _("safety notes"),
        blank=True,
        help_text=_("Shown to organizers and to the volunteers on this corner, never publicly."),
    )
    safety_notes_es = models.TextField(_("safety notes in Spanish"), blank=True)

    class Meta:
        ordering = ["city", "name"]
        verbose_name = _("corner")
        verbose_name_plural = _("corners")
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="corner_name_once_per_event"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="corner_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="corner_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="corner_coordinates_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.city}"


class Shift(models.Model):
    """A block of hours on one corner, with a capacity and a minimum for the buddy rule.

    `confirmed_count` is the number of confirmed volunteers. The volunteers app changes it only
    inside the transaction that confirms or cancels a sign-up, and the database refuses any value
    outside 0..capacity: a shift can never be overbooked, whatever the code above it does.
    """

    corner = models.ForeignKey(Corner, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=4)
    min_volunteers = models.PositiveSmallIntegerField(
        _("minimum volunteers"),
        default=2,
        help_text=_("The buddy rule: a shift is staffed only with at least this many volunteers."),
    )
    confirmed_count = models.PositiveSmallIntegerField(default=0, editable=False)
    # Cancelled by an organizer (volunteers.services.shift_cancel): every place cancelled and
    # each person told; it takes no sign-ups and is listed to nobody but the organizers.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    cancelled_reason = models.CharField(
        _("why it was cancelled"), max_length=200, blank=True, editable=False
    )

    class Meta:
        ordering = ["starts_at", "corner__name"]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="shift_capacity_positive"),
            models.CheckConstraint(
                condition=Q(min_volunteers__gte=1, min_volunteers__lte=F("capacity")),
                name="shift_minimum_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_count__gte=0, confirmed_count__lte=F("capacity")),
                name="shift_never_overbooked",
            ),
            models.UniqueConstraint(
                fields=["corner", "starts_at", "ends_at"], name="shift_once_per_corner_and_time"
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | Q(confirmed_count=0),
                name="shift_cancelled_has_nobody",
            ),
        ]

    def __str__(self) -> str:
        local = self.starts_at.astimezone(self.corner.event.tzinfo)
        return f"{self.corner.name} {local:%Y-%m-%d %H:%M}"

    @property
    def places_left(self) -> int:
        return self.capacity - self.confirmed_count

    @property
    def is_staffed(self) -> bool:
        return self.confirmed_count >= self.min_volunteers


class Bucket(models.Model):
    """A donation bucket; its public token is the QR code's short URL (/g/<token>)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="buckets")
    label = models.CharField(
        _("label"), max_length=40, help_text=_("Written on the bucket, e.g. “B-07”.")
    )
    label_es = models.CharField(
        _("label in Spanish"),
        max_length=40,
        blank=True,
        help_text=_("Only if the label has words that read differently in Spanish."),
    )
    token = models.CharField(
        _("public token"), max_length=32, unique=True, default=bucket_token_new, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]
        verbose_name = _("bucket")
        verbose_name_plural = _("buckets")
        constraints = [
            models.UniqueConstraint(fields=["event", "label"], name="bucket_label_once_per_event"),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("token"), 12), name="bucket_token_long_enough"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.event})"
