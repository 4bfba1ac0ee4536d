"""Draws the site's mark (a teal tile, a white bucket with a heart, a gold coin dropping in) as
the favicon SVG and the PNG app icons, and writes the web manifest. Run from the repository
root after changing the mark: .venv/bin/python scripts/make_icons.py

The SVG and the PNGs come from the same shapes below, on a 64-unit grid; PNGs are drawn four
times larger and scaled down (Pillow has no anti-aliased polygons).
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"
MANIFEST = ICONS.parent / "site.webmanifest"

TEAL = "#0b5d5a"
GOLD = "#f6c445"
WHITE = "#ffffff"

# (kind, fill, geometry) on a 64 x 64 grid.
SHAPES: list[tuple[str, str, tuple[float, ...]]] = [
    ("circle", GOLD, (32, 17, 8.5)),  # the coin, half into the bucket
    ("polygon", WHITE, (13, 27, 51, 27, 45.5, 54, 18.5, 54)),  # the bucket
    ("rect", WHITE, (11, 24, 42, 6)),  # its rim
    ("circle", TEAL, (28.3, 37.8, 4.2)),  # the heart: two lobes and a point
    ("circle", TEAL, (35.7, 37.8, 4.2)),
    ("polygon", TEAL, (24.4, 39.6, 39.6, 39.6, 32, 48)),
]


def svg() -> str:
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">',
        f'<rect width="64" height="64" rx="14" fill="{TEAL}"/>',
    ]
    for kind, fill, g in SHAPES:
        if kind == "circle":
            parts.append(f'<circle cx="{g[0]}" cy="{g[1]}" r="{g[2]}" fill="{fill}"/>')
        elif kind == "rect":
            parts.append(
                f'<rect x="{g[0]}" y="{g[1]}" width="{g[2]}" height="{g[3]}" rx="{g[3] / 2}" '
                f'fill="{fill}"/>'
            )
        else:
            points = " ".join(f"{g[i]},{g[i + 1]}" for i in range(0, len(g), 2))
            parts.append(f'<polygon points="{points}" fill="{fill}"/>')
    parts.append("</svg>")
    return "".join(parts) + "\n"


def png(size: int, *, rounded: bool, inset: float = 0.0) -> Image.Image:
    """The mark at size x size; `rounded` gives the tile its corners (a maskable icon and
    Apple's touch icon are full squares: the system rounds them); `inset` shrinks the drawing
    into the middle (a maskable icon keeps it inside the central 80%)."""
    big = size * 4
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if rounded:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 14 / 64, fill=TEAL)
    else:
        draw.rectangle((0, 0, big, big), fill=TEAL)
    scale = big * (1 - 2 * inset) / 64
    offset = big * inset

    def at(x: float, y: float) -> tuple[float, float]:
        return offset + x * scale, offset + y * scale

    for kind, fill, g in SHAPES:
        if kind == "circle":
            (cx, cy), r = at(g[0], g[1]), g[2] * scale
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
        elif kind == "rect":
            x0, y0 = at(g[0], g[1])
            x1, y1 = at(g[0] + g[2], g[1] + g[3])
            draw.rounded_rectangle((x0, y0, x1, y1), radius=g[3] * scale / 2, fill=fill)
        else:
            draw.polygon([at(g[i], g[i + 1]) for i in range(0, len(g), 2)], fill=fill)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    (ICONS / "favicon.svg").write_text(svg())
    png(32, rounded=True).save(ICONS / "icon-32.png", optimize=True)
    png(180, rounded=False).convert("RGB").save(ICONS / "apple-touch-icon.png", optimize=True)
    png(192, rounded=True).save(ICONS / "icon-192.png", optimize=True)
    png(512, rounded=True).save(ICONS / "icon-512.png", optimize=True)
    png(512, rounded=False, inset=0.1).convert("RGB").save(
        ICONS / "icon-maskable-512.png", optimize=True
    )
    manifest = {
        "name": "Pledgeday",
        "short_name": "Pledgeday",
        "description": "Street-corner pledge days: volunteer on a corner, give by card or QR code.",
        "start_url": "/",
        "display": "browser",
        "background_color": "#f4f5f8",
        "theme_color": TEAL,
        "icons": [
            {"src": "icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {
                "src": "icons/icon-maskable-512.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": "icons/favicon.svg", "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
