"""Uploaded pictures on another origin (a CDN, docs/images.md): the Content-Security-Policy lets
the pages show them, and the demo's media route still matches only MEDIA_URL's path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, json, re; django.setup(); from django.conf import settings; "
    "from django.urls import get_resolver; "
    "media = [str(p.pattern) for p in get_resolver().url_patterns if getattr(p, 'name', '') == "
    "'media']; "
    "print(json.dumps({'img': settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'], "
    "'media': media}))"
)


def probe(media_url: str) -> dict[str, list[str]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "MEDIA_URL": media_url,
        "SERVE_MEDIA": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_pictures_on_a_cdn_are_allowed_by_the_policy_and_the_route_uses_the_path_only() -> None:
    found = probe("https://cdn.example.org/pledgeday-media/")
    assert "https://cdn.example.org" in found["img"]
    assert found["media"]
    assert all(pattern.startswith("^pledgeday\\-media/") for pattern in found["media"])


def test_pictures_on_this_site_need_nothing_more_than_self() -> None:
    found = probe("/media/")
    assert found["img"] == ["'self'"]
