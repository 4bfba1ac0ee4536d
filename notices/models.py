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
        PROMOTED = "promoted", _("Promoted from the waitlist")
        CHANGED = "changed", _("Shift changed")
        CANCELLED = "cancelled", _("Sign-up cancelled by an organizer")
        INVITE = "invite", _("Invitation to a new pledge day")
        MESSAGE = "message", _("Message from the organizers")
        UNDERSTAFFED = "understaffed", _("Shift understaffed (to organizers)")
        ATTENTION = "attention", _("Gifts need attention (to organizers)")
        SUMMARY = "summary", _("Summary of the day (to organizers)")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")

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
    shift = models.ForeignKey(  # what an organizer's notice is about
        "events.Shift", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    broadcast = models.ForeignKey(
        "notices.Broadcast",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # What the notice must say that the database will not remember (a changed shift's times
    # and corner before the change), as JSON.
    detail = models.JSONField(default=dict, blank=True)
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
            # The attention scan's "told in the last hour?" (notices.organizers): partial, so
            # that no other query is tempted by an index on the kind alone.
            models.Index(
                fields=["created_at"],
                condition=Q(kind="attention"),
                name="notice_attention_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} → {self.user_id} ({self.status})"


class Broadcast(models.Model):
    """A message an organizer wrote to the volunteers of a shift, a corner or the whole day;
    each recipient's copy is a Notice (in their language where a translation is given)."""

    class Scope(models.TextChoices):
        SHIFT = "shift", _("The volunteers of one shift")
        CORNER = "corner", _("The volunteers of one corner")
        EVENT = "event", _("Every volunteer of the pledge day")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="broadcasts")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    corner = models.ForeignKey(
        "events.Corner", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    shift = models.ForeignKey(
        "events.Shift", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=120)
    body = models.TextField()
    subject_es = models.CharField(max_length=120, blank=True)
    body_es = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="broadcasts"
    )
    created_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message to volunteers")
        verbose_name_plural = _("messages to volunteers")
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="shift", shift__isnull=False, corner__isnull=True)
                | Q(scope="corner", corner__isnull=False, shift__isnull=True)
                | Q(scope="event", corner__isnull=True, shift__isnull=True),
                name="broadcast_scope_names_its_target",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class TextConsent(models.Model):
    """A volunteer's agreement to receive text messages: the number, the exact words they agreed
    to and in which language, when; and when and how it ended (on the profile, a STOP reply, the
    provider refusing the number). Rows are history: agreeing again is a new row."""

    class Ended(models.TextChoices):
        PROFILE = "profile", _("Turned off on the profile")
        STOP = "stop", _("Replied STOP")
        REFUSED = "refused", _("The provider refused the number")
        NUMBER = "number", _("The phone number changed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="text_consents"
    )
    phone = models.CharField(max_length=20)  # E.164
    wording = models.TextField()
    language = models.CharField(max_length=5)
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_how = models.CharField(max_length=10, choices=Ended.choices, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        verbose_name = _("consent to text messages")
        verbose_name_plural = _("consents to text messages")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(withdrawn_at__isnull=True),
                name="text_consent_one_active_per_person",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_how="")
                | Q(withdrawn_at__isnull=False) & ~Q(withdrawn_how=""),
                name="text_consent_ended_says_how",
            ),
        ]
        indexes = [models.Index(fields=["phone"], name="text_consent_phone_idx")]

    def __str__(self) -> str:
        return f"{self.phone} ({self.user_id})"


class Subscription(models.Model):
    """Whether a person hears about a topic of notices that is not essential to a shift they
    hold; a missing row means the topic's default (`TOPIC_DEFAULTS`)."""

    class Topic(models.TextChoices):
        NEWS = "news", _("Thank-yous and messages to a whole pledge day")
        FUTURE_DAYS = "future_days", _("Invitations to future pledge days")
        ORGANIZER = "organizer", _("Alerts and summaries for organizers")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    topic = models.CharField(max_length=20, choices=Topic.choices)
    subscribed = models.BooleanField()
    changed_at = models.DateTimeField()
    # "profile" or "link" (the unsubscribe link in an email, without signing in).
    how = models.CharField(max_length=10)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="subscription_once_per_topic")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.topic}: {self.subscribed}"


# Everyone hears thank-yous and day-wide messages until they say no; invitations to future days
# only once they said yes.
TOPIC_DEFAULTS = {
    Subscription.Topic.NEWS: True,
    Subscription.Topic.FUTURE_DAYS: False,
    Subscription.Topic.ORGANIZER: True,
}
