"""The live benchmark: the production settings under gunicorn, on PostgreSQL and Redis, loaded
over loopback by wrk (bench/live.lua). One command, about 16 minutes on the 2-core machine:

    .venv/bin/python bench/live.py [--seconds 10] [--runs 3] [--large 1000000]

It creates two databases, pd_bench_1k and pd_bench_1m: the demo pledge day with 1,000 and
1,000,000 paid gifts, loaded by COPY through services.split_cents, their tallies checked by
tallies_reconcile (bench/live_data.py). It starts gunicorn (`config.wsgi`, 3 sync workers, as
the README runs it; DJANGO_SETTINGS_MODULE=config.settings.production with throwaway secrets;
wrk says X-Forwarded-Proto: https as the TLS proxy in front would) on each, with Redis db 9 as
cache and broker, and measures:

1. GET /events/<slug>/totals.json, 50 clients, with and without If-None-Match (the live pages
   revalidate; a matching ETag is a 304), on both databases;
2. the organizers' control-room fragment, signed in as an organizer, when the URL map has one
   (a page under /organize/<slug>/ named control room, panels or fragment; or --fragment);
3. 500 screens watching at once (--screens), each polling the big screen's panels, then the
   control room's, every 1.5 s (wrk's delay()): the rate they make and how fast they are served;
4. signed payment_intent.succeeded events for real pending gifts, 16 clients, on a server that
   writes allocations and tallies and on one that does not (bench/gunicorn_live.py).

Every target runs between two /healthz runs (one SELECT 1: the floor) and its rate is set
against their mean, because the machine's other load changes by the minute; 1k and 1M run one
after the other. Prints medians of the rounds (requests per second, p50 and p95 latency), the
ratios, the load average, and whether the targets are met. Stops what it started (by PID),
empties Redis db 9 and drops its databases (unless --keep). Figures compare; they are not
promises.
"""

# The bench starts its own tools (createdb, gunicorn, wrk, uptime, git) with fixed arguments.
# ruff: noqa: S603, S607

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 302 to the sign-in page is an answer, not a page to fetch


# Loopback only (never a proxy from the environment), redirects not followed.
LOCAL_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS-terminating proxy in front says
FLOOR = "/healthz (floor)"
WITH = "with allocations + tallies"
WITHOUT = "without them (ledger only)"


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


@dataclass
class Run:
    rate: float  # requests per second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    statuses: dict[str, int]
    errors: int
    repeats: int
    unexpected: int
    load: float

    @property
    def not_modified(self) -> float:
        """The share of 304 answers."""
        return self.statuses.get("304", 0) / max(1, sum(self.statuses.values()))


@dataclass
class Figure:
    """One target's runs, and its round's floor for each."""

    runs: list[Run] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)

    def median(self, name: str) -> float:
        return statistics.median(getattr(run, name) for run in self.runs)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios) if self.ratios else float("nan")


