"""Notices in the admin: read-only (rows are written only by notices.services)."""

from __future__ import annotations

from django.contrib import admin

from donations.admin import ReadOnlyAdmin
from notices.models import Broadcast, Notice, Subscription, TextConsent


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["due_at", "event", "kind", "channel", "user", "status", "sent_at"]
    list_filter = ["status", "kind", "channel", "event"]
    search_fields = ["user__email", "key", "address"]


@admin.register(Broadcast)
class BroadcastAdmin(ReadOnlyAdmin):
    """Written on the organizer's page (notices.broadcasts), where the hourly limit applies."""

    list_display = ["created_at", "event", "scope", "subject", "author", "recipients"]
    list_filter = ["event", "scope"]
    search_fields = ["subject", "body", "author__email"]


@admin.register(TextConsent)
class TextConsentAdmin(ReadOnlyAdmin):
    """Consent is the volunteer's own act: given and ended on the profile or by STOP, never
    written for them here."""

    list_display = ["user", "phone", "language", "given_at", "withdrawn_at", "withdrawn_how"]
    list_filter = ["withdrawn_how", "language"]
    search_fields = ["user__email", "phone"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["user", "topic", "subscribed", "changed_at", "how"]
    list_filter = ["topic", "subscribed", "how"]
    search_fields = ["user__email"]
