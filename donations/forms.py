"""Forms of the money path: they parse input into cents and choices; the services decide."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from donations.services.gifts import gift_amount_check
from events.models import Event, Organization
from events.money import cents_format, cents_parse
from volunteers.models import User


class AmountField(forms.CharField):
    """A typed amount ("25", "25.50", "25,50") as integer cents, through the one money parser
    (events.money.cents_parse: no exponents, no signs); zero only where allowed; at most
    maximum_cents when given (the event's limit), said in the event's currency."""

    def __init__(
        self,
        *args: Any,
        allow_zero: bool = False,
        maximum_cents: int | None = None,
        currency: str = "usd",
        **kwargs: Any,
    ) -> None:
        self.allow_zero, self.maximum_cents, self.currency = allow_zero, maximum_cents, currency
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("maxlength", "30")

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        cents = cents_parse(text)
        if cents is None or (cents == 0 and not self.allow_zero):
            raise forms.ValidationError(_("Enter an amount like 25 or 25.50."), code="invalid")
        if self.maximum_cents is not None and cents > self.maximum_cents:
            raise forms.ValidationError(
                _("The largest amount here is %(maximum)s.")
                % {"maximum": cents_format(self.maximum_cents, self.currency)},
                code="too_large",
            )
        return cents


def submission_token_new() -> str:
    return secrets.token_urlsafe(24)


class SubmissionTokenField(forms.CharField):
    """The one-time token of a form that records money: posted twice, it records once."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            widget=forms.HiddenInput, max_length=64, min_length=16, required=True, **kwargs
        )


class _ReadOnceChoiceIterator(forms.models.ModelChoiceIterator):
    """Choices from the partners the form read once: Django's iterator asks the database again on
    every render (QuerySet.iterator()), and the give page renders the partners for two fields
    and counts them, which cost four queries on every QR scan where one will do. Validating a
    choice still asks the field's queryset, as Django does."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self._partners():
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(self._partners()) + (1 if self.field.empty_label is not None else 0)

    def _partners(self) -> list[Organization]:
        partners: list[Organization] = getattr(self.field, "partners")  # noqa: B009 (set by GiveForm)
        return partners


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
    split_among = forms.ModelMultipleChoiceField(
        label=_("Or split it in equal parts among two or three partners"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
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
        split = self.fields["split_among"]
        assert isinstance(split, forms.ModelMultipleChoiceField)  # noqa: S101
        split.queryset = designation.queryset  # what a submitted choice is checked against
        # One read of the partners for both fields' choices and the page's count of them.
        self.partners = list(designation.queryset)
        for field in (designation, split):
            field.partners = self.partners  # type: ignore[attr-defined]
            field.iterator = _ReadOnceChoiceIterator
            field.widget.choices = field.choices  # the widget took its choices from the old one
        # The event's largest gift is checked by the service, whose message invites the donor
        # to contact the organizers.

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amount = data.get("custom") or data.get("preset")
        if not amount and not self.errors:
            raise forms.ValidationError(_("Choose or enter an amount."), code="no_amount")
        if amount:
            try:
                gift_amount_check(event=self.event, amount_cents=amount)
            except forms.ValidationError as error:
                self.add_error("custom" if data.get("custom") else "preset", error)
                amount = None
        data["amount_cents"] = amount
        return data


def _amount_limits(form: forms.Form, name: str, event: Event, maximum_cents: int) -> None:
    field = form.fields[name]
    assert isinstance(field, AmountField)  # noqa: S101 (declared as one)
    field.maximum_cents, field.currency = maximum_cents, event.currency


class RefundForm(forms.Form):
    amount = AmountField(label=_("Amount to refund"))
    refunded_seen = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    refunds_seen = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class CashCountForm(forms.Form):
    amount = AmountField(label=_("Cash counted"), required=False, allow_zero=True)
    witnessed_by = forms.ModelChoiceField(
        label=_("Counted together with"), queryset=User.objects.none()
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    # The count this page showed, if any: saving then corrects exactly that one.
    corrects = forms.IntegerField(required=False, widget=forms.HiddenInput)
    submission_token = SubmissionTokenField()

    def __init__(self, *args: Any, event: Event, people: QuerySet[User], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("submission_token", submission_token_new())
        super().__init__(*args, **kwargs)
        witness = self.fields["witnessed_by"]
        assert isinstance(witness, forms.ModelChoiceField)  # noqa: S101
        witness.queryset = people
        _amount_limits(self, "amount", event, event.maximum_offline_cents)

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
    repeated_number_confirmed = forms.BooleanField(
        label=_("This is a different check that has the same number"), required=False
    )
    submission_token = SubmissionTokenField()

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("submission_token", submission_token_new())
        super().__init__(*args, **kwargs)
        designation = self.fields["designation"]
        assert isinstance(designation, forms.ModelChoiceField)  # noqa: S101
        designation.queryset = Organization.objects.filter(partnerships__event=event)
        _amount_limits(self, "amount", event, event.maximum_offline_cents)
        # Asked only once a repeated number was found (see the view).
        self.fields["repeated_number_confirmed"].widget = forms.HiddenInput()

    def repeated_number_ask(self) -> None:
        """Show the "same number, another check" box (after the service refused the number)."""
        self.fields["repeated_number_confirmed"].widget = forms.CheckboxInput()


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this gift voided?"),
        max_length=200,
        help_text=_("For example: entered twice, counted for the wrong pledge day."),
    )


class NoteForm(forms.Form):
    """What was done, in a sentence (dismissing a parked payment, a failed refund handled)."""

    note = forms.CharField(label=_("What was done"), max_length=300)


class ReceiptRetryForm(forms.Form):
    donor_email = forms.EmailField(
        label=_("Send to (leave empty for the same address)"), required=False
    )


class PledgeReceivedForm(forms.Form):
    amount = AmountField(label=_("Amount received from the sponsor"))

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        amount = self.fields["amount"]
        assert isinstance(amount, AmountField)  # noqa: S101 (declared as one)
        amount.currency = currency
