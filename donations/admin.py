"""Admin pages of the money path: read-only, because money changes only through the services."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from donations.models import CashCount, Donation, LedgerEntry, StripeEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "method", "status", "amount_cents", "fee_cents", "created_at"]
    list_filter = ["method", "status", "event"]
    search_fields = ["donor_name", "donor_email", "stripe_payment_intent_id", "check_number"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "type", "received_at", "processed_at", "outcome"]
    list_filter = ["type"]
    search_fields = ["stripe_id"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["donation", "kind", "amount_cents", "created_at"]
    list_filter = ["kind"]


@admin.register(CashCount)
class CashCountAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "amount_cents", "counted_by", "witnessed_by", "created_at"]
