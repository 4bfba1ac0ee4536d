"""A fixture that runs localstripe (the Stripe stand-in) on a free loopback port for one test."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from donations.stripe_api import LOCAL_WEBHOOK_SECRET

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def localstripe() -> Iterator[str]:
    """localstripe's URL; the settings point the local gateway at it for the test."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "localstripe_loopback.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    try:
        url = f"http://127.0.0.1:{port}"
        with override_settings(LOCALSTRIPE_URL=url, STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET=""):
            yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def register_webhook(localstripe_url: str, target: str) -> None:
    """Ask localstripe to sign and send its events to target."""
    data = urllib.parse.urlencode({"url": target, "secret": LOCAL_WEBHOOK_SECRET}).encode()
    url = f"{localstripe_url}/_config/webhooks/test"
    request = urllib.request.Request(url, data=data)  # noqa: S310 (loopback http only)
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 (loopback http only)


def wait_for(condition, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False
