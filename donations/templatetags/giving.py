"""Template tags of the money path's pages, and of other apps' pages that show its figures (the
events app cannot import donations): a pledge day's progress toward its goal, amounts in whole
units for screens, links between pages of the control room's tables, a scalable QR code."""

from __future__ import annotations

from typing import Any

import segno
from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from donations import totals
from events.models import Event
from events.money import cents_format

register = template.Library()


@register.simple_tag
def event_progress(event: Event) -> dict[str, Any]:
    """{% event_progress event as progress %}: raised, matched, gifts, goal and the percent
    reached (one query at most, cached for a couple of seconds)."""
    figures = totals.event_progress(event=event)
    goal, raised = figures["goal_cents"], figures["raised_cents"]
    return {
        **figures,
        "percent": max(0, min(100, 100 * raised // goal)) if goal > 0 else 0,
        "reached": goal > 0 and raised >= goal,
    }


@register.filter
def money_floor(amount_cents: int | None, currency: str = "usd") -> str:
    """Whole units, rounded down, for big type: 1234599 -> "$12,345"."""
    if amount_cents is None:
        return ""
    cents = int(amount_cents)
    whole = cents - cents % 100 if cents >= 0 else -((-cents) - (-cents) % 100)
    return cents_format(whole, currency, whole_if_round=True)


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, key: str, number: int) -> str:
    """A link to another page of one table that keeps every other filter and page: "?…"."""
    query = context["request"].GET.copy()
    query[key] = str(number)
    return "?" + query.urlencode()


@register.simple_tag(takes_context=True)
def keep_query(context: template.Context, *names: str) -> SafeString:
    """Hidden inputs carrying the named query parameters, so that a filter form of one table
    keeps the other tables' filters and pages."""
    query = context["request"].GET
    kept = ((name, query[name]) for name in names if name in query)
    return format_html_join("", '<input type="hidden" name="{}" value="{}">', kept)


@register.filter
def qr_svg_fluid(url: str) -> SafeString:
    """An inline SVG QR code that scales to the box CSS gives it (a viewBox, no fixed size);
    segno writes only path data and our own numbers."""
    return mark_safe(segno.make(url, error="m").svg_inline(omitsize=True))  # noqa: S308
