"""The outbox of notices: one row per (person, kind, what it is about, channel), claimed before
sending and marked after. The unique row is what makes a notice go out once: planning it twice
(two beats, a retried task) finds the row there; sending it twice finds it claimed or sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from events.models import Event


class Notice(models.Model):
    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Shift reminder")
        CONFIRMED = "confirmed", _("Sign-up confirmed")
        WAITLISTED = "waitlisted", _("Joined the waitlist")
        THANKS = "thanks", _("Thank-you after the day")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")

    class Status(models.TextChoices):
        PENDING = "pending", _("To send")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not needed any more")
        FAILED = "failed", _("Could not be sent")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What it is about, with what makes it this notice: for a reminder, the sign-up, the
    # shift's start and the hours before it ("signup-15-at-202611230900-before-24h"), so a
    # shift moved to another time gets reminders of its own.
    key = models.CharField(max_length=120)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    signup = models.ForeignKey(
        "volunteers.Signup", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    address = models.CharField(max_length=254, blank=True)  # where it went
    language = models.CharField(max_length=5, blank=True)  # in which language
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "key", "channel"], name="notice_once_per_channel"
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="notice_sent_has_a_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notice_due_idx",
            ),
            models.Index(fields=["event", "created_at"], name="notice_event_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} → {self.user_id} ({self.status})"
