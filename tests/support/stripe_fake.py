"""A stand-in for Stripe's API behind the official SDK, for the tests: it records every request
(method, path, form parameters, headers) and answers from routes the test sets, with Stripe's
published example objects (tests/donations/stripe_shapes.py). A request no route answers gets
Stripe's error shape (400), so a test that expects no call to Stripe sees it fail loudly.

It is a double of the external system only: the SDK, our stripe_api module and everything above
run for real. Nothing here pretends to be tested against Stripe itself.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
import stripe
from django.test import override_settings

from donations import stripe_api

Answer = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


class FakeStripe(stripe.HTTPClient):
    name = "fake-stripe"

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[tuple[str, str], Answer] = {}
        self.requests: list[dict[str, Any]] = []
        self.delay_seconds = 0.0  # to hold a call open while another thread races it
        self._lock = threading.Lock()

    def answer(self, method: str, path: str, reply: Answer) -> None:
        """Answer METHOD PATH (no query string) with a Stripe object, or a function of the
        recorded request that returns one."""
        self.routes[(method.lower(), path)] = reply

    def calls(self, method: str, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if (r["method"], r["path"]) == (method.lower(), path)]

    def request(self, method, url, headers, post_data=None, *, _usage=None):  # type: ignore[override]
        address, _sep, query = url.partition("?")
        path = address.split("api.stripe.com", 1)[-1]
        recorded = {
            "method": method.lower(),
            "path": path,
            "headers": dict(headers or {}),
            "params": dict(parse_qsl(post_data or query, keep_blank_values=True)),
        }
        with self._lock:
            self.requests.append(recorded)
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        reply = self.routes.get((recorded["method"], path))
        if reply is None:
            error = {"error": {"type": "invalid_request_error", "message": f"no route {path}"}}
            return json.dumps(error), 400, {}
        body = reply(recorded) if callable(reply) else reply
        # An answer shaped like Stripe's errors ({"error": {...}}) is sent as Stripe sends them.
        return json.dumps(body), 400 if set(body) == {"error"} else 200, {}


@pytest.fixture
def fake_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    """The gateway with Stripe keys set (test mode), talking to the stand-in."""
    transport = FakeStripe()
    monkeypatch.setattr(stripe_api, "http_client", transport)
    with override_settings(
        STRIPE_SECRET_KEY="sk_test_fake", STRIPE_WEBHOOK_SECRET=stripe_api.LOCAL_WEBHOOK_SECRET
    ):
        yield transport
