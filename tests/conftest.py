"""Shared fixtures, and the rule that tests needing PostgreSQL or Redis never skip in CI."""

from __future__ import annotations

import os

import pytest
from django.db import connection

pytest_plugins = ["tests.support.localstripe", "tests.support.stripe_fake"]  # fixtures

REQUIRE_SERVICES = os.environ.get("PLEDGEDAY_REQUIRE_SERVICES") == "1"
TEST_CACHE_PREFIX = "pledgeday-test"
CHROMIUM = "/usr/bin/chromium"


def _skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"PLEDGEDAY_REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _services_required_by_markers(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _skip_or_fail("this test needs PostgreSQL (set DATABASE_URL=postgres://...)")
    if request.node.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        _skip_or_fail("this test needs Redis (set REDIS_URL=redis://...)")
    if request.node.get_closest_marker("browser") and not os.path.exists(CHROMIUM):
        _skip_or_fail(f"this test needs Chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a request made with the test client
    in Spanish leaves Spanish active in the thread (the locale middleware activates it and
    nothing deactivates it), and a later test's messages would be Spanish."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_sms_outbox() -> None:
    """django-sms's memory backend keeps one outbox for the process: each test starts empty."""
    import sms

    sms.outbox = []  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters and cached fragments must not leak from one test into the next."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # Only this suite's keys: REDIS_URL may point at a database that holds other things.
        client = backend._cache.get_client(write=True)
        for key in client.scan_iter(match=f"{TEST_CACHE_PREFIX}:*"):
            client.delete(key)
    else:
        backend.clear()


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    redis = "Redis" if os.environ.get("REDIS_URL") else "no Redis (REDIS_URL unset)"
    required = ", required" if REQUIRE_SERVICES else ""
    return [f"pledgeday: database {engine}, {redis}{required}"]


@pytest.fixture(autouse=True)
def _append_only_rows_cleared_before_flush(request: pytest.FixtureRequest):
    """A transactional test ends with a flush. PostgreSQL's flush is TRUNCATE, which row
    triggers never see; SQLite's is DELETE, which the payout triggers refuse (a paid payout and
    the audit trail are never deleted). So on SQLite those two tables are emptied first, with
    their triggers stepping aside for that moment only."""
    marker = request.node.get_closest_marker("django_db")
    by_marker = bool(marker and marker.kwargs.get("transaction"))  # pytest-django's own fixture,
    by_fixture = bool({"transactional_db", "live_server"} & set(request.fixturenames))
    transactional = by_marker or by_fixture  # set up before this one: it flushes after it
    if by_fixture and connection.vendor == "sqlite":
        request.getfixturevalue("transactional_db")  # set up first, so flushed after this
    yield
    if not transactional or connection.vendor != "sqlite":
        return
    from payouts import triggers

    with connection.schema_editor() as editor:
        triggers.uninstall(None, editor)
        editor.execute("DELETE FROM payouts_auditentry", params=None)
        editor.execute("DELETE FROM payouts_payout", params=None)
        triggers.install(None, editor)
