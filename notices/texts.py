"""Notices by text message (django-sms's interchangeable backends: files in the demo, memory in
the tests, Twilio in production), in the volunteer's language, each one SMS segment long.

A segment is 160 characters of the GSM 03.38 alphabet; a single character outside it (á, í, ó,
ú, curly quotes, an en dash) makes the carrier send the whole text as UCS-2, 70 characters a
segment, so a Spanish reminder would cost three. `sms_fit` spells such characters in the
alphabet (á → a; ñ, é and ü are in it) and the templates are written so that the longest corner
names and numbers still fit: the tests render every kind in both languages at the limits."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import phonenumbers
import sms
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from twilio.base.exceptions import TwilioRestException

from events.text import local_text, local_value
from notices.models import Notice, TextConsent
from notices.preferences import text_consent
from volunteers.selectors import shift_buddies, waitlist_position

SEGMENT = 160
# GSM 03.38: the basic set (one septet each) and the extension set (an escape plus one).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€")
_SPELLED = {
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u00a0": " ",
}
# Longest parts a text names in full; longer ones are cut (the email has them whole).
CORNER_CHARS = 28
NAME_CHARS = 12
PHONE_CHARS = 16  # E.164 is at most 16 characters: a number always fits whole
REASON_CHARS = (100, 70, 50, 36)  # the longest that fits, tried in order


class TextRefused(Exception):
    """The provider refused this text for good because of the number: it replied STOP to our
    sender, or it is not a mobile number. `ended` says how its consent ends ("" to keep it)."""

    def __init__(self, message: str, *, phone: str = "", ended: str = "") -> None:
        super().__init__(message)
        self.phone, self.ended = phone, ended


# Twilio's errors about the number itself (https://www.twilio.com/docs/api/errors): texting it
# again cannot succeed. Any other error (credentials, the sender, Twilio's own trouble) is
# retried with backoff, and an operator sees it on the notices' log meanwhile.
TWILIO_NUMBER_STOPPED = 21610  # the number replied STOP to this sender
TWILIO_NUMBER_UNUSABLE = frozenset((21211, 21612, 21614))  # invalid, unreachable, not mobile


class TextUnavailable(OSError):
    """The provider could not take the text now (its error, its rate limit): a later attempt."""


def sms_fit(text: str) -> str:
    """The text in the GSM alphabet: characters outside it spelled without their accents, or by
    their nearest ASCII form; anything else becomes "?"."""
    out = []
    for char in text:
        if char in GSM_BASIC or char in GSM_EXTENDED:
            out.append(char)
        elif char in _SPELLED:
            out.append(_SPELLED[char])
        else:
            bare = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            out.append(bare if bare and all(c in GSM_BASIC for c in bare) else "?")
    return "".join(out)


def septets(text: str) -> int:
    """Length in GSM septets (an extension character takes two)."""
    return sum(2 if char in GSM_EXTENDED else 1 for char in text)


def _cut(value: str, limit: int) -> str:
    """The value in at most `limit` characters, cut after a whole word where there is one."""
    value = " ".join(value.split())
    if len(value) <= limit:
        return value
    cut = value[: limit - 3]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "..."


def _when(moment: dt.datetime, *, now: dt.datetime, zone: dt.tzinfo) -> str:
    """ "Sat, May 17, 9 a.m." or "today, 9 a.m." in the event's zone and the active language."""
    local = moment.astimezone(zone)
    time = formats.time_format(local, "TIME_FORMAT")
    if local.date() == now.astimezone(zone).date():
        return _("today, %(time)s") % {"time": time}
    return _("%(day)s, %(date)s, %(time)s") % {
        "day": formats.date_format(local, "D"),
        "date": formats.date_format(local, "MONTH_DAY_FORMAT"),
        "time": time,
    }


