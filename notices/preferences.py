"""What each person agreed to hear, and by which channel: consent to text messages (recorded with
the words shown, their language and the time; ended on the profile, by a STOP reply or by the
provider refusing the number) and the topics of email not essential to a shift they hold (the
unsubscribe link works without signing in)."""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notices.models import TOPIC_DEFAULTS, Notice, Subscription, TextConsent
from volunteers.models import User

# What is not essential to a shift the person holds: it carries an unsubscribe link, and is not
# sent to someone who used it.
TOPIC_OF_KIND = {
    Notice.Kind.THANKS: Subscription.Topic.NEWS,
    Notice.Kind.INVITE: Subscription.Topic.FUTURE_DAYS,
    Notice.Kind.UNDERSTAFFED: Subscription.Topic.ORGANIZER,
    Notice.Kind.ATTENTION: Subscription.Topic.ORGANIZER,
    Notice.Kind.SUMMARY: Subscription.Topic.ORGANIZER,
}


def topic_of(notice: Notice) -> str | None:
    """The topic a person may unsubscribe from, or None for what is essential to a shift they
    hold. An organizer's message goes only to people holding a shift that day (its storm
    warning must reach them), so it is essential, whatever its scope."""
    return TOPIC_OF_KIND.get(Notice.Kind(notice.kind))


# What the profile's checkbox says; recorded word for word, in the language it was shown in,
# with each consent. Changing it changes what later consents record, never earlier ones.
TEXT_CONSENT_WORDING = gettext_lazy(
    "Text me at this number about the shifts I sign up for: confirmations, reminders and "
    "changes (up to 5 messages a shift). Message and data rates may apply. Reply STOP to end, "
    "HELP for help."
)
FUTURE_DAYS_WORDING = gettext_lazy("Email me when a new pledge day opens for sign-ups.")


def phone_e164(raw: str) -> str:
    """The number in E.164 (+15595550142), read as a number of PHONE_REGION if it has no
    country code; raises ValidationError for anything that is not a valid phone number."""
    try:
        number = phonenumbers.parse(raw, settings.PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(
            _("This is not a phone number we can text."), code="phone_invalid"
        ) from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This is not a phone number we can text."), code="phone_invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def text_consent(user_id: int) -> TextConsent | None:
    return TextConsent.objects.filter(user_id=user_id, withdrawn_at__isnull=True).first()


def texted_users(user_ids: set[int]) -> set[int]:
    """Which of these people have agreed to text messages (for the planners)."""
    return set(
        TextConsent.objects.filter(user_id__in=user_ids, withdrawn_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )


@transaction.atomic
def text_consent_set(
    *, user: User, texts: bool, phone: str, language: str, now: dt.datetime
) -> TextConsent | None:
    """Record the profile's answer: a new consent with the wording shown (in `language`), the
    current one ended ("profile"), or, for a new number, the old consent ended ("number") and a
    new one given. Returns the consent in force afterwards."""
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()  # one at a time
    current = text_consent(user.pk)
    number = phone_e164(phone) if texts else ""
    if current is not None and (not texts or current.phone != number):
        how = TextConsent.Ended.PROFILE if not texts else TextConsent.Ended.NUMBER
        TextConsent.objects.filter(pk=current.pk).update(withdrawn_at=now, withdrawn_how=how)
        current = None
    if texts and current is None:
        with translation.override(language):
            wording = str(TEXT_CONSENT_WORDING)
        current = TextConsent.objects.create(
            user=user, phone=number, wording=wording, language=language, given_at=now
        )
    return current


@transaction.atomic
def contact_preferences_save(
    *, user: User, phone: str, texts: bool, future_days: bool, language: str, now: dt.datetime
) -> None:
    """The profile's answers: texts (with the wording shown, in `language`), and invitations to
    future pledge days (changed only when the answer changed)."""
    if settings.TEXTS_ENABLED:
        text_consent_set(user=user, texts=texts, phone=phone, language=language, now=now)
    topic = Subscription.Topic.FUTURE_DAYS
    if subscribed(user.pk, topic) != future_days:
        subscription_set(
            user_id=user.pk, topic=topic, subscribed=future_days, how="profile", now=now
        )


def text_consent_stop(*, phone: str, how: str, now: dt.datetime) -> int:
    """The number replied STOP (or the provider refuses it): every consent in force for it
    ends. Returns how many ended."""
    return TextConsent.objects.filter(phone=phone, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawn_how=how
    )


# Twilio's opt-out words, and Spanish ALTO and PARAR.
STOP_WORDS = frozenset(
    ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "ALTO", "PARAR")
)


def text_reply_receive(*, phone: str, body: str, opt_out_type: str, now: dt.datetime) -> bool:
    """A reply to our number (its sender already checked): STOP or a synonym, alone, or Twilio
    saying it is an opt-out, ends every consent for the number. Returns whether it did."""
    words = body.strip().upper().split()
    stop = opt_out_type.upper() == "STOP" or (
        len(words) == 1 and words[0].strip(".!") in STOP_WORDS
    )
    if stop:
        text_consent_stop(phone=phone, how=TextConsent.Ended.STOP, now=now)
    return stop


def subscribed(user_id: int, topic: str) -> bool:
    row = Subscription.objects.filter(user_id=user_id, topic=topic).first()
    return row.subscribed if row is not None else TOPIC_DEFAULTS[Subscription.Topic(topic)]


def subscription_set(
    *, user_id: int, topic: str, subscribed: bool, how: str, now: dt.datetime
) -> Subscription:
    row, _created = Subscription.objects.update_or_create(
        user_id=user_id,
        topic=topic,
        defaults={"subscribed": subscribed, "changed_at": now, "how": how},
    )
    return row


# --- The unsubscribe link: signed, so it works without signing in ------------------------------

_SALT = "notices.unsubscribe"


def unsubscribe_token(*, user_id: int, topic: str) -> str:
    """The same token each time for a person and topic (no timestamp: links do not expire)."""
    return signing.Signer(salt=_SALT).sign_object({"u": user_id, "t": topic}, compress=True)


def unsubscribe_url(*, user_id: int, topic: str) -> str:
    token = unsubscribe_token(user_id=user_id, topic=topic)
    return settings.SITE_URL + reverse("notices:unsubscribe", args=[token])


def unsubscribe_token_read(token: str) -> tuple[int, str] | None:
    """(user id, topic) of a link this site made, or None for anything else. Links do not
    expire: an email read a year later must still be able to stop the next one."""
    try:
        data = signing.Signer(salt=_SALT).unsign_object(token)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("t") not in Subscription.Topic.values:
        return None
    user_id = data.get("u")
    return (user_id, data["t"]) if isinstance(user_id, int) else None
