"""Forms of the volunteers app: they parse input; the services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from config.widgets import DateInput, TimeInput
from events.models import Bucket, Corner, Event
from notices.preferences import FUTURE_DAYS_WORDING, TEXT_CONSENT_WORDING, phone_e164
from volunteers.models import LANGUAGES_SPOKEN, AgeBand, User


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserAdminChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


# Asked only of volunteers aged 16 or 17 (the profile page groups them under that heading).
GUARDIAN_FIELDS = ("guardian_name", "guardian_contact", "guardian_consent_on")


class ProfileForm(forms.Form):
    """The volunteer profile; saving goes through volunteers.services.profile_save."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language for messages"), choices=User.Language.choices
    )
    languages_spoken = forms.MultipleChoiceField(
        label=_("Languages you speak"),
        choices=LANGUAGES_SPOKEN,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    age_band = forms.ChoiceField(
        label=_("Your age"),
        choices=AgeBand.choices,
        help_text=_(
            "Under 18? Volunteers aged 16 or 17 need a parent's or guardian's consent before a "
            "shift is confirmed. Under 16 cannot stand on a street corner."
        ),
    )
    emergency_contact_name = forms.CharField(label=_("Emergency contact"), max_length=120)
    emergency_contact_phone = forms.CharField(
        label=_("Emergency contact phone"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    preferred_city = forms.CharField(
        label=_("City you prefer to volunteer in"), max_length=80, required=False
    )
    guardian_name = forms.CharField(
        label=_("Parent or guardian (under 18)"), max_length=120, required=False
    )
    guardian_contact = forms.CharField(
        label=_("Parent or guardian phone or email"), max_length=120, required=False
    )
    guardian_consent_on = forms.DateField(
        label=_("Date your parent or guardian gave consent"),
        required=False,
        widget=DateInput(),
    )
    leaderboard_opt_out = forms.BooleanField(
        label=_("Keep my name off public leaderboards"),
        required=False,
        help_text=_(
            "The big screen at the staging area thanks the top volunteer teams by first name and "
            "last initial (“Ana G.”). Volunteers under 18 never appear there."
        ),
    )

    # What the volunteer agrees to hear: asked here, recorded by notices.preferences (the texts
    # box's label is the consent's wording, recorded word for word with the answer).
    texts = forms.BooleanField(label=TEXT_CONSENT_WORDING, required=False)
    future_days = forms.BooleanField(label=FUTURE_DAYS_WORDING, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not settings.TEXTS_ENABLED:
            del self.fields["texts"]  # this site has no text provider

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("texts") and data.get("phone"):
            try:
                phone_e164(data["phone"])
            except forms.ValidationError as error:
                self.add_error("phone", error)
        if data.get("age_band") == AgeBand.ADULT:
            data["guardian_name"] = data["guardian_contact"] = ""
            data["guardian_consent_on"] = None
        elif data.get("guardian_consent_on") and not (
            data.get("guardian_name") and data.get("guardian_contact")
        ):
            raise forms.ValidationError(
                _("Give your parent's or guardian's name and contact with the consent date.")
            )
        return data


class PoolForm(forms.Form):
    available_from = forms.TimeField(label=_("Available from"), widget=TimeInput())
    available_until = forms.TimeField(label=_("Available until"), widget=TimeInput())
    preferred_city = forms.ChoiceField(label=_("Preferred city"), required=False)

    def __init__(self, *args: Any, cities: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["preferred_city"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [("", _("Anywhere")), *[(c, c) for c in cities]]


class BulkShiftsForm(forms.Form):
    corner = forms.ModelChoiceField(label=_("Corner"), queryset=Corner.objects.none())
    day = forms.DateField(label=_("Day"), widget=DateInput())
    first_start = forms.TimeField(label=_("First shift starts"), widget=TimeInput())
    last_end = forms.TimeField(label=_("Last shift ends"), widget=TimeInput())
    length_hours = forms.IntegerField(label=_("Hours per shift"), min_value=1, max_value=12)
    capacity = forms.IntegerField(label=_("Volunteers per shift"), min_value=1, max_value=50)
    min_volunteers = forms.IntegerField(
        label=_("Minimum to be staffed (buddy rule)"), min_value=1, max_value=50, initial=2
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["corner"].queryset = Corner.objects.filter(event=event)  # type: ignore[attr-defined]


class CopyShiftsForm(forms.Form):
    source = forms.ModelChoiceField(label=_("Copy the shifts of"), queryset=Corner.objects.none())
    target = forms.ModelChoiceField(label=_("To the corner"), queryset=Corner.objects.none())

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        corners = Corner.objects.filter(event=event)
        self.fields["source"].queryset = corners  # type: ignore[attr-defined]
        self.fields["target"].queryset = corners  # type: ignore[attr-defined]


class ShiftCapacityForm(forms.Form):
    """When a shift is (in the event's zone), how many volunteers it takes, and how many make
    it staffed (the buddy rule). Times left empty stay as they are."""

    day = forms.DateField(label=_("Day"), required=False, widget=DateInput())
    starts = forms.TimeField(label=_("Starts"), required=False, widget=TimeInput())
    ends = forms.TimeField(label=_("Ends"), required=False, widget=TimeInput())
    capacity = forms.IntegerField(label=_("Volunteers per shift"), min_value=1, max_value=500)
    min_volunteers = forms.IntegerField(
        label=_("Minimum to be staffed (buddy rule)"), min_value=1, max_value=500
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [data.get(name) is not None for name in ("day", "starts", "ends")]
        if any(given) and not all(given):
            raise forms.ValidationError(
                _("Give the day, the start and the end together to change the time."),
                code="time_incomplete",
            )
        return data

    def times(
        self, zone: dt.tzinfo, *, current: tuple[dt.datetime, dt.datetime]
    ) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The new start and end as instants, or None where the form leaves them as they are
        (empty, or the same wall-clock times as now: a shift in the hour the clocks repeat, or
        one past midnight, is not moved by saving its capacity)."""
        data = self.cleaned_data
        if not (data.get("day") and data.get("starts") and data.get("ends")):
            return None, None
        starts, ends = (moment.astimezone(zone) for moment in current)
        if (data["day"], data["starts"], data["ends"]) == (
            starts.date(),
            starts.time().replace(second=0, microsecond=0),
            ends.time().replace(second=0, microsecond=0),
        ):
            return None, None
        new_start = dt.datetime.combine(data["day"], data["starts"], tzinfo=zone)
        return new_start, dt.datetime.combine(data["day"], data["ends"], tzinfo=zone)


class ShiftCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (the volunteers are told)"),
        max_length=200,
        help_text=_("For example: road work closed the corner."),
    )


class HandOutForm(forms.Form):
    bucket = forms.ModelChoiceField(label=_("Bucket"), queryset=Bucket.objects.none())

    def __init__(self, *args: Any, buckets: QuerySet[Bucket], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bucket"].queryset = buckets  # type: ignore[attr-defined]
