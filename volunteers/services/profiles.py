"""A volunteer's profile and the waivers they accepted."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from events.models import Event
from events.text import local_text
from volunteers.models import (
    Profile,
    User,
    WaiverAcceptance,
    calendar_token_new,
)

logger = logging.getLogger(__name__)

PROFILE_FIELDS = {
    "phone",
    "emergency_contact_name",
    "emergency_contact_phone",
    "languages_spoken",
    "age_band",
    "guardian_name",
    "guardian_contact",
    "guardian_consent_on",
    "preferred_city",
    "leaderboard_opt_out",
}


# --- Profile and waiver -----------------------------------------------------------------------


@transaction.atomic
def profile_save(
    *, user: User, name: str | None = None, preferred_language: str | None = None, **fields: Any
) -> Profile:
    """Create or update a volunteer's profile, with their name and preferred language."""
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    if fields.get("guardian_consent_on") and not (
        fields.get("guardian_name") and fields.get("guardian_contact")
    ):
        raise ValidationError(
            _("Give the guardian's name and contact together with the consent date."),
            code="guardian_incomplete",
        )
    profile, _created = Profile.objects.update_or_create(user=user, defaults=fields)
    if name is not None:
        user.name = name
    if preferred_language:
        user.preferred_language, user.language_chosen = preferred_language, True
    user.save(update_fields=["name", "preferred_language", "language_chosen"])
    return profile


@transaction.atomic
def profile_calendar_token_reset(*, user: User) -> Profile:
    """Give the volunteer a new private calendar feed address; the old one stops working.

    The feed tells where and when a volunteer (possibly a minor) stands: whoever may have the
    old address loses it at once.
    """
    profile = Profile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        raise ValidationError(
            _("Please complete your volunteer profile first."), code="profile_missing"
        )
    profile.calendar_token = calendar_token_new()
    profile.save(update_fields=["calendar_token", "updated_at"])
    return profile


def waiver_needed(*, user: User, event: Event) -> bool:
    """Whether the volunteer must still accept this event's current waiver."""
    return (
        bool(event.waiver_text)
        and not WaiverAcceptance.objects.filter(
            user=user, event=event, version=event.waiver_version
        ).exists()
    )


def waiver_accept(*, user: User, event: Event, now: dt.datetime) -> WaiverAcceptance:
    """Records that `user` accepted the waiver as the page showed it: in the active language
    (the request's), the Spanish twin or the English text, word for word."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    acceptance, _created = WaiverAcceptance.objects.get_or_create(
        user=user,
        event=event,
        version=event.waiver_version,
        defaults={
            "accepted_at": now,
            "language": language[:5],
            "text": local_text(event, "waiver_text", language),
        },
    )
    return acceptance
