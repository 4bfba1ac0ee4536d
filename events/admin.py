"""Admin pages for the shared core; status changes and partner shares go through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from events import services
from events.models import Bucket, Corner, Event, EventPartner, Membership, Organization
from events.twins import SpanishTwinsAdmin


@admin.register(Organization)
class OrganizationAdmin(SpanishTwinsAdmin):
    list_display = [
        "name",
        "legal_name",
        "tax_id",
        "hotline_phone",
        "stripe_account_id",
        "spanish_twins",
    ]
    search_fields = ["name", "legal_name", "tax_id"]
    prepopulated_fields = {"slug": ["name"]}
    # A website typed without a scheme is https (Django 6's default; Django 5 warns without it).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class EventPartnerFormSet(BaseInlineFormSet):
    """Checks the shares as a whole with the service's rules; saving goes through the service."""

    def shares(self) -> list[tuple[Organization, int]]:
        return [
            (form.cleaned_data["organization"], form.cleaned_data["share_bp"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or not self.has_changed():
            return
        if self.instance.pk:
            frozen = services.event_shares_frozen_reason(event=self.instance)
            if frozen:
                raise ValidationError(frozen)
        services.event_shares_validate(
            shares=self.shares(), require_whole=self.instance.status != Event.Status.DRAFT
        )


class EventPartnerInline(admin.TabularInline):
    model = EventPartner
    formset = EventPartnerFormSet
    extra = 1
    autocomplete_fields = ["organization"]


class CornerInline(admin.TabularInline):
    """Corners of the event; their own pages, with their shifts, are in volunteers.admin (shift
    writes go through volunteers.services, which keep the confirmed counts)."""

    model = Corner
    extra = 0
    fields = ["name", "city", "address", "address_es"]
    show_change_link = True


class EventAdminForm(forms.ModelForm):
    """Money settings (currency, card fee, minimum, fiscal host) are frozen once gifts exist."""

    class Meta:
        model = Event
        exclude = ["status", "closed_at"]  # noqa: DJ006 (every other field is the admin's)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk:
            frozen = services.event_money_settings_frozen(
                event=self.instance, changed=self.changed_data
            )
            if frozen:
                raise ValidationError(frozen)
        return data


@admin.register(Event)
class EventAdmin(SpanishTwinsAdmin):
    form = EventAdminForm
    list_display = ["title", "starts_at", "status", "fiscal_host", "goal_cents", "spanish_twins"]
    list_filter = ["status"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["status", "closed_at"]
    inlines = [EventPartnerInline, CornerInline]
    actions = ["publish"]

    def save_model(self, request: HttpRequest, obj: Event, form: Any, change: bool) -> None:
        """Through the service: the status never changes here, money settings are frozen once
        gifts exist (checked again under the event's row lock)."""
        services.event_save(event=obj, changed=form.changed_data)

    @admin.action(description=_("Publish the selected pledge days"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        for event in queryset:
            try:
                services.event_publish(event=event)
            except ValidationError as error:
                self.message_user(request, f"{event}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("%(event)s is published.") % {"event": event})

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not EventPartner:
            super().save_formset(request, form, formset, change)
            return
        if formset.has_changed():
            services.event_partners_replace(event=form.instance, shares=formset.shares())
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(Bucket)
class BucketAdmin(admin.ModelAdmin):
    list_display = ["label", "event", "token"]
    list_filter = ["event"]
    search_fields = ["label", "token"]
    readonly_fields = ["token"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "event", "organization"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "event", "organization"]
