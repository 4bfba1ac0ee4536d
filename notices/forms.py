"""Forms of the notices app: they parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Corner, Event, Shift
from notices.broadcasts import BODY_LIMIT
from notices.models import Broadcast


class BroadcastForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("To"), choices=Broadcast.Scope.choices, widget=forms.RadioSelect
    )
    shift = forms.ModelChoiceField(label=_("Shift"), queryset=Shift.objects.none(), required=False)
    corner = forms.ModelChoiceField(
        label=_("Corner"), queryset=Corner.objects.none(), required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=120)
    body = forms.CharField(
        label=_("Message"), max_length=BODY_LIMIT, widget=forms.Textarea(attrs={"rows": 6})
    )
    subject_es = forms.CharField(label=_("Subject in Spanish"), max_length=120, required=False)
    body_es = forms.CharField(
        label=_("Message in Spanish"),
        max_length=BODY_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Volunteers who prefer Spanish get this version; without it, the English."),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Shifts someone can still be on: not cancelled, not over.
        shifts = Shift.objects.filter(
            corner__event=event, cancelled_at__isnull=True, ends_at__gt=timezone.now()
        ).select_related("corner")
        self.fields["shift"].queryset = shifts.order_by("starts_at", "corner__name")  # type: ignore[attr-defined]
        self.fields["shift"].label_from_instance = lambda shift: _shift_label(shift, event)  # type: ignore[attr-defined]
        self.fields["corner"].queryset = Corner.objects.filter(event=event).order_by("name")  # type: ignore[attr-defined]


def _shift_label(shift: Shift, event: Event) -> str:
    from django.utils import formats

    starts = shift.starts_at.astimezone(event.tzinfo)
    ends = shift.ends_at.astimezone(event.tzinfo)
    return (
        f"{shift.corner.name}, {formats.date_format(starts, 'SHORT_DATETIME_FORMAT')}"
        f"\u2013{formats.time_format(ends, 'TIME_FORMAT')}"
    )
