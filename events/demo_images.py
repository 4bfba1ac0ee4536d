"""The demo's pictures, drawn with Pillow when the demo is seeded: a logo and a cover for each
pledge day that is live or upcoming, and a logo for each partner organization. They go through
events.images like an upload in the admin (resized, stored, named with their size)."""

from __future__ import annotations

import io
import zlib

from PIL import Image, ImageDraw, ImageFont

from events import images
from events.models import Event, Organization

# Calm, high-contrast colors beside the site's teal (#0b5d5a).
PALETTE = ["#0b5d5a", "#8a3b12", "#234f8c", "#6b3d8a", "#2f6b2a", "#9a2f4f"]
GOLD = (246, 196, 69)
INK = (16, 43, 50)


SMALL_WORDS = {"of", "the", "for", "and", "a", "de", "la", "el", "y"}


def _initials(name: str, letters: int) -> str:
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    words = [w for w in words if w.lower() not in SMALL_WORDS]
    return "".join(w[0].upper() for w in words[:letters]) or "P"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _png(image: Image.Image) -> io.BytesIO:
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return out


def _centered_text(
    draw: ImageDraw.ImageDraw, box: tuple[int, int], text: str, size: int, fill: tuple[int, ...]
) -> None:
    font = _font(size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = (box[0] - (right - left)) / 2 - left
    y = (box[1] - (bottom - top)) / 2 - top
    draw.text((x, y), text, font=font, fill=fill)


def event_logo_draw(title: str) -> io.BytesIO:
    """A round gold seal with the pledge day's initials (512 px; resized on storing)."""
    size = 512
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), fill=GOLD)
    draw.ellipse((40, 40, size - 40, size - 40), outline=INK, width=10)
    _centered_text(draw, (size, size), _initials(title, 3), 170, INK)
    return _png(image)


def organization_logo_draw(name: str, color: str) -> io.BytesIO:
    """A rounded tile in the organization's color with its initials."""
    size = 512
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=110, fill=color)
    _centered_text(draw, (size, size), _initials(name, 2), 220, (255, 255, 255))
    return _png(image)


def event_cover_draw(seed: str) -> io.BytesIO:
    """A street at dawn: a warm sky, a low sun, a skyline and a corner's curb (1600 x 840)."""
    width, height = 1600, 840
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    top, bottom = (11, 93, 90), (250, 205, 130)
    for y in range(height):
        t = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    draw.ellipse((1040, 250, 1340, 550), fill=(255, 226, 150))
    # A skyline whose buildings vary with the seed (the same pledge day draws the same city).
    rng = zlib.crc32(seed.encode())

    def next_random() -> int:
        nonlocal rng
        rng = (rng * 1103515245 + 12345) & 0x7FFFFFFF
        return rng >> 8

    x = -20
    while x < width:
        w = 80 + next_random() % 120
        h = 120 + next_random() % 230
        base = height - 150
        draw.rectangle((x, base - h, x + w, base), fill=(20, 58, 64))
        for wy in range(base - h + 22, base - 30, 40):
            for wx in range(x + 16, x + w - 26, 30):
                if next_random() % 3 == 0:
                    draw.rectangle((wx, wy, wx + 12, wy + 18), fill=(250, 210, 120))
        x += w + 4 + next_random() % 60
    draw.rectangle((0, height - 150, width, height), fill=(52, 60, 70))
    draw.rectangle((0, height - 150, width, height - 132), fill=(200, 200, 196))
    for stripe in range(80, width, 220):
        draw.rectangle((stripe, height - 70, stripe + 110, height - 58), fill=(236, 236, 230))
    return _png(image)


def demo_pictures_add() -> None:
    """Pictures for the live and upcoming pledge days and their partners that have none yet
    (running the seed again changes nothing)."""
    events = Event.objects.filter(status__in=[Event.Status.PUBLISHED, Event.Status.LIVE])
    for event in events:
        if not event.logo or not event.cover:
            images.event_images_set(
                event=event,
                logo=None if event.logo else event_logo_draw(event.title),
                cover=None if event.cover else event_cover_draw(event.slug),
            )
    partners = Organization.objects.filter(partnerships__event__in=events).distinct()
    for organization in partners.order_by("pk"):
        if not organization.logo:
            color = PALETTE[organization.pk % len(PALETTE)]
            images.organization_logo_set(
                organization=organization, logo=organization_logo_draw(organization.name, color)
            )
