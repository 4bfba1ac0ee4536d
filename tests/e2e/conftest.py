"""The browser every browser test shares (Chromium driven by Playwright's sync API)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.db import connections

from tests.conftest import CHROMIUM
from tests.support.browsers import FLAGS


@pytest.fixture
def browser(live_server) -> Iterator[object]:
    """Closed before the live server stops, so no request thread is left holding a keep-alive
    socket (and a database connection) when the test database is dropped."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are ordinary blocking calls, which Django must be told are fine.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()
            # While Playwright's sync API runs, Django keys the test body's database connection
            # to Playwright's context, not pytest-django's: close it here, or PostgreSQL refuses
            # to drop the test database.
            connections.close_all()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
