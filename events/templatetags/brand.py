"""The site's marks in templates: logos and covers as sized <img> tags (events.images), and the
Open Graph tags that make a shared link show its pledge day. `{% load brand %}`."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models.fields.files import ImageFieldFile
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from events import images
from events.models import Event
from events.text import local_text

register = template.Library()

# The cover spans the page's column (46rem, 736 px) and the whole width of a phone.
COVER_SIZES = "(min-width: 46rem) 46rem, 100vw"


@register.simple_tag
def logo_img(image: ImageFieldFile | None, box: int = 48, css_class: str = "logo") -> SafeString:
    """A logo fitted into a box x box square (CSS pixels), lazily loaded; nothing without one.
    Decorative (alt=""): it always stands beside the name it belongs to."""
    found = images.picture(image)
    if found is None:
        return SafeString("")
    width, height = images.fit(found.width, found.height, box)
    return format_html(
        '<img class="{}" src="{}" width="{}" height="{}" alt="" loading="lazy" decoding="async">',
        css_class,
        found.url,
        width,
        height,
    )


@register.simple_tag
def cover_img(image: ImageFieldFile | None, css_class: str = "cover") -> SafeString:
    """An event's cover across the column, the phone copy in srcset. Not lazy: it heads its
    page, and a lazily loaded first picture shows late."""
    found = images.picture(image)
    if found is None:
        return SafeString("")
    return format_html(
        '<img class="{}" src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="" '
        'decoding="async">',
        css_class,
        found.url,
        found.srcset,
        COVER_SIZES,
        found.width,
        found.height,
    )


def _absolute(request: HttpRequest | None, url: str) -> str:
    if url.startswith(("http://", "https://")) or request is None:
        return url
    return request.build_absolute_uri(url)


def open_graph_of(request: HttpRequest | None, event: Event | None) -> dict[str, Any]:
    """The Open Graph and Twitter card values of a page about `event`, or of the site."""
    if isinstance(event, Event) and event.slug:
        cover = images.picture(event.cover)
        logo = images.picture(event.logo)
        story = local_text(event, "story")
        if cover:
            image, width, height = cover.url, cover.width, cover.height
        elif logo:
            image, width, height = logo.url, logo.width, logo.height
        else:
            image, width, height = static("icons/icon-512.png"), 512, 512
        return {
            "title": local_text(event, "title"),
            "description": Truncator(" ".join(story.split())).chars(200)
            or _("Street-corner pledge days: volunteer on a corner, give by card or QR code."),
            "url": _absolute(request, reverse("events:detail", args=[event.slug])),
            "image": _absolute(request, image),
            "image_width": width,
            "image_height": height,
            "card": "summary_large_image" if cover else "summary",
            "type": "website",
        }
    return {
        "title": "Pledgeday",
        "description": _(
            "Street-corner pledge days: volunteer on a corner, give by card or QR code."
        ),
        "url": _absolute(request, request.path if request else "/"),
        "image": _absolute(request, static("icons/icon-512.png")),
        "image_width": 512,
        "image_height": 512,
        "card": "summary",
        "type": "website",
    }


@register.inclusion_tag("events/_open_graph.html", takes_context=True)
def open_graph(context: template.Context, event: Event | None = None) -> dict[str, Any]:
    """Open Graph tags for the page: about `event`, by default the page's own `event` (the
    event, give and thank-you pages all have one), else about the site."""
    request = context.get("request")
    return {"og": open_graph_of(request, event or context.get("event"))}
