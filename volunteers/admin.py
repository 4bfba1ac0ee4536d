"""Admin pages for accounts."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from volunteers.forms import UserAdminChangeForm, UserAdminCreationForm
from volunteers.models import BucketAssignment, PoolEntry, Profile, Signup, User, WaiverAcceptance


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


@admin.register(Signup)
class SignupAdmin(admin.ModelAdmin):
    """Read-only: sign-ups change through the site so that shift counts stay exact."""

    list_display = ["user", "shift", "status", "source", "created_at", "checked_in_at"]
    list_filter = ["status", "source", "shift__corner__event"]
    search_fields = ["user__email", "user__name", "shift__corner__name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PoolEntry)
class PoolEntryAdmin(admin.ModelAdmin):
    list_display = ["user", "event", "available_from", "available_until", "status"]
    list_filter = ["status", "event"]


@admin.register(WaiverAcceptance)
class WaiverAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["user", "event", "version", "accepted_at"]
    list_filter = ["event"]


@admin.register(BucketAssignment)
class BucketAssignmentAdmin(admin.ModelAdmin):
    list_display = ["bucket", "shift", "handed_out_at", "returned_at"]
    list_filter = ["shift__corner__event"]
