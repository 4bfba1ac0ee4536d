"""A real Celery worker killed in the middle of a payout run (issue 9), on the Redis broker and
PostgreSQL: the worker process sends the run's Stripe transfers through the official SDK to a
recording HTTP double of Stripe's transfers API (Connect cannot be tried against localstripe,
which has no Connect; nothing here ran against Stripe itself). The double makes the second
transfer and then never answers; the test kills the worker with SIGKILL at that moment, as an
out-of-memory kill or a lost machine would. A new worker, running the beat's scan, finishes the
run: every partner is paid exactly once, and the exact requests are asserted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl, urlsplit

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from donations import services
from donations.services.payments import Facts
from events import services as event_services
from events.models import Event, Organization
from payouts import services as payouts
from payouts.models import Payout, PayoutRun
from tests.factories import CardDonationFactory, EventFactory, OrganizationFactory, UserFactory
from tests.payouts.stripe_connect import Transfers

ROOT = Path(__file__).resolve().parents[2]
NOW = timezone.now()


class StripeDouble:
    """Stripe's transfers API over HTTP: records every request; holds one transfer's answer."""

    def __init__(self, hold_after: int) -> None:
        self.transfers = Transfers()
        self.requests: list[dict] = []
        self.hold_after = hold_after  # the n-th transfer made is never answered
        self.held = threading.Event()
        self.release = threading.Event()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _answer(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                params = dict(parse_qsl(url.query))
                double.requests.append({"method": "get", "path": url.path, "params": params})
                self._answer(double.transfers.listing(params.get("transfer_group", "")))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                params = dict(parse_qsl(self.rfile.read(length).decode()))
                key = self.headers.get("Idempotency-Key", "")
                double.requests.append(
                    {"method": "post", "path": self.path, "params": params, "key": key}
                )
                transfer = double.transfers.create(params, key)
                if len(double.transfers.made) == double.hold_after and not double.held.is_set():
                    double.held.set()  # Stripe made it; the worker never hears back
                    double.release.wait(30)
                    return
                self._answer(transfer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def broker_url() -> str:
    base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    return f"{base}/13"  # a database of its own: the killed worker's message stays there


def worker(stripe_url: str, log: IO[bytes]) -> subprocess.Popen:
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "REDIS_URL": broker_url(),
        "STRIPE_SECRET_KEY": "sk_test_killed_worker",
        "STRIPE_WEBHOOK_SECRET": "whsec_killed_worker",
        "STRIPE_API_BASE": stripe_url,
        "PAYOUT_CLAIM_SECONDS": "2",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
        "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_until(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_pays_no_partner_twice(tmp_path: Path) -> None:
    event = EventFactory()
    partners = [OrganizationFactory() for _ in range(3)]
    event_services.event_partners_replace(
        event=event, shares=list(zip(partners, (5000, 3000, 2000), strict=True))
    )
    event = event_services.event_publish(event=event)
    for number, partner in enumerate(partners):
        Organization.objects.filter(pk=partner.pk).update(
            stripe_account_id=f"acct_1Killed{number}",
            stripe_account_state=Organization.StripeState.READY,
        )
    for amount in (10_000, 4_000, 2_500):
        services.donation_observe(
            donation_id=CardDonationFactory(event=event, amount_cents=amount).pk,
            facts=Facts(paid=True),
            now=NOW,
        )
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED, closed_at=NOW)
    double = StripeDouble(hold_after=2)
    log_path = tmp_path / "worker.log"
    log = log_path.open("ab")
    app = Celery("killed-worker-test", broker=broker_url(), set_as_current=False)
    app.conf.update(task_serializer="json", broker_connection_retry_on_startup=True)
    first = None
    try:
        from django.test import override_settings

        with override_settings(STRIPE_SECRET_KEY="sk_test_killed_worker"):
            run = payouts.payouts_compute(event_id=event.pk, now=NOW)
        lines = list(run.payouts.order_by("organization_id"))
        assert {line.method for line in lines} == {Payout.Method.TRANSFER}
        PayoutRun.objects.filter(pk=run.pk).update(approved_at=NOW, approved_by=UserFactory())

        first = worker(double.url, log)
        app.send_task("payouts.tasks.payouts_send", args=[run.pk])
        assert double.held.wait(90), log_path.read_text()
        first.send_signal(signal.SIGKILL)  # killed between Stripe's answer and the database
        first.wait(30)
        states = dict(Payout.objects.filter(run=run).values_list("organization_id", "status"))
        assert sorted(states.values()) == ["paid", "pending", "sending"]
        double.release.set()

        second = worker(double.url, log)
        try:
            time.sleep(2.5)  # the dead worker's claim (2 s here, 2 minutes by default) expires
            app.send_task("payouts.tasks.payouts_scan")
            assert wait_until(
                lambda: (
                    set(Payout.objects.filter(run=run).values_list("status", flat=True)) == {"paid"}
                )
            ), log_path.read_text()
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
    finally:
        if first is not None and first.poll() is None:
            first.kill()
        double.close()
        log.close()
        with app.connection_for_write() as broker:
            broker.default_channel.client.flushdb()  # our own database (13) only
        app.close()

    paid = {line.organization_id: line for line in Payout.objects.filter(run=run)}
    assert len(double.transfers.made) == 3  # one per partner: none twice
    assert {t["id"] for t in double.transfers.made} == {p.stripe_transfer_id for p in paid.values()}
    posts = [r for r in double.requests if r["method"] == "post"]
    keys = [r["key"] for r in posts]
    assert sorted(key.rsplit("-", 3)[1:] for key in keys) == sorted(
        [str(event.pk), str(p.pk), "1"] for p in partners
    )
    assert len(keys) == len(set(keys)) == 3  # the killed one was found, not sent again
    gets = [r for r in double.requests if r["method"] == "get"]
    assert len(gets) == 1  # the scan looked the held transfer up before anything else
    assert gets[0]["params"]["transfer_group"].endswith(f"-event-{event.pk}")
    by_payout = {int(p["params"]["metadata[pledgeday_payout]"]): p for p in posts}
    for line in paid.values():
        assert by_payout[line.pk]["params"]["amount"] == str(line.amount_cents)
        assert by_payout[line.pk]["params"]["destination"] == line.destination
