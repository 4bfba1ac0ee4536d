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
