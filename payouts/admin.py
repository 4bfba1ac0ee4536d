"""Payouts in the admin: read-only, because runs, payouts and the audit trail are written only by
payouts.services (and a paid payout and the trail refuse changes in the database itself)."""

from __future__ import annotations

from django.contrib import admin

from donations.admin import ReadOnlyAdmin
from payouts.models import AuditEntry, Payout, PayoutRun


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyAdmin):
    list_display = ["event", "number", "net_raised_cents", "computed_at", "approved_at"]
    list_filter = ["event"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["run", "organization", "method", "status", "amount_cents", "paid_at"]
    list_filter = ["status", "method", "event"]
    search_fields = ["organization__name", "stripe_transfer_id", "paid_reference"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "event", "action", "actor", "organization", "detail"]
    list_filter = ["action", "event"]
