"""Text typed by organizers, in the reader's language.

A person-facing text field `x` may have a Spanish twin `x_es` (Event.story_es, Corner.name_es...).
Spanish pages, emails and texts show the twin when it is filled in, and the English text when it
is not; every other language gets the English text.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import translation


def local_text(obj: object, field: str, language: str | None = None) -> str:
    """`obj.field` in `language` (the active one by default): its `_es` twin for Spanish.
    `obj` may be a model or a dict (`obj[field]` and `obj[field + "_es"]`)."""
    if isinstance(obj, Mapping):
        return local_value(obj, field, language)
    language = language or translation.get_language() or ""
    if language.startswith("es"):
        spanish = getattr(obj, f"{field}_es", "")
        if spanish:
            return str(spanish)
    value = getattr(obj, field, "")
    return "" if value is None else str(value)


def local_value(values: Mapping[str, object], key: str, language: str | None = None) -> str:
    """The same choice for a recorded copy, a dict with `key` and `key_es` (a notice's detail)."""
    language = language or translation.get_language() or ""
    if language.startswith("es") and values.get(f"{key}_es"):
        return str(values[f"{key}_es"])
    return str(values.get(key) or "")
