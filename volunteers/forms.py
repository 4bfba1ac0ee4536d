"""Forms of the volunteers app."""

from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from volunteers.models import User


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserAdminChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
