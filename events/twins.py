"""Which person-facing text fields have a Spanish twin, and which twins are still missing.

An organizer who fills in an English text that volunteers or donors read should fill in its
Spanish twin too: until then Spanish pages show the English. The admin marks each missing twin
on the form (and counts them in the lists), so nothing silently stays English.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from events.models import Bucket, Corner, Event, Organization

# Twins that a Spanish reader needs whenever the English is filled in.
EXPECTED: dict[type[models.Model], tuple[str, ...]] = {
    Event: ("title", "story", "volunteer_notes", "waiver_text"),
    Organization: ("description", "hotline_name"),
    Corner: ("address", "safety_notes"),
    Bucket: (),
}
# Names and labels usually read the same in both languages: a twin only if they do not.
OPTIONAL: dict[type[models.Model], tuple[str, ...]] = {
    Corner: ("name",),
    Bucket: ("label",),
}


def twins_missing(obj: models.Model) -> list[str]:
    """The fields of `obj` whose English is filled in and whose Spanish twin is empty."""
    return [
        field
        for field in EXPECTED.get(type(obj), ())
        if str(getattr(obj, field, "") or "").strip()
        and not str(getattr(obj, f"{field}_es", "") or "").strip()
    ]


MISSING_NOTE = _("Missing: Spanish readers see the English text until this is filled in.")


class SpanishTwinsAdmin(admin.ModelAdmin):
    """Marks each missing Spanish twin on the change form, and lists how many are missing."""

    class Media:
        css = {"all": ["css/admin-twins.css"]}

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        for field in twins_missing(obj):
            twin = form.base_fields.get(f"{field}_es")
            if twin is None:
                continue
            # A copy: base_fields belong to the form class.
            twin = form.base_fields[f"{field}_es"] = copy.deepcopy(twin)
            twin.help_text = f"{MISSING_NOTE} {twin.help_text}".strip()
            twin.widget.attrs["class"] = "twin-missing"
        return form

    @admin.display(description=_("Spanish"))
    def spanish_twins(self, obj: models.Model) -> str:
        missing = twins_missing(obj)
        if not missing:
            return gettext("complete")
        names = [
            str(getattr(obj._meta.get_field(field), "verbose_name", field)) for field in missing
        ]
        return gettext("missing: %(fields)s") % {"fields": ", ".join(names)}
