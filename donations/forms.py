"""Forms of the money path: they parse input into cents and choices; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from events.models import Event, Organization
from events.money import cents_format, cents_parse
from volunteers.models import User


class AmountField(forms.CharField):
    """A typed amount ("25", "25.50", "25,50") as integer cents; zero only where allowed."""

    def __init__(self, *args: Any, allow_zero: bool = False, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        cents = cents_parse(text)
        if cents is None or cents < 0 or (cents == 0 and not self.allow_zero):
            raise forms.ValidationError(_("Enter an amount like 25 or 25.50."), code="invalid")
        return cents


class GiveForm(forms.Form):
    preset = forms.TypedChoiceField(
        label=_("Amount"), coerce=int, required=False, widget=forms.RadioSelect, empty_value=None
    )
    custom = AmountField(
        label=_("Other amount"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    designation = forms.ModelChoiceField(
        label=_("Give to"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("All partner organizations (shared)"),
    )
    cover_fee = forms.BooleanField(
        label=_("Add the card fee so the full gift arrives"), required=False
    )
    donor_name = forms.CharField(label=_("Name (for your receipt)"), max_length=150, required=False)
    donor_email = forms.EmailField(label=_("Email (for your receipt)"), required=False)
    anonymous = forms.BooleanField(label=_("Give anonymously"), required=False)

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.event = event
        preset = self.fields["preset"]
        assert isinstance(preset, forms.TypedChoiceField)  # noqa: S101 (declared above)
        preset.choices = [
            (cents, cents_format(cents, event.currency, whole_if_round=True))
            for cents in event.suggested_amounts_cents
        ]
        designation = self.fields["designation"]
        assert isinstance(designation, forms.ModelChoiceField)  # noqa: S101
        designation.queryset = Organization.objects.filter(partnerships__event=event).order_by(
            "name"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amount = data.get("custom") or data.get("preset")
        if not amount and not self.errors:
            raise forms.ValidationError(_("Choose or enter an amount."), code="no_amount")
        data["amount_cents"] = amount
        return data


class RefundForm(forms.Form):
    amount = AmountField(label=_("Amount to refund"))
    refunded_seen = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class CashCountForm(forms.Form):
    amount = AmountField(label=_("Cash counted"), required=False, allow_zero=True)
    witnessed_by = forms.ModelChoiceField(
        label=_("Counted together with"), queryset=User.objects.none()
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    # The count this page showed, if any: saving then corrects exactly that one.
    corrects = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        witness = self.fields["witnessed_by"]
        assert isinstance(witness, forms.ModelChoiceField)  # noqa: S101
        witness.queryset = people

    def clean_amount(self) -> int:
        return self.cleaned_data.get("amount") or 0  # an empty bucket counts as zero


class CheckForm(forms.Form):
    amount = AmountField(label=_("Amount"))
    donor_name = forms.CharField(label=_("Donor name"), max_length=150)
    check_number = forms.CharField(label=_("Check number"), max_length=40)
    donor_email = forms.EmailField(label=_("Donor email (for the receipt)"), required=False)
    designation = forms.ModelChoiceField(
        label=_("Give to"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("All partner organizations (shared)"),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        designation = self.fields["designation"]
        assert isinstance(designation, forms.ModelChoiceField)  # noqa: S101
        designation.queryset = Organization.objects.filter(partnerships__event=event)
