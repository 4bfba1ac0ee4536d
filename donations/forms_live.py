"""The control room's filters and pages (query string): parsed, never trusted; a value that does
not parse is ignored rather than refused, so a stale or hand-edited link still shows the room."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from donations.models import Donation
from events.models import Corner

SHOW_ATTENTION = "attention"


class ControlRoomFilters(forms.Form):
    city = forms.ChoiceField(label=_("City"), required=False)
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("All corners")), (SHOW_ATTENTION, _("Corners that need someone"))],
    )
    corners_page = forms.IntegerField(min_value=1, max_value=100_000, required=False)
    teams_page = forms.IntegerField(min_value=1, max_value=100_000, required=False)
    method = forms.ChoiceField(
        label=_("Method"),
        required=False,
        choices=[("", _("Card, cash and check")), *Donation.Method.choices],
    )
    corner = forms.TypedChoiceField(label=_("Corner"), required=False, coerce=int)
    gifts_page = forms.IntegerField(min_value=1, max_value=100_000, required=False)

    def __init__(
        self, *args: Any, cities: Sequence[str], corners: Sequence[Corner], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        city = self.fields["city"]
        corner = self.fields["corner"]
        assert isinstance(city, forms.ChoiceField)  # noqa: S101 (declared above)
        assert isinstance(corner, forms.TypedChoiceField)  # noqa: S101 (declared above)
        city.choices = [("", _("All cities")), *[(c, c) for c in cities]]
        corner.choices = [
            ("", _("All corners")),
            *[(c.pk, c.name) for c in sorted(corners, key=lambda c: c.name)],
        ]

    def value(self, name: str) -> Any:
        """The field's parsed value, or None if it was missing or did not parse."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) or None
