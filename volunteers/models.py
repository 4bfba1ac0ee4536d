"""Accounts (email login), volunteer profiles, waivers, sign-ups, the pool, bucket hand-outs."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Bucket, Event, Shift


class UserManager(BaseUserManager["User"]):
    """The manager Django's auth needs for createsuperuser; accounts otherwise come from allauth."""

    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        SPANISH = "es", _("Spanish")

    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    # Whether the person chose it (the header's switch, the profile), rather than it being the
    # default or the language of the page the account was made on: a chosen language is the
    # one the site speaks on signing in, English included.
    language_chosen = models.BooleanField(default=False, editable=False)
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("May sign in to the admin site.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case"),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


def calendar_token_new() -> str:
    return secrets.token_urlsafe(24)


def give_token_new() -> str:
    return secrets.token_urlsafe(9)  # 72 bits, short enough for a QR code on a phone screen


class AgeBand(models.TextChoices):
    ADULT = "18+", _("18 or older")
    MINOR = "16-17", _("16 or 17")
    CHILD = "under-16", _("Under 16")


# The youngest age of each band, compared with an event's minimum volunteer age.
AGE_BAND_YOUNGEST: dict[str, int] = {AgeBand.ADULT: 18, AgeBand.MINOR: 16, AgeBand.CHILD: 0}

LANGUAGES_SPOKEN = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("hmn", _("Hmong")),
    ("pa", _("Punjabi")),
    ("lo", _("Lao")),
    ("km", _("Khmer")),
    ("tl", _("Tagalog")),
    ("ar", _("Arabic")),
    ("mix", _("Mixteco")),
]