def phone_short(raw: str) -> str:
    """A phone number as a text can carry it whole: (559) 555-0142 for a number of the site's
    region, +52 55 1234 5678 for another; never cut (a cut number is a wrong number), and left
    out if it is not a phone number and too long to carry."""
    try:
        number = phonenumbers.parse(raw, settings.PHONE_REGION)
    except phonenumbers.NumberParseException:
        return raw if len(raw) <= PHONE_CHARS else ""
    if not phonenumbers.is_valid_number(number):
        return raw if len(raw) <= PHONE_CHARS else ""
    region = phonenumbers.region_code_for_number(number)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if region == settings.PHONE_REGION
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    formatted = phonenumbers.format_number(number, style)
    if len(formatted) > PHONE_CHARS:
        formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def text_context(
    notice: Notice, *, now: dt.datetime, reason_chars: int = REASON_CHARS[-1]
) -> dict[str, object]:
    """What a text names, each part cut to its length; call with the language active."""
    signup = notice.signup
    assert signup is not None  # noqa: S101 (every kind sent by text is about a sign-up)
    shift, event = signup.shift, notice.event
    buddy = shift_buddies(signup).first()
    was = notice.detail.get("was") or {}
    return {
        "corner": _cut(local_text(shift.corner, "name"), CORNER_CHARS),
        "when": _when(shift.starts_at, now=now, zone=event.tzinfo),
        "was_corner": _cut(local_value(was, "corner"), CORNER_CHARS),
        "corner_moved": bool(was) and was.get("corner_id") != shift.corner_id,
        "was_when": (
            _when(dt.datetime.fromisoformat(was["starts_at"]), now=now, zone=event.tzinfo)
            if was.get("starts_at")
            else ""
        ),
        "buddy": _cut(buddy.user.get_short_name(), NAME_CHARS) if buddy else "",
        "phone": phone_short(event.volunteer_coordinator_phone),
        "position": waitlist_position(signup) or 0,
        "shift_cancelled": bool(notice.detail.get("shift_cancelled")),
        "reason": _cut(str(notice.detail.get("reason", "")), reason_chars),
    }


def _message_context(notice: Notice) -> dict[str, object]:
    broadcast = notice.broadcast
    assert broadcast is not None  # noqa: S101 (a message has its broadcast)
    spanish = translation.get_language() == "es" and broadcast.body_es
    return {"body": broadcast.body_es if spanish else broadcast.body}


def text_render(notice: Notice, *, now: dt.datetime, language: str) -> str:
    """The text of the notice in one segment. An organizer's message longer than a segment is
    cut, saying the whole is in the email; the other kinds always fit (the tests prove it)."""
    with translation.override(language):
        if notice.kind == Notice.Kind.MESSAGE:
            context = _message_context(notice)
            stop = sms_fit(" " + _("STOP to end"))
        else:
            context, stop = text_context(notice, now=now), ""
        text = _render(notice.kind, context)
        if notice.detail.get("reason"):  # the organizer's reason, as long as the text allows
            for chars in REASON_CHARS:
                text = _render(
                    notice.kind, {**context, "reason": _cut(notice.detail["reason"], chars)}
                )
                if septets(text) <= SEGMENT:
                    break
        more = sms_fit(" " + _("(all of it by email)"))
    if septets(text) + septets(stop) > SEGMENT:
        while septets(text) + septets(more) + septets(stop) + 3 > SEGMENT:
            text = text[:-1]
        if " " in text[len(text) // 2 :]:
            text = text.rsplit(" ", 1)[0]  # after a whole word
        text = text.rstrip(" ,;:.") + "..." + more
    return text + stop


def _render(kind: str, context: dict[str, object]) -> str:
    text = " ".join(render_to_string(f"notices/sms/{kind}.txt", context).split())
    return sms_fit(_DOUBLE_STOP.sub(".", text))  # "9 p.m.." after a time ending in "."


_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?=\s|$)")


def notice_text_send(*, notice: Notice, now: dt.datetime) -> tuple[str, str]:
    """Text the notice to the number the volunteer agreed to; returns (number, language).
    Raises TextRefused (for good) or TextUnavailable / OSError (try later)."""
    consent = text_consent(notice.user_id)
    if consent is None:
        raise TextRefused("no consent to texts")  # checked just before: withdrawn since
    language = notice.user.preferred_language or settings.LANGUAGE_CODE
    body = text_render(notice, now=now, language=language)
    message = sms.Message(body=body, originator=settings.SMS_FROM, recipients=[consent.phone])
    try:
        message.send()
    except TwilioRestException as error:  # Twilio's own answer; network errors are OSError
        if error.code == TWILIO_NUMBER_STOPPED:
            raise TextRefused(
                str(error.msg)[:300], phone=consent.phone, ended=TextConsent.Ended.STOP
            ) from error
        if error.code in TWILIO_NUMBER_UNUSABLE:
            raise TextRefused(
                str(error.msg)[:300], phone=consent.phone, ended=TextConsent.Ended.REFUSED
            ) from error
        raise TextUnavailable(f"Twilio {error.status} {error.code}: {error.msg}"[:300]) from error
    return consent.phone, language
