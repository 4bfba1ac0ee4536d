"""Template filters for money, shares and phone links."""

from __future__ import annotations

import re

import segno
from django import template
from django.utils.safestring import SafeString, mark_safe

from events.money import basis_points_format, cents_format
from events.text import local_text

register = template.Library()


@register.filter
def money(amount_cents: int | None, currency: str = "usd") -> str:
    """{{ event.goal_cents|money:event.currency }} -> "$25,000.00"."""
    if amount_cents is None:
        return ""
    return cents_format(int(amount_cents), currency)


@register.filter
def money_less(amount_cents: int | None, currency: str = "usd") -> str:
    """An amount taken off (fees, refunds), with a minus sign; "$0.00" when nothing is."""
    if amount_cents is None:
        return ""
    if amount_cents == 0:
        return cents_format(0, currency)
    return cents_format(-int(amount_cents), currency).replace("-", "\u2212", 1)


@register.filter
def money_whole(amount_cents: int | None, currency: str = "usd") -> str:
    """Like money, but "$25" rather than "$25.00" for round amounts (buttons, goals)."""
    if amount_cents is None:
        return ""
    return cents_format(int(amount_cents), currency, whole_if_round=True)


@register.filter
def share(share_bp: int) -> str:
    return basis_points_format(int(share_bp))


@register.filter
def tel(phone: str) -> str:
    """A tel: URI for a printed phone number: "1-888-373-7888" -> "tel:+18883737888"."""
    digits = re.sub(r"[^\d+]", "", phone or "")
    if digits and not digits.startswith("+"):
        digits = "+" + (digits if len(digits) > 10 else "1" + digits)
    return f"tel:{digits}"


@register.filter
def percent_of(part: int, whole: int) -> int:
    """Whole percent of part in whole, clamped to 0..100 (for progress bars)."""
    if not whole:
        return 0
    return max(0, min(100, (100 * int(part)) // int(whole)))


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    """{{ mine|get_item:shift.pk }}: a dictionary lookup with a variable key."""
    return mapping.get(key) if mapping else None


@register.filter
def qr_svg(url: str, scale: int = 4) -> SafeString:
    """An inline SVG QR code for a URL (segno writes only path data and our own numbers)."""
    return mark_safe(segno.make(url, error="m").svg_inline(scale=int(scale)))  # noqa: S308


@register.simple_tag
def localized(obj: object, field: str) -> str:
    """{% localized event "story" %}: the Spanish text (field_es) for Spanish readers, if any."""
    return local_text(obj, field)


@register.filter(name="local")
def local_filter(obj: object, field: str) -> str:
    """{{ corner|local:"name" }}: the same as {% localized %}, usable inside other tags."""
    return local_text(obj, field)
