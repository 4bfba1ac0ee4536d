"""The real services behind the platform: Redis as cache, and Celery brokers carrying tasks to a
real worker (the embedded SQLite broker of the demo everywhere; Redis when REDIS_URL is set)."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from events.models import Event
from tests.factories import published_event


def celery_app(broker_url: str) -> Celery:
    app = Celery("pledgeday-test", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_always_eager=False,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
    )
    app.loader.import_default_modules()
    app.autodiscover_tasks(["events"], force=True)
    return app


@pytest.fixture
def redis_broker() -> str:
    return os.environ["REDIS_URL"]


def wait_until(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def run_status_scan_through(broker_url: str) -> None:
    """Queue the beat task through the broker; a real worker must take it and change the DB."""
    event = published_event(
        starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
        ends_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=5),
    )
    app = celery_app(broker_url)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        app.send_task("events.tasks.events_advance_status")
        assert wait_until(lambda: Event.objects.get(pk=event.pk).status == Event.Status.LIVE)


@pytest.mark.django_db(transaction=True)
def test_a_task_travels_through_the_embedded_broker_to_a_real_worker(tmp_path: Path) -> None:
    run_status_scan_through(f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_task_travels_through_redis_to_a_real_worker(redis_broker: str) -> None:
    run_status_scan_through(redis_broker)


@pytest.mark.redis
def test_the_cache_is_redis_when_redis_url_is_set() -> None:
    assert isinstance(caches["default"], RedisCache)
    cache.set("round-trip", {"cents": 2500}, timeout=30)
    assert cache.get("round-trip") == {"cents": 2500}
    assert cache.add("counter", 0, timeout=30)
    assert cache.incr("counter", 5) == 5


@pytest.mark.redis
def test_the_redis_cache_keeps_one_client_per_pool() -> None:
    """config/cache.py: Django's client would build a redis.Redis for every operation."""
    backend = caches["default"]._cache  # type: ignore[attr-defined]
    first = backend.get_client(write=True)
    assert backend.get_client(write=True) is first
    assert backend.get_client() is first  # one server: reads and writes share its pool
    cache.set_many({"a": 1, "b": 2}, timeout=30)
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    threads_saw = []

    def read() -> None:
        threads_saw.append(cache.get("a"))

    workers = [threading.Thread(target=read) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert threads_saw == [1] * 8
