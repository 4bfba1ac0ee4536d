"""Admin pages of the volunteer side: accounts, and corners and shifts (whose writes go through
volunteers.services, so the admin never writes a confirmed count). Sign-ups, the pool, bucket
hand-outs and auto-assign runs are read-only here: they change only through the site."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from events.models import Corner, Shift
from events.twins import SpanishTwinsAdmin
from volunteers import services
from volunteers.forms import UserAdminChangeForm, UserAdminCreationForm
from volunteers.models import (
    AutoAssignRun,
    BucketAssignment,
    PoolEntry,
    Profile,
    Signup,
    User,
    WaiverAcceptance,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    ordering = ["email"]
    list_display = ["email", "name", "preferred_language", "is_staff", "is_active"]
    search_fields = ["email", "name"]
    list_filter = ["is_staff", "is_superuser", "is_active", "preferred_language"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal"), {"fields": ("name", "preferred_language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "phone", "age_band", "guardian_consent_on", "preferred_city"]
    list_filter = ["age_band"]
    search_fields = ["user__email", "user__name", "phone"]
    readonly_fields = ["calendar_token"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the site's services own: the admin may look, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Signup)
class SignupAdmin(ReadOnlyAdmin):
    """Read-only: sign-ups change through the site so that shift counts stay exact."""

    list_display = ["user", "shift", "status", "source", "created_at", "checked_in_at"]
    list_filter = ["status", "source", "shift__corner__event"]
    search_fields = ["user__email", "user__name", "shift__corner__name"]


@admin.register(PoolEntry)
class PoolEntryAdmin(ReadOnlyAdmin):
    """Read-only: volunteers join and leave the pool on the site, auto-assign places them."""

    list_display = ["user", "event", "available_from", "available_until", "status"]
    list_filter = ["status", "event"]
    search_fields = ["user__email", "user__name"]


@admin.register(WaiverAcceptance)
class WaiverAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ["user", "event", "version", "language", "accepted_at"]
    list_filter = ["event"]


@admin.register(BucketAssignment)
class BucketAssignmentAdmin(ReadOnlyAdmin):
    """Read-only: buckets go out and come back at the staging table (the shift roster page);
    cash counts and gifts are credited through these rows."""

    list_display = ["bucket", "shift", "handed_out_at", "returned_at"]
    list_filter = ["shift__corner__event"]
    search_fields = ["bucket__label"]


@admin.register(AutoAssignRun)
class AutoAssignRunAdmin(ReadOnlyAdmin):
    """Read-only: requested on the organizer dashboard, run by volunteers.tasks.auto_assign_run;
    `error` says why a run failed."""

    list_display = [
        "event",
        "requested_at",
        "requested_by",
        "status",
        "placed_count",
        "waiting_count",
        "finished_at",
    ]
    list_filter = ["status", "event"]


# --- Corners and shifts -------------------------------------------------------------------------

# Where a refusal of volunteers.services.shift_changes_validate shows on the admin's form.
FIELD_OF_REFUSAL = {
    "order": "ends_at",
    "capacity": "capacity",
    "below_confirmed": "capacity",
    "minimum": "min_volunteers",
    "other_event": "corner",
    "checked_in": None,
    "duplicate": "starts_at",
}


class ShiftAdminForm(forms.ModelForm):
    """Checks the values with the service's rules against the shift as it is now (not as it
    was loaded); saving goes through the service, which checks again under the shift's lock."""

    class Meta:
        model = Shift
        fields = ["corner", "starts_at", "ends_at", "capacity", "min_volunteers"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        corner = data.get("corner") or self._parent_corner()
        values = [data.get(f) for f in ("starts_at", "ends_at", "capacity", "min_volunteers")]
        if corner is None or any(value is None for value in values):
            return data  # a field error already says what is missing
        current = None
        if self.instance.pk:
            current = Shift.objects.select_related("corner__event").get(pk=self.instance.pk)
            # The model's own constraint checks compare against this count, not the loaded one.
            self.instance.confirmed_count = current.confirmed_count
        try:
            services.shift_changes_validate(
                shift=current,
                corner=corner,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
                min_volunteers=data["min_volunteers"],
            )
        except ValidationError as error:
            field = FIELD_OF_REFUSAL.get(getattr(error, "code", None) or "")
            self.add_error(field if field in self.fields else None, error)
        return data

    def _parent_corner(self) -> Corner | None:
        """In the corner's inline, the corner is the page's (and new with it on the add page)."""
        try:
            return self.instance.corner
        except Corner.DoesNotExist:
            return None


class ServiceRefusalAsMessage(admin.ModelAdmin):
    """A refusal only the service's lock could see (someone signed up between the form's check
    and the save) rolls the whole page back and is shown as a message, never as an error page."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def _promoted_message(count: int) -> str:
    return ngettext(
        "%(count)s volunteer moved up from the waitlist and will be emailed.",
        "%(count)s volunteers moved up from the waitlist and will be emailed.",
        count,
    ) % {"count": count}


class ShiftInline(admin.TabularInline):
    model = Shift
    form = ShiftAdminForm
    extra = 1
    fields = ["starts_at", "ends_at", "capacity", "min_volunteers", "confirmed_count"]
    readonly_fields = ["confirmed_count"]
    show_change_link = True


@admin.register(Corner)
class CornerAdmin(SpanishTwinsAdmin, ServiceRefusalAsMessage):
    list_display = ["name", "city", "event", "spanish_twins"]
    list_filter = ["event", "city"]
    search_fields = ["name", "city", "address"]
    list_select_related = ["event"]
    inlines = [ShiftInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Shifts of the inline are created, changed and deleted through the services."""
        if formset.model is not Shift:
            super().save_formset(request, form, formset, change)
            return
        now = timezone.now()
        corner = form.instance
        deleted = [f for f in formset.deleted_forms if f.instance.pk]
        new, changed, promoted = [], [], 0
        for shift_form in deleted:
            services.shift_delete(shift=shift_form.instance)
        for shift_form in formset.forms:
            if shift_form in formset.deleted_forms or not shift_form.has_changed():
                continue
            values = {
                "starts_at": shift_form.cleaned_data["starts_at"],
                "ends_at": shift_form.cleaned_data["ends_at"],
                "capacity": shift_form.cleaned_data["capacity"],
                "min_volunteers": shift_form.cleaned_data["min_volunteers"],
            }
            if shift_form.instance.pk is None:
                new.append(services.shift_create(corner=corner, **values))
            else:
                shift, moved_up = services.shift_update(
                    shift=shift_form.instance, corner=corner, now=now, **values
                )
                changed.append((shift, shift_form.changed_data))
                promoted += len(moved_up)
        formset.new_objects, formset.changed_objects = new, changed
        formset.deleted_objects = [f.instance for f in deleted]
        if promoted:
            self.message_user(request, _promoted_message(promoted))


@admin.register(Shift)
class ShiftAdmin(ServiceRefusalAsMessage):
    form = ShiftAdminForm
    list_display = [
        "corner",
        "starts_at",
        "ends_at",
        "capacity",
        "confirmed_count",
        "min_volunteers",
    ]
    list_filter = ["corner__event", "corner__city"]
    list_select_related = ["corner__event"]
    readonly_fields = ["confirmed_count"]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        """No bulk delete: each shift is deleted through the service, from its own page."""
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Shift, form: Any, change: bool) -> None:
        values = {
            "corner": form.cleaned_data["corner"],
            "starts_at": form.cleaned_data["starts_at"],
            "ends_at": form.cleaned_data["ends_at"],
            "capacity": form.cleaned_data["capacity"],
            "min_volunteers": form.cleaned_data["min_volunteers"],
        }
        if change:
            shift, promoted = services.shift_update(shift=obj, now=timezone.now(), **values)
            if promoted:
                self.message_user(request, _promoted_message(len(promoted)))
        else:
            shift = services.shift_create(**values)
            obj.pk = shift.pk
        obj.confirmed_count = shift.confirmed_count

    def delete_model(self, request: HttpRequest, obj: Shift) -> None:
        services.shift_delete(shift=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Shift]) -> None:
        for shift in queryset:
            services.shift_delete(shift=shift)
