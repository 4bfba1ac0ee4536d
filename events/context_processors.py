"""Template context every page gets: the national hotline, shown in every footer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def hotline(request: HttpRequest) -> dict[str, Any]:
    return {
        "national_hotline": {
            "name": settings.NATIONAL_HOTLINE_NAME,
            "phone": settings.NATIONAL_HOTLINE_PHONE,
            "text": settings.NATIONAL_HOTLINE_TEXT,
        }
    }
