"""The README's run command, as a newcomer runs it: it serves the demo and Ctrl-C stops everything.

This starts the real launcher (`./pledgeday run`) on free loopback ports with its own state folder:
web server, Celery worker and beat on the embedded broker, and localstripe.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BANNER = "Pledgeday is running"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        return response.status, response.read().decode()


@pytest.fixture
def launcher_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        PLEDGEDAY_VAR_DIR=str(tmp_path / "var"),
        PLEDGEDAY_PORT=str(free_port()),
        LOCALSTRIPE_PORT=str(free_port()),
    )
    return env


def stop(process: subprocess.Popen[str], lines: list[str]) -> int:
    """Ctrl-C, as a person would press it; returns the launcher's exit code."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=60)
    finally:
        time.sleep(0.2)  # let the reader thread take the last lines
        assert process.stdout is not None
        process.stdout.close()


def start(env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "pledgeday"), "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 240
    while not any(BANNER in line for line in lines):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            stop(process, lines)
            pytest.fail("the run command did not start:\n" + "".join(lines[-60:]))
        time.sleep(0.2)
    return process, lines


def test_the_run_command_serves_the_demo_and_stops_cleanly_on_ctrl_c(
    launcher_env: dict[str, str],
) -> None:
    web, stripe = int(launcher_env["PLEDGEDAY_PORT"]), int(launcher_env["LOCALSTRIPE_PORT"])
    process, lines = start(launcher_env)
    try:
        status, home = fetch(f"http://127.0.0.1:{web}/")
        assert status == 200
        assert "Pledge 2 Stop Human Trafficking" in home
        status, page = fetch(f"http://127.0.0.1:{web}/events/pledge-2-stop-human-trafficking/")
        assert status == 200
        assert "Blackstone &amp; Shaw" in page
        assert port_in_use(stripe)
        output = "".join(lines)
        assert "organizer@pledgeday.test" in output
        assert "pledgeday-demo" in output

        # A second run while the first is up explains itself instead of failing obscurely.
        second = subprocess.run(
            [sys.executable, str(ROOT / "pledgeday"), "run"],
            cwd=ROOT,
            env=launcher_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert second.returncode == 1
        assert "already in use" in second.stderr
    finally:
        assert stop(process, lines) == 0, "".join(lines[-40:])
    assert not port_in_use(web)
    assert not port_in_use(stripe)
    assert "pledgeday: stopped" in "".join(lines)


class Browser:
    """Just enough of a browser for forms: cookies, CSRF token, redirects (loopback only)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
        )

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=20) as response:
            return response.geturl(), response.read().decode()

    def post_form(self, path: str, page: str, fields: dict[str, str]) -> tuple[str, str]:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the page"
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), **fields}).encode()
        request = urllib.request.Request(  # noqa: S310 (loopback http only)
            self.base + path, data=data, headers={"Referer": self.base}
        )
        with self.opener.open(request, timeout=20) as response:
            return response.geturl(), response.read().decode()


def test_a_qr_gift_in_the_demo_arrives_credited_to_its_corner_within_seconds(
    launcher_env: dict[str, str],
) -> None:
    web = int(launcher_env["PLEDGEDAY_PORT"])
    process, lines = start(launcher_env)
    try:
        database = Path(launcher_env["PLEDGEDAY_VAR_DIR"]) / "db.sqlite3"
        with sqlite3.connect(database) as db:
            (token,) = db.execute(
                "SELECT b.token FROM events_bucket b JOIN events_event e ON e.id = b.event_id "
                "WHERE b.label = 'B-01' AND e.status = 'live'"
            ).fetchone()
        browser = Browser(f"http://127.0.0.1:{web}")
        _url, page = browser.get(f"/g/{token}")
        assert "Blackstone &amp; Shaw" in page
        pay_url, pay_page = browser.post_form(f"/g/{token}", page, {"preset": "2500"})
        assert "/give/demo-pay/" in pay_url
        paid_at = time.monotonic()
        thanks_url, thanks = browser.post_form(pay_url.split(str(web), 1)[1], pay_page, {})
        while "Thank you!" not in thanks and time.monotonic() - paid_at < 15:
            time.sleep(0.25)
            _url, thanks = browser.get(thanks_url.split(str(web), 1)[1])
        elapsed = time.monotonic() - paid_at
        assert "Thank you!" in thanks, "".join(lines[-40:])
        assert elapsed < 10
        with sqlite3.connect(database) as db:
            status, corner = db.execute(
                "SELECT d.status, c.name FROM donations_donation d "
                "JOIN events_corner c ON c.id = d.corner_id ORDER BY d.id DESC LIMIT 1"
            ).fetchone()
            volunteers = {
                row[0]
                for row in db.execute(
                    "SELECT u.email FROM donations_donation_volunteers dv "
                    "JOIN volunteers_user u ON u.id = dv.user_id "
                    "WHERE dv.donation_id = (SELECT max(id) FROM donations_donation)"
                )
            }
        assert (status, corner) == ("succeeded", "Blackstone & Shaw")
        assert volunteers == {"maria.lopez@pledgeday.test", "jose.hernandez@pledgeday.test"}
    finally:
        assert stop(process, lines) == 0


def test_the_demo_shows_a_day_under_way_whose_totals_move_with_simulated_gifts(
    launcher_env: dict[str, str],
) -> None:
    web = int(launcher_env["PLEDGEDAY_PORT"])
    process, lines = start(launcher_env)
    try:
        output = "".join(lines)
        live = re.search(r"Live today: +http://127\.0\.0\.1:\d+(/events/live-demo-[\w-]+/)", output)
        assert live, output
        assert "./pledgeday simulate" in output
        status, page = fetch(f"http://127.0.0.1:{web}{live.group(1)}")
        assert status == 200
        assert "Blackstone &amp; Shaw" in page

        def figures() -> dict:
            return json.loads(fetch(f"http://127.0.0.1:{web}{live.group(1)}totals.json")[1])

        before = figures()
        assert before["status"] == "live"
        assert before["gifts"] > 0
        assert before["matches"][0]["active"]

        simulated = subprocess.run(
            [sys.executable, str(ROOT / "pledgeday"), "simulate", "--count", "3"],
            cwd=ROOT,
            env=launcher_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert simulated.returncode == 0, simulated.stderr
        assert "3 recorded by the site as succeeded" in simulated.stdout
        deadline = time.monotonic() + 5  # the figures are cached for 2 seconds
        while figures()["gifts"] < before["gifts"] + 3 and time.monotonic() < deadline:
            time.sleep(0.25)
        after = figures()
        assert after["gifts"] == before["gifts"] + 3
        assert after["raised_cents"] > before["raised_cents"]
    finally:
        assert stop(process, lines) == 0


def test_the_run_command_can_run_again_on_the_same_data(launcher_env: dict[str, str]) -> None:
    for _ in range(2):
        process, lines = start(launcher_env)
        assert stop(process, lines) == 0
