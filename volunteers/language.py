"""The language the site speaks to a person: remembered on their account when they choose it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from volunteers.models import User


def user_language_save(*, user: User, language: str) -> User:
    """Remember the language a signed-in person chose (the header's switch): their pages after
    signing in, their emails and their texts follow it."""
    if language not in User.Language.values:
        raise ValidationError(_("This language is not available."), code="language")
    if user.preferred_language != language or not user.language_chosen:
        user.preferred_language, user.language_chosen = language, True
        user.save(update_fields=["preferred_language", "language_chosen"])
    return user
