"""Debian's Chromium for the browser tests: its flags, the screens the pages are tried on, and
a phone tab. The `browser` fixture itself is in tests/e2e/conftest.py."""

from __future__ import annotations

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def phone(browser, language: str = "en-US"):
    """A new tab on a 390 x 844 phone whose browser asks for `language`."""
    context = browser.new_context(viewport=PHONE, locale=language)
    return context.new_page()
