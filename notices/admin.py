"""Notices in the admin: read-only (rows are written only by notices.services)."""

from __future__ import annotations

from django.contrib import admin

from donations.admin import ReadOnlyAdmin
from notices.models import Notice


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["due_at", "event", "kind", "channel", "user", "status", "sent_at"]
    list_filter = ["status", "kind", "channel", "event"]
    search_fields = ["user__email", "key", "address"]