class Profile(models.Model):
    """What an organizer needs to place a volunteer on a corner safely."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="volunteer_profile")
    phone = models.CharField(_("mobile phone"), max_length=40)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=120)
    emergency_contact_phone = models.CharField(_("emergency contact phone"), max_length=40)
    languages_spoken = models.JSONField(_("languages spoken"), default=list, blank=True)
    age_band = models.CharField(_("age"), max_length=10, choices=AgeBand.choices)
    guardian_name = models.CharField(_("parent or guardian"), max_length=120, blank=True)
    guardian_contact = models.CharField(
        _("parent or guardian phone or email"), max_length=120, blank=True
    )
    guardian_consent_on = models.DateField(_("date of guardian consent"), null=True, blank=True)
    preferred_city = models.CharField(_("preferred city"), max_length=80, blank=True)
    calendar_token = models.CharField(
        max_length=64, unique=True, default=calendar_token_new, editable=False
    )
    give_token = models.CharField(
        max_length=32, unique=True, default=give_token_new, editable=False
    )
    # Public screens name volunteers by first name and last initial; this keeps an adult off them
    # (volunteers under 18 never appear publicly, whatever this says).
    leaderboard_opt_out = models.BooleanField(
        _("keep my name off public leaderboards"), default=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("volunteer profile")
        verbose_name_plural = _("volunteer profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(age_band__in=["18+", "16-17", "under-16"]),
                name="profile_age_band_known",
            ),
            models.CheckConstraint(
                condition=Q(guardian_consent_on__isnull=True)
                | (~Q(guardian_name="") & ~Q(guardian_contact="")),
                name="profile_consent_names_the_guardian",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_minor(self) -> bool:
        return self.age_band != AgeBand.ADULT

    @property
    def has_guardian_consent(self) -> bool:
        return self.guardian_consent_on is not None

    @property
    def named_publicly(self) -> bool:
        """Whether public pages (the big screen's leaderboard) may name this volunteer: adults
        who did not opt out; never a minor."""
        return self.age_band == AgeBand.ADULT and not self.leaderboard_opt_out


class WaiverAcceptance(models.Model):
    """A volunteer accepted one version of an event's waiver, at a time."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="waiver_acceptances")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="waiver_acceptances")
    version = models.PositiveIntegerField()
    accepted_at = models.DateTimeField()
    # The words the volunteer was shown and accepted, in the language of the page (the Spanish
    # twin or the English): the record stands even if the event's text is edited later.
    language = models.CharField(max_length=5, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event", "version"], name="waiver_accepted_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.event} v{self.version}"


ACTIVE_SIGNUP_STATUSES = ("confirmed", "waitlisted")


class Signup(models.Model):
    """One volunteer's place (or place in line) on one shift.

    Invariants: a volunteer holds at most one active (confirmed or waitlisted) sign-up per shift
    (partial unique constraint), and the shift's confirmed_count equals its confirmed sign-ups
    (kept by volunteers.services under the shift's row lock; the database caps it at capacity).
    """

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waitlisted")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    class Source(models.TextChoices):
        SELF = "self", _("Signed up")
        AUTO = "auto", _("Auto-assigned")
        PROMOTED = "promoted", _("Promoted from the waitlist")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="signups")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="signups")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SELF)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "shift"],
                condition=Q(status__in=ACTIVE_SIGNUP_STATUSES),
                name="signup_one_active_place_per_shift",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["confirmed", "waitlisted", "cancelled", "no_show"]),
                name="signup_status_known",
            ),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | Q(status="confirmed"),
                name="signup_only_confirmed_check_in",
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True) | Q(checked_in_at__isnull=False),
                name="signup_check_out_after_check_in",
            ),
        ]
        indexes = [
            models.Index(fields=["shift", "status", "created_at"], name="signup_shift_queue_idx"),
            models.Index(fields=["user", "status"], name="signup_user_status_idx"),
            # The notices' minute scan: sign-ups of the last day, for their confirmations.
            models.Index(fields=["created_at"], name="signup_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shift} ({self.status})"


class SignupNotice(models.Model):
    """A message sent about a sign-up; unique per kind, so a retried task never sends twice."""

    class Kind(models.TextChoices):
        PROMOTED = "promoted", _("Promoted from the waitlist")

    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["signup", "kind"], name="signup_notice_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} — {self.signup}"


class PoolEntry(models.Model):
    """A volunteer who will stand anywhere during a window; auto-assign places them."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting to be placed")
        PLACED = "placed", _("Placed on a shift")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="pool_entries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="pool_entries")
    available_from = models.DateTimeField(_("available from"))
    available_until = models.DateTimeField(_("available until"))
    preferred_city = models.CharField(_("preferred city"), max_length=80, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    signup = models.ForeignKey(
        Signup, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event"],
                condition=Q(status="waiting"),
                name="pool_one_waiting_entry_per_event",
            ),
            models.CheckConstraint(
                condition=Q(available_until__gt=F("available_from")), name="pool_window_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.event} ({self.status})"


class BucketAssignment(models.Model):
    """A bucket handed to the volunteers of a shift at the staging table, and its return.

    The donations app attaches the cash count to the returned assignment: it knows the bucket,
    the corner and shift, and who held it.
    """

    bucket = models.ForeignKey(Bucket, on_delete=models.PROTECT, related_name="assignments")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="bucket_assignments")
    holders = models.ManyToManyField(User, related_name="buckets_held", blank=True)
    handed_out_at = models.DateTimeField()
    handed_out_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-handed_out_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["bucket"],
                condition=Q(returned_at__isnull=True),
                name="bucket_out_once_at_a_time",
            ),
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True) | Q(returned_at__gte=F("handed_out_at")),
                name="bucket_returned_after_handed_out",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bucket.label} → {self.shift}"


ACTIVE_AUTO_ASSIGN_STATUSES = ("queued", "running")
# Longer than the hard time limit of volunteers.tasks.auto_assign_run: a run still queued or
# running after this was lost (broker down, worker killed) and no longer blocks a new one.
AUTO_ASSIGN_STALE_AFTER = dt.timedelta(minutes=10)


class AutoAssignRun(models.Model):
    """One auto-assign of an event's pool: requested on the dashboard, run by a Celery task.

    At most one run of an event is queued or running at a time (partial unique constraint); the
    task claims its run by moving it from queued to running, so a repeated task does nothing.
    `error` is for the people who run the site (the admin); organizers see a plain sentence.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="auto_assign_runs")
    requested_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    placed_count = models.PositiveIntegerField(default=0)
    waiting_count = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("auto-assign run")
        verbose_name_plural = _("auto-assign runs")
        constraints = [
            models.UniqueConstraint(
                fields=["event"],
                condition=Q(status__in=ACTIVE_AUTO_ASSIGN_STATUSES),
                name="auto_assign_one_active_run_per_event",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="auto_assign_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ACTIVE_AUTO_ASSIGN_STATUSES, finished_at__isnull=True)
                | Q(status__in=["done", "failed"], finished_at__isnull=False),
                name="auto_assign_finished_when_done_or_failed",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "-requested_at"], name="auto_assign_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} — {self.requested_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_AUTO_ASSIGN_STATUSES

    def is_lost(self, now: dt.datetime) -> bool:
        return self.is_active and self.requested_at < now - AUTO_ASSIGN_STALE_AFTER
