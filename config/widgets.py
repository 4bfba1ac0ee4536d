"""The browser's own date and time pickers. An <input type="date"> reads only an ISO value
(2026-11-01) and <input type="time"> only 14:00: Django's widgets would fill them in the
active language's format ("01/11/2026" in Spanish), which the browser shows as empty, so a
form saved unchanged would lose the value. Every form uses these instead."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")