@dataclass
class Server:
    name: str
    port: int
    database: str
    extra: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    warm_paths: list[str] = field(default_factory=list)  # asked a few times after a (re)start

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.started = time.monotonic()
        self.tmp = Path(tempfile.mkdtemp(prefix="pledgeday-live-"))
        self.servers: list[Server] = []
        self.notes: list[str] = []
        self.screens_cookie = ""  # the organizer's on the 1M server
        self.created: list[str] = []
        pg = urllib.parse.urlsplit(args.postgres)
        self.pg = {
            "host": pg.hostname or "127.0.0.1",
            "port": str(pg.port or 5432),
            "user": pg.username or "postgres",
            "password": urllib.parse.unquote(pg.password or ""),
        }
        # Fresh secrets for this run only (production refuses weak or missing ones).
        self.base_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PLEDGEDAY_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1",
            "REDIS_URL": args.redis,
            "STRIPE_SECRET_KEY": "sk_test_pledgeday_bench_never_called",
            "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
            "EMAIL_URL": "dummymail://",
            "PLEDGEDAY_INSTANCE": "bench.pledgeday.test",
            "PLEDGEDAY_VAR_DIR": str(self.tmp / "var"),
            "LOG_LEVEL": "WARNING",
            "PYTHONWARNINGS": "ignore:No directory at",
        }
        for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            self.base_env.pop(proxy, None)

    # --- plumbing ------------------------------------------------------------------------------

    def left(self) -> float:
        return self.args.budget - (time.monotonic() - self.started)

    def within_budget(self, need: float, what: str) -> bool:
        """Whether `need` seconds are left; if not, the rest is skipped and the report says so."""
        if self.left() >= need:
            return True
        self.notes.append(f"{what} skipped: the time budget ({self.args.budget:.0f} s) ran out")
        say(self.notes[-1])
        return False

    def database_url(self, name: str) -> str:
        pg = self.pg
        auth = pg["user"] + (":" + urllib.parse.quote(pg["password"]) if pg["password"] else "")
        return f"postgres://{auth}@{pg['host']}:{pg['port']}/{name}"

    def env(self, database: str, **extra: str) -> dict[str, str]:
        return {**self.base_env, "DATABASE_URL": self.database_url(database), **extra}

    def postgres(self, *command: str, quiet: bool = False) -> None:
        pg = self.pg
        env = {**os.environ, **({"PGPASSWORD": pg["password"]} if pg["password"] else {})}
        subprocess.run(
            [*command, "-h", pg["host"], "-p", pg["port"], "-U", pg["user"]],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL if quiet else None,
        )

    def data(self, database: str, *step: str) -> dict:
        """One step of bench/live_data.py on a database; its JSON answer."""
        done = subprocess.run(
            [str(PYTHON), str(BENCH / "live_data.py"), *step],
            env=self.env(database),
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"live_data.py {' '.join(step)} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    # --- databases -----------------------------------------------------------------------------

    def database_drop(self, name: str) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.postgres("dropdb", "--if-exists", "--force", name, quiet=True)

    def databases_build(self) -> None:
        small, large = self.args.small_db, self.args.large_db
        for name in (small, large):
            self.database_drop(name)
        say(f"creating {small}: migrate and the demo pledge day")
        self.postgres("createdb", small)
        self.created.append(small)
        self.data(small, "setup", "--slug", "bench-1k")
        self.postgres("createdb", "-T", small, large)
        self.created.append(large)
        self.data(large, "rename", "--slug", "bench-1m")
        for name, gifts in ((small, self.args.small), (large, self.args.large)):
            say(f"loading {gifts:,} gifts into {name}")
            loaded = self.data(name, "load", "--gifts", str(gifts))
            say(
                f"  {loaded['seconds']} s (+ ANALYZE {loaded['analyze_seconds']} s), rows "
                f"{loaded['rows']}, foreign-key triggers {loaded['foreign_key_triggers']}"
            )
            checked = self.data(name, "reconcile")
            say(
                f"  tallies_reconcile: {checked['drifts']} drifts in {checked['seconds']} s; "
                f"ledger {checked['ledger_cents']} = allocations {checked['allocated_cents']}, "
                f"{checked['orphans']} orphans"
            )
            if (
                checked["drifts"]
                or checked["orphans"]
                or checked["ledger_cents"] != checked["allocated_cents"]
                or checked["gifts"] != gifts
            ):
                raise SystemExit(f"{name} does not check out: {checked}")

    # --- servers -------------------------------------------------------------------------------

    def server_start(self, name: str, database: str, port: int, **extra: str) -> Server:
        server = Server(name, port, database, extra, self.tmp / f"gunicorn-{name}.log")
        self.servers.append(server)
        self._launch(server)
        return server

    def _launch(self, server: Server) -> None:
        server.process = subprocess.Popen(
            [
                str(GUNICORN),
                "config.wsgi",
                "-c",
                str(BENCH / "gunicorn_live.py"),
                "--bind",
                f"127.0.0.1:{server.port}",
                "--workers",
                str(self.args.workers),
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=self.env(server.database, **server.extra),
            stdout=server.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one, by its PID
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise SystemExit(
                    f"gunicorn {server.name} exited:\n{server.log.read_text()[-2000:]}"
                )
            with contextlib.suppress(OSError), LOCAL_HTTP.open(server.url + "/healthz", timeout=2):
                for path in ["/healthz", *server.warm_paths]:  # every worker's connections
                    for _ in range(4 * self.args.workers):
                        request = urllib.request.Request(server.url + path, headers=HTTPS)  # noqa: S310
                        LOCAL_HTTP.open(request, timeout=10).close()
                return
            time.sleep(0.3)
        raise SystemExit(f"gunicorn {server.name} did not answer /healthz within 60 s")

    def _stop(self, server: Server) -> None:
        """Quick shutdown (SIGINT to its process group: master and workers), then SIGKILL."""
        process = server.process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        server.process = None

    def server_restart(self, server: Server) -> None:
        """A slow target leaves minutes of queued requests behind when wrk stops: drop them
        with the workers, let the database finish what they had started, start again."""
        self._stop(server)
        self.database_settle(server.database)
        self._launch(server)

    def database_settle(self, database: str, seconds: float = 60) -> None:
        pg = self.pg
        env = {**os.environ, **({"PGPASSWORD": pg["password"]} if pg["password"] else {})}
        query = (
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND pid <> pg_backend_pid()"
        )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            busy = subprocess.run(
                [
                    "psql",
                    "-h",
                    pg["host"],
                    "-p",
                    pg["port"],
                    "-U",
                    pg["user"],
                    "-d",
                    database,
                    "-Atc",
                    query,
                ],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            if busy == "0":
                return
            time.sleep(0.2)

    def servers_stop(self) -> None:
        for server in self.servers:
            self._stop(server)
        self.servers = []

    def cleanup(self) -> None:
        self.servers_stop()
        if self.created:
            with contextlib.suppress(SystemExit):
                self.data(self.created[0], "flush")  # Redis db 9: cached totals, queued tasks
        if not self.args.keep:
            for name in self.created:
                self.database_drop(name)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- load ----------------------------------------------------------------------------------

    def get(self, server: Server, path: str, cookie: str = "") -> tuple[int, dict[str, str]]:
        headers = {**HTTPS, **({"Cookie": cookie} if cookie else {})}
        request = urllib.request.Request(server.url + path, headers=headers)  # noqa: S310 (http)
        try:
            with LOCAL_HTTP.open(request, timeout=10) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)

    def drain(self, server: Server, run: Run) -> None:
        """Wait for the requests wrk left queued when it stopped (gunicorn still answers them):
        a /healthz queued behind them returns when they are done. After a slow target (p95
        over a second, or requests that timed out), restart the server instead."""
        if run.p95_ms > 1000 or run.errors or not run.statuses:
            started = time.monotonic()
            self.server_restart(server)
            say(f"  ({server.name} restarted in {time.monotonic() - started:.1f} s: slow target)")
            return
        started = time.monotonic()
        with contextlib.suppress(OSError):
            LOCAL_HTTP.open(server.url + "/healthz", timeout=120).close()
        waited = time.monotonic() - started
        if waited > 1:
            say(f"  ({waited:.1f} s for {server.name}'s queue to drain)")

    def wrk(
        self,
        server: Server,
        path: str,
        *,
        connections: int,
        seconds: float,
        etag: str = "",
        cookie: str = "",
        bodies: Path | None = None,
        expect: str = "",
        delay_ms: int = 0,
    ) -> Run:
        env = {
            **os.environ,
            "BENCH_DELAY_MS": str(delay_ms),
            "BENCH_PATH": path,
            "BENCH_ETAG": etag,
            "BENCH_COOKIE": cookie,
            "BENCH_BODIES": str(bodies) if bodies else "",
            "BENCH_EXPECT": expect,
        }
        command = [
            "wrk",
            "-t",
            str(self.args.threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds:g}s",
            "--timeout",
            f"{self.args.timeout:g}s",
            "-s",
            str(BENCH / "live.lua"),
            server.url,
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
        count, duration, p50, p95, p99, errors, statuses, repeats, odd = line.split()[1:]
        return Run(
            rate=int(count) / (int(duration) / 1e6),
            p50_ms=int(p50) / 1000,
            p95_ms=int(p95) / 1000,
            p99_ms=int(p99) / 1000,
            statuses={
                status: int(n)
                for status, n in (p.split(":") for p in statuses.split(",") if ":" in p)
            },
            errors=int(errors),
            repeats=int(repeats),
            unexpected=int(odd),
            load=load_average(),
        )


# --- the measurements ------------------------------------------------------------------------


@dataclass
class Target:
    label: str
    path: str
    etag: str = ""
    cookie: str = ""
    allowed: tuple[str, ...] = ("200",)  # what every answer must be
    strict: bool = True  # no errors or timeouts (else they are reported)


def totals_phase(
    bench: Bench, servers: dict[str, Server], cookies: dict[str, str], fragments: list[str]
) -> tuple[dict[str, dict[str, Figure]], dict[str, list[float]]]:
    """Rounds of blocks, one block a target: the target on one database and at once on the
    other (which goes first turns), the blocks' order turning each round, every block between
    two /healthz floors. A rate's ratio is to the mean of the floors around it (the machine's
    other load changes by the minute), and 1M is set against 1k within each block."""
    args = bench.args
    targets: dict[str, dict[str, Target]] = {}
    for size, server in servers.items():
        slug = f"bench-{size}"
        totals = f"/events/{slug}/totals.json"
        status, headers = bench.get(server, totals)
        if status != 200 or "ETag" not in headers:
            raise SystemExit(f"{totals} answered {status} {headers}")
        listed = [
            Target(FLOOR, "/healthz"),
            Target("totals.json", totals),
            Target("totals.json, If-None-Match", totals, etag=headers["ETag"], allowed=("304",)),
        ]
        screen = f"/events/{slug}/screen/panels/?lang=en"
        status, headers = bench.get(server, screen)
        if status != 200 or "ETag" not in headers:
            raise SystemExit(f"{screen} answered {status} {headers}")
        listed += [
            Target("big screen panels", screen),
            # Rendered again each second: a new clock or figure is a 200.
            Target(
                "big screen panels, If-None-Match",
                screen,
                etag=headers["ETag"],
                allowed=("200", "304"),
            ),
        ]
        cookie = cookies[size]
        for generic in fragments:
            path = generic.replace("<slug>", slug)
            status, headers = bench.get(server, path, cookie)
            if status != 200:
                log = server.log.read_text()[-12000:]
                raise SystemExit(f"{path} answered {status} to the organizer; gunicorn:\n{log}")
            label = f"control room {generic}"
            listed.append(Target(label, path, cookie=cookie))
            if "ETag" in headers:
                listed.append(
                    Target(
                        f"{label}, If-None-Match",
                        path,
                        etag=headers["ETag"],
                        cookie=cookie,
                        # Rendered again each second: a figure that moved, or the clock, is a 200.
                        allowed=("200", "304"),
                    )
                )
        targets[size] = {target.label: target for target in listed}
    for size, server in servers.items():
        server.warm_paths = [targets[size]["totals.json"].path]
    say("warming up (2 s per target)")
    for size, server in servers.items():
        for target in targets[size].values():
            if target.strict:
                run = bench.wrk(
                    server,
                    target.path,
                    connections=args.clients,
                    seconds=2,
                    etag=target.etag,
                    cookie=target.cookie,
                )
                bench.drain(server, run)
    labels = list(targets["1k"])
    figures = {size: {label: Figure() for label in labels} for size in servers}
    spreads: dict[str, list[float]] = {label: [] for label in labels[1:]}
    sizes = list(servers)
    floors: list[float] = []

    def floor() -> None:
        size = sizes[len(floors) % 2]  # SELECT 1 does not care which database: both take turns
        run = bench.wrk(servers[size], "/healthz", connections=args.clients, seconds=args.seconds)
        bench.drain(servers[size], run)
        if run.errors or set(run.statuses) != {"200"}:
            raise SystemExit(f"/healthz: {run}")
        figures[size][FLOOR].runs.append(run)
        figures[size][FLOOR].ratios.append(1.0)
        floors.append(run.rate)
        say(
            f"{'floor':>5} {size:>2} {FLOOR:<52} {run.rate:8.1f}/s p50 {run.p50_ms:7.1f} ms "
            f"p95 {run.p95_ms:7.1f} ms load {run.load:.2f}"
        )

    def block(label: str, order: list[str]) -> dict[str, Run]:
        runs = {}
        for size in order:
            server, target = servers[size], targets[size][label]
            seconds = args.seconds if target.strict else args.fragment_seconds
            run = bench.wrk(
                server,
                target.path,
                connections=args.clients,
                seconds=seconds,
                etag=target.etag,
                cookie=target.cookie,
            )
            bench.drain(server, run)
            wrong = {s: n for s, n in run.statuses.items() if s not in target.allowed}
            if wrong or (target.strict and (run.errors or not run.statuses)):
                raise SystemExit(f"{size} {label}: {run}")
            runs[size] = run
            say(
                f"{'':>5} {size:>2} {label:<52} {run.rate:8.1f}/s p50 {run.p50_ms:7.1f} ms "
                f"p95 {run.p95_ms:7.1f} ms"
                + (f" errors {run.errors}" if run.errors else "")
                + f" load {run.load:.2f}"
            )
        return runs

    per_block = 2 * (args.seconds + 3)
    floor()
    for number in range(args.runs):
        others = labels[1:]
        turn = number % len(others)
        say(f"round {number + 1} of {args.runs}")
        for index, label in enumerate([*others[turn:], *others[:turn]]):
            if not bench.within_budget(2 * per_block, f"GET round {number + 1} from {label}"):
                return figures, spreads
            order = sizes if (number + index) % 2 == 0 else sizes[::-1]
            runs = block(label, order)
            before = floors[-1]
            floor()  # each block between two floors: its ratio is to their mean
            for size, run in runs.items():
                figures[size][label].runs.append(run)
                figures[size][label].ratios.append(run.rate / ((before + floors[-1]) / 2))
            if runs["1k"].rate:
                spreads[label].append(runs["1m"].rate / runs["1k"].rate)
    return figures, spreads


def screens_phase(bench: Bench, server: Server, slug: str) -> dict[str, Run]:
    """Many screens watching at once: each connection asks for the panels, then waits the
    screens' polling period (wrk's delay()), as a big screen or a control room left open does,
    with the ETag it was first given. No gift arrives meanwhile, so the answers are 304s, as
    they are for real screens between gifts (a gift costs each screen one 200)."""
    args = bench.args
    targets = {
        "big screen panels": (f"/events/{slug}/screen/panels/?lang=en", ""),
        "control room panels": (f"/organize/{slug}/live/panels/", bench.screens_cookie),
    }
    runs = {}
    for label, (path, cookie) in targets.items():
        if not bench.within_budget(args.screens_seconds + 10, f"{args.screens} {label}"):
            break
        status, headers = bench.get(server, path, cookie)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        run = bench.wrk(
            server,
            path,
            connections=args.screens,
            seconds=args.screens_seconds,
            etag=headers.get("ETag", ""),
            cookie=cookie,
            delay_ms=int(args.screens_every * 1000),
        )
        bench.drain(server, run)
        runs[label] = run
        say(
            f"{args.screens} watching the {label}: {run.rate:.1f}/s p50 {run.p50_ms:.1f} ms "
            f"p95 {run.p95_ms:.1f} ms p99 {run.p99_ms:.1f} ms errors {run.errors} "
            f"{run.statuses} load {run.load:.2f}"
        )
    return runs


def exports_phase(bench: Bench, server: Server, slug: str) -> dict[str, dict[str, float]]:
    """Finance's CSV exports of the large pledge day, streamed through gunicorn: how long the
    whole file takes, its rows and size, and whether it arrived whole."""
    figures = {}
    for what in ("gifts", "allocations"):
        if not bench.within_budget(120, f"the {what} export"):
            break
        request = urllib.request.Request(  # noqa: S310 (loopback http)
            f"{server.url}/organize/{slug}/export/{what}.csv",
            headers={**HTTPS, "Cookie": bench.screens_cookie},
        )
        started = time.monotonic()
        rows = size = 0
        first_byte = 0.0
        whole = True
        try:
            with LOCAL_HTTP.open(request, timeout=300) as response:
                while chunk := response.read1(1 << 20):
                    first_byte = first_byte or time.monotonic() - started
                    size += len(chunk)
                    rows += chunk.count(b"\n")
        except http.client.IncompleteRead as cut:  # the worker was stopped mid-file
            size += len(cut.partial)
            rows += cut.partial.count(b"\n")
            whole = False
        seconds = time.monotonic() - started
        figures[what] = {
            "rows": rows - 1,
            "megabytes": size / 1e6,
            "seconds": seconds,
            "first_byte_ms": first_byte * 1000,
            "whole": whole,
        }
        say(
            f"export {what}.csv: {rows - 1:,} rows, {size / 1e6:.0f} MB in {seconds:.1f} s "
            f"(first byte after {first_byte * 1000:.0f} ms)"
            + ("" if whole else " — CUT: the connection closed before the end of the file")
        )
        if not whole:
            bench.notes.append(
                f"the {what} export was cut after {seconds:.0f} s (gunicorn's worker timeout)"
            )
            bench.server_restart(server)
    return figures


def webhook_phase(
    bench: Bench, database: str, server: Server, ledger_only: Server
) -> tuple[dict[str, Figure], list[float]]:
    """Signed payment_intent.succeeded for fresh pending gifts, on a server that writes
    allocations and tallies and on one that does not. Each round: the floor (/healthz, as many
    clients), then A, B, A (which is A turns): B is set against the mean of the A around it."""
    args = bench.args
    figures = {FLOOR: Figure(), WITH: Figure(), WITHOUT: Figure()}
    servers = {WITH: server, WITHOUT: ledger_only}
    say("warming up the webhook servers (2 s each: imports, Celery's connection to Redis)")
    for target in servers.values():
        bodies = bench.tmp / f"warm-{target.port}"
        bodies.mkdir()
        bench.data(
            database,
            "pending",
            "--count",
            "200",
            "--threads",
            str(args.threads),
            "--out",
            str(bodies),
            "--marker",
            f"warm{target.port}",
        )
        run = bench.wrk(
            target, "/stripe/webhook/", connections=args.webhook_clients, seconds=2, bodies=bodies
        )
        bench.drain(target, run)
        shutil.rmtree(bodies)
    count = 3000

    def one(label: str, floor: float) -> Run:
        nonlocal count
        target = servers[label]
        marker = f"b{len(figures[label].runs)}{'w' if label == WITH else 'o'}{secrets.token_hex(3)}"
        bodies = bench.tmp / marker
        bodies.mkdir()
        bench.data(
            database,
            "pending",
            "--count",
            str(count),
            "--threads",
            str(args.threads),
            "--out",
            str(bodies),
            "--marker",
            marker,
        )
        run = bench.wrk(
            target,
            "/stripe/webhook/",
            connections=args.webhook_clients,
            seconds=args.seconds,
            bodies=bodies,
            expect=r"^gift %d+ is succeeded$",
        )
        bench.drain(target, run)
        paid = bench.data(database, "paid", "--marker", marker)
        shutil.rmtree(bodies)
        if run.repeats or run.unexpected or run.errors or set(run.statuses) != {"200"}:
            raise SystemExit(f"webhooks {label}: {run} {paid}")
        if (paid["allocations"] > 0) != (label == WITH):
            raise SystemExit(f"webhooks {label}: {paid['allocations']} allocations written")
        figures[label].runs.append(run)
        figures[label].ratios.append(run.rate / floor)
        say(
            f"      {label:<28} {run.rate:7.1f}/s p50 {run.p50_ms:6.1f} ms p95 "
            f"{run.p95_ms:6.1f} ms ({paid['events']}) load {run.load:.2f}"
        )
        count = max(count, int(run.rate * args.seconds * 2) + 500)
        return run

    differences = []
    for number in range(args.runs):
        if not bench.within_budget(4 * (args.seconds + 8), f"webhook round {number + 1} on"):
            break
        floor = bench.wrk(
            server, "/healthz", connections=args.webhook_clients, seconds=args.seconds
        )
        bench.drain(server, floor)
        figures[FLOOR].runs.append(floor)
        figures[FLOOR].ratios.append(1.0)
        say(f"webhook round {number + 1}: {FLOOR} {floor.rate:7.1f}/s load {floor.load:.2f}")
        a, b = (WITH, WITHOUT) if number % 2 == 0 else (WITHOUT, WITH)
        first, middle, last = one(a, floor.rate), one(b, floor.rate), one(a, floor.rate)
        flanks = (first.rate + last.rate) / 2
        rates = {a: flanks, b: middle.rate}
        differences.append(rates[WITH] / rates[WITHOUT] - 1)
    return figures, differences


# --- the report ------------------------------------------------------------------------------


def _cells(figure: Figure) -> str:
    return (
        f"{figure.median('rate'):,.0f} | {figure.median('p50_ms'):.1f} | "
        f"{figure.median('p95_ms'):.1f} | {figure.ratio:.2f} | "
        f"{statistics.median(run.not_modified for run in figure.runs):.0%}"
    )


def report(
    bench,
    totals,
    spreads,
    in_process,
    webhooks,
    differences,
    loads,
    fragments,
    note,
    screens,
    exported,
) -> None:
    """Markdown tables (they go into the docs as they are)."""
    args = bench.args
    print()
    print(
        f"gunicorn config.wsgi ({args.workers} sync workers), production settings, PostgreSQL, "
        f"Redis; wrk ({args.threads} threads) over loopback. Median of {args.runs} runs of "
        f"{args.seconds:g} s (control room: {args.fragment_seconds:g} s); p50/p95 in ms; ÷ floor = "
        f"the rate over the mean /healthz rate of the runs just before and after (median of the "
        f"rounds); 304s = share of 304 answers; 1M ÷ 1k = the rates of one block (median), then "
        f"the same against the floors."
    )
    print(f"Machine: {os.cpu_count()} cores; load average (1 min) {loads}.")
    for note in bench.notes:
        print(f"NOTE: {note}.")
    print()
    print(f"GET, {args.clients} concurrent clients, {args.small:,} and {args.large:,} gifts:")
    print()
    print(
        "| target | 1k req/s | p50 | p95 | ÷ floor | 304s | 1M req/s | p50 | p95 | ÷ floor "
        "| 304s | 1M ÷ 1k | same, ÷ floor |"
    )
    print("|---|" + "---:|" * 12)
    for label, small in totals["1k"].items():
        large = totals["1m"][label]
        if not small.runs or not large.runs:
            continue
        paired = spreads.get(label) or [large.median("rate") / small.median("rate")]
        print(
            f"| {label} | {_cells(small)} | {_cells(large)} | {statistics.median(paired):.2f} "
            f"| {large.ratio / small.ratio:.2f} |"
        )
    for size, figures in totals.items():
        for label, figure in figures.items():
            errors = sum(run.errors for run in figure.runs)
            if errors:
                print(
                    f"\n{label}, {size}: {errors} requests timed out or failed (wrk's "
                    f"--timeout {args.timeout:g} s) over {len(figure.runs)} runs."
                )
    if not fragments:
        print(f"\nControl-room fragment: not measured ({note}).")
    if screens:
        print()
        print(
            f"{args.screens} screens watching at once on the {args.large:,}-gift database, each "
            f"polling every {args.screens_every:g} s with its ETag, for {args.screens_seconds:g} s "
            f"(no gift arrives meanwhile):"
        )
        print()
        print("| panels | req/s | p50 | p95 | p99 | errors | statuses |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for label, run in screens.items():
            print(
                f"| {label} | {run.rate:,.1f} | {run.p50_ms:.1f} | {run.p95_ms:.1f} | "
                f"{run.p99_ms:.1f} | {run.errors} | "
                f"{', '.join(f'{k}: {v}' for k, v in sorted(run.statuses.items()))} |"
            )
    if exported:
        print()
        print(f"CSV exports of the {args.large:,}-gift pledge day, streamed whole by one client:")
        print()
        print("| export | rows | MB | seconds | first byte (ms) | whole |")
        print("|---|---:|---:|---:|---:|---|")
        for what, f in exported.items():
            print(
                f"| {what}.csv | {f['rows']:,.0f} | {f['megabytes']:.0f} | {f['seconds']:.1f} | "
                f"{f['first_byte_ms']:.0f} | {'yes' if f['whole'] else 'NO, cut'} |"
            )
    print()
    print(
        "Totals computed without the cache (in-process event_public_figures; 5 batches of 40 "
        "calls, the quickest batch):"
    )
    for size, figures in in_process.items():
        print(
            f"- {size}: median {figures['median_ms']} ms, p95 {figures['p95_ms']} ms, "
            f"{figures['queries']} queries"
        )
    if webhooks and webhooks[WITH].runs and webhooks[WITHOUT].runs:
        print()
        print(
            f"POST /stripe/webhook/, signed payment_intent.succeeded for pending gifts, "
            f"{args.webhook_clients} concurrent clients, on the {args.large:,}-gift database:"
        )
        print()
        print("| server | events/s | p50 | p95 | ÷ floor |")
        print("|---|---:|---:|---:|---:|")
        for label, figure in webhooks.items():
            print(
                f"| {label} | {figure.median('rate'):,.1f} | {figure.median('p50_ms'):.1f} | "
                f"{figure.median('p95_ms'):.1f} | {figure.ratio:.2f} |"
            )
        with_, without = webhooks[WITH], webhooks[WITHOUT]
        difference = statistics.median(differences) if differences else float("nan")
        print(
            f"\nAllocations + tallies: {difference:+.1%} events/s (median of the rounds, each "
            f"set against the mean of the runs around it: "
            f"{', '.join(f'{d:+.1%}' for d in differences)}); medians of all runs: "
            f"{with_.median('rate') / without.median('rate') - 1:+.1%} events/s, "
            f"p50 {with_.median('p50_ms') - without.median('p50_ms'):+.1f} ms, "
            f"p95 {with_.median('p95_ms') - without.median('p95_ms'):+.1f} ms."
        )
    print()
    small, large = totals["1k"], totals["1m"]
    for label in list(small)[1:]:
        if not small[label].runs:
            continue
        for size, figures in (("1k", small), ("1M", large)):
            ratio = figures[label].ratio
            met = "met" if ratio >= 0.8 else "MISSED"
            print(f"{met}: {label}, {size}: {ratio:.2f} of the /healthz rate (target 0.80)")
        spread = statistics.median(spreads[label])
        normalized = large[label].ratio / small[label].ratio
        met = "met" if all(0.75 <= x <= 1.25 for x in (spread, normalized)) else "MISSED"
        print(
            f"{met}: {label}, 1M ÷ 1k = {spread:.2f}, {normalized:.2f} against the floors "
            f"(target within 25%)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="each run (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each target (default 3)")
    parser.add_argument("--small", type=int, default=1_000, help="gifts in the small database")
    parser.add_argument("--large", type=int, default=1_000_000, help="gifts in the large one")
    parser.add_argument("--clients", type=int, default=50, help="GET clients (default 50)")
    parser.add_argument("--webhook-clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (README: 3)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9", help="flushed at the end")
    parser.add_argument("--small-db", default="pd_bench_1k")
    parser.add_argument("--large-db", default="pd_bench_1m")
    parser.add_argument("--port", type=int, default=8611, help="first of three ports")
    parser.add_argument(
        "--fragment",
        action="append",
        default=[],
        help="a control-room path to measure, with <slug> for the pledge day's, instead of "
        "looking for one in the URL map",
    )
    parser.add_argument(
        "--fragment-seconds", type=float, default=5, help="each control-room run (default 5)"
    )
    parser.add_argument("--timeout", type=float, default=10, help="wrk's, per request (10 s)")
    parser.add_argument("--no-webhooks", action="store_true")
    parser.add_argument(
        "--screens", type=int, default=500, help="screens watching at once (default 500; 0: none)"
    )
    parser.add_argument(
        "--screens-every", type=float, default=1.5, help="their polling period (default 1.5 s)"
    )
    parser.add_argument("--screens-seconds", type=float, default=20, help="(default 20)")
    parser.add_argument(
        "--no-exports", dest="exports", action="store_false", help="skip the CSV exports"
    )
    parser.add_argument("--budget", type=float, default=960, help="seconds (default 960)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the databases an earlier --keep left (when working on the bench itself; "
        "their webhook gifts make the figures differ from a clean run's)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    bench = Bench(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    say(f"start: {uptime}")
    loads: list[float] = []
    try:
        if args.reuse:
            bench.created = [args.small_db, args.large_db]  # kept by an earlier --keep
        else:
            bench.databases_build()
        databases = {"1k": args.small_db, "1m": args.large_db}
        in_process = {
            size: bench.data(name, "figures", "--repeat", "200") for size, name in databases.items()
        }
        bench.data(args.small_db, "flush")
        servers = {
            size: bench.server_start(size, name, args.port + n)
            for n, (size, name) in enumerate(databases.items())
        }
        # The sessions live in each database: one organizer signed in on each.
        organizers = {size: bench.data(name, "organizer") for size, name in databases.items()}
        organizer = organizers["1k"]
        fragments = args.fragment or organizer["paths"]
        head = subprocess.run(
            ["git", "log", "-1", "--format=%h"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        note = f"no page under /organize/<slug>/ named control or fragment at {head}"
        say(f"organizer {organizer['user']}; control room: {fragments or note}")
        cookies = {size: signed_in["cookie"] for size, signed_in in organizers.items()}
        totals, spreads = totals_phase(bench, servers, cookies, fragments)
        loads += [
            run.load for figures in totals.values() for f in figures.values() for run in f.runs
        ]
        bench.screens_cookie = cookies["1m"]
        screens = screens_phase(bench, servers["1m"], "bench-1m") if args.screens else {}
        loads += [run.load for run in screens.values()]
        exported = exports_phase(bench, servers["1m"], "bench-1m") if args.exports else {}
        webhooks, differences = None, []
        if not args.no_webhooks:
            ledger_only = bench.server_start(
                "1m-ledger-only", args.large_db, args.port + 2, PLEDGEDAY_BENCH_LEDGER_ONLY="1"
            )
            webhooks, differences = webhook_phase(bench, args.large_db, servers["1m"], ledger_only)
            loads += [run.load for f in webhooks.values() for run in f.runs]
        uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        say(f"end: {uptime}")
        load_text = (
            f"from {min(loads):.2f} to {max(loads):.2f} during the runs "
            f"(median {statistics.median(loads):.2f}); at the end: {uptime}"
        )
        report(
            bench,
            totals,
            spreads,
            in_process,
            webhooks,
            differences,
            load_text,
            fragments,
            note,
            screens,
            exported,
        )
        print(f"\nwall time {time.monotonic() - bench.started:.0f} s")
    finally:
        bench.cleanup()


if __name__ == "__main__":
    main()
