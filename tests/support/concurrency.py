"""Running the same work in several threads released at one moment (PostgreSQL race tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import close_old_connections

T = TypeVar("T")


def at_once(work: Callable[[], T], count: int, *, timeout: float = 30.0) -> list[T]:
    """Call `work` in `count` threads started together; their results (an exception in a thread
    fails the test when it is re-raised here). Each thread closes its database connection."""
    barrier = threading.Barrier(count, timeout=timeout)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    return results
