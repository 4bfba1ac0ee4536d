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

from events import images, services
from events.models import Bucket, Corner, Event, EventPartner, Membership, Organization
from events.twins import SpanishTwinsAdmin


def _image_uploads(form: forms.ModelForm, obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """Takes the form's new pictures off the object, so the model's save never stores an
    original as uploaded (its size, its EXIF): each goes to events.images after the save.
    A new file, or False when the admin's "clear" box is ticked."""
    uploads = {}
    for name in fields:
        if name in form.changed_data:
            uploads[name] = form.cleaned_data.get(name)
            setattr(obj, name, getattr(form.initial.get(name), "name", "") or "")
    return uploads


class ImageUploadsForm(forms.ModelForm):
    """Refuses pictures the resizing could not take (too big, unreadable), with a message."""

    def _picture(self, name: str) -> Any:
        upload = self.cleaned_data.get(name)
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            images.image_upload_validate(upload)
        return upload

    def clean_logo(self) -> Any:
        return self._picture("logo")

    def clean_cover(self) -> Any:
        return self._picture("cover")


@admin.register(Organization)
class OrganizationAdmin(SpanishTwinsAdmin):
    form = ImageUploadsForm
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

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        """The logo is resized and stored by events.images after the organization is saved."""
        uploads = _image_uploads(form, obj, ("logo",))
        super().save_model(request, obj, form, change)
        if uploads:
            images.organization_logo_set(organization=obj, logo=uploads["logo"])


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


class EventAdminForm(ImageUploadsForm):
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
        gifts exist (checked again under the event's row lock). The logo and cover are resized
        and stored by events.images afterwards."""
        uploads = _image_uploads(form, obj, ("logo", "cover"))
        services.event_save(
            event=obj, changed=[name for name in form.changed_data if name not in uploads]
        )
        if uploads:
            images.event_images_set(event=obj, **uploads)

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
