"""Admin pages of the money path: read-only, because money changes only through the services;
the one action (re-applying Stripe events) calls the same service as a redelivery."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from donations import services
from donations.models import CashCount, Donation, LedgerEntry, MatchPledge, Refund, StripeEvent


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
    list_display = ["stripe_id", "type", "status", "park_reason", "received_at", "outcome"]
    list_filter = ["status", "park_reason", "type"]
    search_fields = ["stripe_id", "payment_intent_id", "checkout_session_id"]
    actions = ["reapply"]

    @admin.action(description=_("Apply the selected Stripe events again"))
    def reapply(self, request: HttpRequest, queryset: QuerySet[StripeEvent]) -> None:
        """Like Stripe delivering them again, even those already applied: facts only grow, so
        this converges. A failure of one event is reported and the others still run."""
        for record in queryset.order_by("received_at"):
            try:
                outcome = services.stripe_event_process(
                    record=record, now=timezone.now(), force=True
                )
            except services.MoneyInvariantError as broken:
                self.message_user(request, f"{record.stripe_id}: {broken}", messages.ERROR)
            else:
                self.message_user(request, f"{record.stripe_id}: {outcome}")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["stripe_refund_id", "donation", "amount_cents", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["stripe_refund_id"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["donation", "kind", "amount_cents", "created_at"]
    list_filter = ["kind"]


@admin.register(CashCount)
class CashCountAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "amount_cents", "counted_by", "witnessed_by", "created_at"]


class MatchPledgeForm(forms.ModelForm):
    def clean_cap_cents(self) -> int:
        cap = self.cleaned_data["cap_cents"]
        if self.instance.pk and cap is not None and cap < self.instance.allotted_cents:
            raise ValidationError(
                _("Gifts already took %(taken)s ¢ of this pledge: the cap cannot be lower.")
                % {"taken": self.instance.allotted_cents}
            )
        return int(cap)

    class Meta:
        model = MatchPledge
        fields = [
            "event", "sponsor", "ratio_percent", "cap_cents", "starts_at", "ends_at",
            "organization", "corner", "card_only", "first_time_only", "received_cents",
        ]  # fmt: skip


@admin.register(MatchPledge)
class MatchPledgeAdmin(admin.ModelAdmin):
    """Pledges are written through the matching service: partner and corner of the pledge day,
    a cap never below what gifts already took."""

    form = MatchPledgeForm
    list_display = ["sponsor", "event", "ratio_percent", "cap_cents", "allotted_cents"]
    list_filter = ["event"]
    readonly_fields = ["allotted_cents", "received_at"]

    def save_model(self, request: HttpRequest, obj: MatchPledge, form: Any, change: bool) -> None:
        try:
            services.match_pledge_save(pledge=obj, now=timezone.now())
        except ValidationError as error:  # a cap lowered below what gifts took meanwhile
            self.message_user(request, " ".join(error.messages), messages.ERROR)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
