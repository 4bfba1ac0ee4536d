from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from config.widgets import DateInput
from payouts.models import Payout


class GrantPaidForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput())
    method = forms.ChoiceField(label=_("How"), choices=Payout.GrantMethod.choices)
    reference = forms.CharField(
        label=_("Check number or transfer reference"), max_length=100, strip=True
    )


class PayoutNoteForm(forms.Form):
    note = forms.CharField(label=_("What happened"), max_length=1000, strip=True)
