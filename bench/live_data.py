"""The Django side of bench/live.py: builds a bench database's pledge day, loads gifts fast
(COPY) through the allocation function with tallies that match the ledger, checks them with
tallies_reconcile, writes signed Stripe events for pending gifts, and signs an organizer in.

Run by bench/live.py with the production settings and the bench's environment, one step a call:

    live_data.py setup --slug S        migrate, the demo pledge day (renamed S, live)
    live_data.py load --gifts N        N paid gifts (COPY), their ledger, allocations and tallies
    live_data.py reconcile             tallies_reconcile(repair=False): fails on any drift
    live_data.py figures               the totals' computation in-process (cache bypassed)
    live_data.py pending --count N --threads T --out DIR
                                       N pending card gifts and one signed
                                       payment_intent.succeeded per gift, for wrk's threads
    live_data.py paid --marker M       how the gifts of a `pending` batch ended (JSON)
    live_data.py flush                 empty the bench's Redis database
    live_data.py organizer             an organizer's session cookie and the control-room
                                       fragment's path, if the URL map has one (JSON)

Prints one JSON object on its last line for the caller.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import queue
import random
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHUNK = 50_000  # gifts per COPY batch


def _django() -> None:
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic here
    django.setup()


def _say(result: dict) -> None:
    print(json.dumps(result), flush=True)


def _event():
    from events.models import Event

    return Event.objects.get()  # a bench database holds one pledge day


# --- setup -------------------------------------------------------------------------------------


def step_setup(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    from events.models import Event

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--force", stdout=io.StringIO())
    if args.partners:
        _partners(Event.objects.get(), args.partners)
    Event.objects.update(slug=args.slug, status=Event.Status.LIVE)
    _say({"slug": args.slug})


def _partners(event, count: int) -> None:
    """The demo's partners and more, `count` in all, with shares as even as basis points allow
    (through the service, while the day is published and has no gift)."""
    from events import services
    from events.models import Organization

    organizations = [partner.organization for partner in event.partners.order_by("pk")]
    for n in range(len(organizations), count):
        organizations.append(
            Organization.objects.create(
                name=f"Bench partner {n + 1}",
                slug=f"bench-partner-{n + 1}",
                legal_name=f"Bench Partner {n + 1} Inc.",
                tax_id=f"00-00000{n:02d}",
            )
        )
    organizations = organizations[:count]
    shares = [10_000 // count + (1 if n < 10_000 % count else 0) for n in range(count)]
    services.event_partners_replace(
        event=event, shares=list(zip(organizations, shares, strict=True))
    )


def step_rename(args: argparse.Namespace) -> None:
    from events.models import Event

    Event.objects.update(slug=args.slug)
    _say({"slug": args.slug})


# --- load --------------------------------------------------------------------------------------


class Attributions:
    """Where the bench's gifts come from: the pledge day's shifts (and corners), buckets and
    pairs of its volunteers; one gift in seven through no bucket at all."""

    def __init__(self, event, rng: random.Random) -> None:
        from events.models import Bucket, Shift
        from volunteers.models import User

        self.rng = rng
        self.shifts = list(Shift.objects.filter(corner__event=event).values_list("pk", "corner_id"))
        self.buckets = list(Bucket.objects.filter(event=event).values_list("pk", flat=True))
        volunteers = sorted(
            User.objects.filter(signups__shift__corner__event=event)
            .distinct()
            .values_list("pk", flat=True)
        )
        self.pairs = [
            f"{a}-{b}" for i, a in enumerate(volunteers) for b in volunteers[i + 1 :]
        ] or [""]
        if not self.shifts or not self.buckets:
            raise SystemExit("the pledge day has no shifts or buckets to credit gifts to")

    def pick(self) -> tuple[int | None, int | None, int | None, str]:
        """(corner, shift, bucket, credit key)."""
        rng = self.rng
        if rng.random() < 1 / 7:
            return None, None, None, ""
        shift, corner = rng.choice(self.shifts)
        return corner, shift, rng.choice(self.buckets), rng.choice(self.pairs)


class Table:
    """A model's table for COPY in text format: the columns the bench sets, in the order given,
    then every other column with the model's default, rendered once (so a field added later
    still loads). Values are written with str(), None as NULL; the bench writes no tabs,
    newlines or backslashes."""

    def __init__(self, model, *names: str) -> None:
        self.name = model._meta.db_table
        fields = {field.attname: field for field in model._meta.concrete_fields}
        rest = []
        for attname, field in fields.items():
            if attname in names:
                continue
            default = field.get_default()  # "" for text fields without a default
            if default is None and not field.null:
                raise SystemExit(f"{self.name}.{field.column} has no value and no default")
            rest.append((field.column, r"\N" if default is None else str(default)))
        self.columns = [fields[name].column for name in names] + [column for column, _v in rest]
        self.tail = "".join(f"\t{value}" for _column, value in rest) + "\n"
        self.lines: list[str] = []

    def add(self, *values: object) -> None:
        self.lines.append(
            "\t".join([r"\N" if value is None else str(value) for value in values]) + self.tail
        )

    def take(self) -> tuple[str, str, int]:
        """The COPY statement and data of the rows added since the last take."""
        lines, self.lines = self.lines, []
        sql = f"COPY {self.name} ({', '.join(self.columns)}) FROM STDIN"
        return sql, "".join(lines), len(lines)


class Copier(threading.Thread):
    """Runs the COPY statements on one connection while the main thread makes the next rows."""

    def __init__(self, cursor) -> None:
        super().__init__(daemon=True)
        self.cursor = cursor
        self.work: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=4)
        self.failure: BaseException | None = None

    def run(self) -> None:
        while (item := self.work.get()) is not None:
            if self.failure is None:
                try:
                    with self.cursor.copy(item[0]) as copy:
                        copy.write(item[1])
                except BaseException as error:  # re-raised by finish()
                    self.failure = error

    def send(self, table: Table) -> int:
        sql, data, count = table.take()
        if count:
            self.work.put((sql, data))
        return count

    def finish(self) -> None:
        self.work.put(None)
        self.join()
        if self.failure is not None:
            raise self.failure


def _next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 (our tables)
    return cursor.fetchone()[0]


def _sequences_follow(cursor, tables: list[str]) -> None:
    for table in tables:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608 (our tables)
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))",
            [table],
        )


def step_load(args: argparse.Namespace) -> None:
    """Paid gifts, written the way the money path would leave them: each gift's ledger entry
    (its net, from the same fee arithmetic), a partial refund on one card gift in a hundred,
    allocations from services.split_cents with the gift's weights (shares, one designated
    partner, or two or three chosen partners in equal parts), and tallies from the same
    functions the ledger's own writes use (entry_deltas, allocation_deltas, attribution_keys).

    Loaded like a restore: COPY, with foreign-key triggers off for the transaction when the
    role may (superuser); `reconcile` then checks the tallies against what was written."""
    from django.db import DatabaseError, connection, transaction
    from django.utils import timezone

    from donations import services
    from donations.models import Allocation, Donation, LedgerEntry, Refund
    from donations.services.tallies import (
        GiftFacts,
        allocation_deltas,
        attribution_keys,
        entry_deltas,
        tallies_add,
        tally_slot,
    )
    from events.models import EventPartner
    from events.money import fee_cover_cents, fee_estimate_cents

    started = time.perf_counter()
    rng = random.Random(args.seed)
    event = _event()
    shares = tuple(
        EventPartner.objects.filter(event=event)
        .order_by("organization_id")
        .values_list("organization_id", "share_bp")
    )
    partners = [organization for organization, _share in shares]
    places = Attributions(event, rng)
    amounts = [500, 1000, 1000, 2000, 2500, 2500, 5000, 5000, 10000, 25000]
    fee_bp, fee_fixed = event.card_fee_bp, event.card_fee_fixed_cents
    K, S, M = LedgerEntry.Kind, Donation.Status, Donation.Method
    now = timezone.now()
    begin = now - dt.timedelta(hours=12)
    step = dt.timedelta(hours=11) / max(args.gifts, 1)

    donations = Table(
        Donation, "id", "event_id", "method", "status", "amount_cents", "fee_cents", "currency",
        "fee_bp", "fee_fixed_cents", "processor_fee_cents", "processor_fee_estimated",
        "designated_to_id", "corner_id", "shift_id", "bucket_id", "credit_key", "check_number",
        "stripe_payment_intent_id", "stripe_charge_id", "refunded_cents", "public_token",
        "created_at", "succeeded_at",
    )  # fmt: skip
    entries = Table(LedgerEntry, "id", "donation_id", "kind", "key", "amount_cents", "created_at")
    allocations = Table(
        Allocation, "id", "entry_id", "donation_id", "event_id", "organization_id", "kind",
        "designated", "amount_cents", "created_at",
    )  # fmt: skip
    refunds = Table(
        Refund, "id", "donation_id", "stripe_refund_id", "amount_cents", "status", "created_at",
        "updated_at",
    )  # fmt: skip
    chosen = Table(Donation.split_among.through, "id", "donation_id", "organization_id")
    tables = (donations, chosen, entries, allocations, refunds)
    tallies: dict[int, dict[tuple[str, str], Counter[str]]] = defaultdict(
        lambda: defaultdict(Counter)
    )
    written: Counter[str] = Counter()
    triggers = "on"
    with transaction.atomic(), connection.cursor() as wrapper:
        try:
            with transaction.atomic():
                wrapper.execute("SET LOCAL session_replication_role = replica")
            triggers = "off (session_replication_role = replica)"
        except DatabaseError:
            pass  # not a superuser: the foreign keys are checked row by row (slower)
        cursor = wrapper.cursor  # psycopg's own cursor, for COPY
        ids = {}
        for table in tables:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}")  # noqa: S608
            ids[table.name] = cursor.fetchone()[0]
        donation_id, entry_id = ids[donations.name], ids[entries.name]
        allocation_id, refund_id = ids[allocations.name], ids[refunds.name]
        chosen_id = ids[chosen.name]
        copier = Copier(cursor)
        copier.start()
        for n in range(args.gifts):
            pk = donation_id
            donation_id += 1
            at = str(begin + step * n)
            roll = rng.random()
            method = M.CARD if roll < 0.8 else M.CASH if roll < 0.95 else M.CHECK
            amount = rng.choice(amounts) if rng.random() < 0.9 else rng.randrange(500, 50000)
            corner, shift, bucket, pair = places.pick()
            card = method == M.CARD
            fee = fee_cover_cents(amount, fee_bp=fee_bp, fixed_cents=fee_fixed) if (
                card and rng.random() < 0.4
            ) else 0  # fmt: skip
            total = amount + fee
            processor_fee = (
                fee_estimate_cents(total, fee_bp=fee_bp, fixed_cents=fee_fixed) if card else None
            )
            net = total - (processor_fee or 0)
            refunded = total // 2 if card and rng.random() < 0.01 else 0
            designation = rng.random()
            designated_to = rng.choice(partners) if designation < 0.10 else None
            among = (
                sorted(rng.sample(partners, rng.choice((2, 3))))
                if 0.10 <= designation < 0.15 and len(partners) >= 3
                else []
            )
            if designated_to:
                weights: tuple[tuple[int, int], ...] = ((designated_to, 1),)
            elif among:
                weights = tuple((organization, 1) for organization in among)
            else:
                weights = shares
            designated = bool(designated_to or among)
            donations.add(
                pk, event.pk, method, S.PARTIALLY_REFUNDED if refunded else S.SUCCEEDED, amount,
                fee, event.currency, fee_bp if card else 0, fee_fixed if card else 0,
                processor_fee, True, designated_to, corner, shift, bucket, pair,
                f"B{pk}" if method == M.CHECK else "", f"pi_bench_{pk}" if card else None,
                f"ch_bench_{pk}" if card else "", refunded, f"bench{pk}", at, at,
            )  # fmt: skip
            for organization in among:
                chosen.add(chosen_id, pk, organization)
                chosen_id += 1
            ledger = [(K.GIFT, "gift", net)]
            if refunded:
                ledger.append((K.REFUND, "refund-2", -refunded))
                refunds.add(refund_id, pk, f"re_bench_{pk}", refunded, "succeeded", at, at)
                refund_id += 1
            gift = GiftFacts(pk, method, total, designated, corner, shift, bucket, pair)
            slot = tallies[tally_slot(pk)]
            keys = attribution_keys(gift)
            for kind, key, cents in ledger:
                entries.add(entry_id, pk, kind, key, cents, at)
                change = entry_deltas(kind, cents, gift)
                for tally_key in keys:
                    slot[tally_key].update(change)
                for organization, part in services.split_cents(cents, weights):
                    if not part:
                        continue
                    allocations.add(
                        allocation_id, entry_id, pk, event.pk, organization, kind, designated,
                        part, at,
                    )  # fmt: skip
                    allocation_id += 1
                    slot[("org", str(organization))].update(
                        allocation_deltas(kind, part, designated=designated)
                    )
                entry_id += 1
            if len(donations.lines) >= CHUNK:
                for table in tables:
                    written[table.name] += copier.send(table)
        for table in tables:
            written[table.name] += copier.send(table)
        copier.finish()
        for slot_number, deltas in sorted(tallies.items()):
            tallies_add(event_id=event.pk, slot=slot_number, deltas=deltas)
        for table in tables:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608 (our tables)
                f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))",
                [table.name],
            )
    loaded = time.perf_counter()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table.name}")
    _say(
        {
            "gifts": args.gifts,
            "rows": dict(written),
            "foreign_key_triggers": triggers,
            "seconds": round(loaded - started, 1),
            "analyze_seconds": round(time.perf_counter() - loaded, 1),
        }
    )


def step_reconcile(args: argparse.Namespace) -> None:
    """tallies_reconcile (no repair) must find no drift; the allocations must add up to the
    ledger and point at entries that exist (the load ran without foreign-key triggers)."""
    from django.db import connection
    from django.db.models import Sum

    from donations import services
    from donations.models import Allocation, Donation, LedgerEntry

    started = time.perf_counter()
    event = _event()
    drifts = services.tallies_reconcile(event=event, repair=False)
    reconciled = time.perf_counter()
    ledger = LedgerEntry.objects.filter(donation__event=event).aggregate(s=Sum("amount_cents"))
    allocated = Allocation.objects.filter(event=event).aggregate(s=Sum("amount_cents"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM donations_allocation a WHERE NOT EXISTS "
            "(SELECT 1 FROM donations_ledgerentry e WHERE e.id = a.entry_id "
            "AND e.donation_id = a.donation_id)), "
            "(SELECT COUNT(*) FROM donations_ledgerentry e WHERE NOT EXISTS "
            "(SELECT 1 FROM donations_donation d WHERE d.id = e.donation_id))"
        )
        orphans = sum(cursor.fetchone())
    _say(
        {
            "gifts": Donation.objects.filter(event=event).count(),
            "drifts": len(drifts),
            "first": str(drifts[0]) if drifts else None,
            "ledger_cents": ledger["s"],
            "allocated_cents": allocated["s"],
            "orphans": orphans,
            "seconds": round(reconciled - started, 1),
        }
    )


def step_figures(args: argparse.Namespace) -> None:
    """The totals' computation itself (what a cache miss costs), timed in-process: batches of
    calls, the quickest batch's median (other work on the machine comes in bursts)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from donations.totals import event_public_figures

    event = _event()
    batches = []
    for _ in range(5):
        samples = []
        for _ in range(args.repeat // 5):
            start = time.perf_counter()
            event_public_figures(event=event, now=timezone.now())
            samples.append((time.perf_counter() - start) * 1000)
        samples.sort()
        batches.append((statistics.median(samples), samples[int(len(samples) * 0.95) - 1]))
    with CaptureQueriesContext(connection) as queries:
        event_public_figures(event=event, now=timezone.now())
    median, p95 = min(batches)
    _say({"median_ms": round(median, 2), "p95_ms": round(p95, 2), "queries": len(queries)})


# --- webhooks ----------------------------------------------------------------------------------


def step_close(args: argparse.Namespace) -> None:
    """Close the pledge day and compute its payouts (payouts.services.payouts_compute, what the
    Celery task runs): the first run once, then closing again (nothing changed) and the
    arithmetic alone (owed_compute), each `repeat` times; checks the payouts add up."""
    from django.db.models import Sum
    from django.utils import timezone

    from donations.models import Allocation, Donation
    from events.models import Event
    from payouts import services
    from payouts.models import Payout
    from payouts.owed import owed_compute

    event = _event()
    Event.objects.filter(pk=event.pk).update(
        status=Event.Status.CLOSED, closed_at=timezone.now()
    )  # the beat's own UPDATE (events_advance_status)
    started = time.perf_counter()
    run = services.payouts_compute(event_id=event.pk, now=timezone.now())
    first = time.perf_counter() - started
    again, arithmetic = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        unchanged = services.payouts_compute(event_id=event.pk, now=timezone.now())
        again.append(time.perf_counter() - started)
        if unchanged is not None:
            raise SystemExit("closing again wrote a run: it must change nothing")
        started = time.perf_counter()
        owed_compute(event)
        arithmetic.append(time.perf_counter() - started)
    # A partner's statement as CSV (its share of every gift), for the partner with most rows.
    from django.db.models import Count

    from events.models import Organization
    from payouts.exports import statement_rows

    biggest = (
        Allocation.objects.filter(event=event)
        .values("organization_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    partner = Organization.objects.get(pk=biggest["organization_id"])
    started = time.perf_counter()
    written = sum(len(block) for block in statement_rows(event, partner))
    statement_s = time.perf_counter() - started
    ledger = Allocation.objects.filter(event=event).aggregate(s=Sum("amount_cents"))["s"] or 0
    paid = Payout.objects.filter(run=run).aggregate(s=Sum("amount_cents"))["s"] or 0
    _say({
        "gifts": Donation.objects.filter(event=event, succeeded_at__isnull=False).count(),
        "partners": run.payouts.count(),
        "first_run_s": round(first, 3),
        "again_median_s": round(statistics.median(again), 3),
        "arithmetic_median_s": round(statistics.median(arithmetic), 3),
        "statement_rows": biggest["n"],
        "statement_mb": round(written / 1e6, 1),
        "statement_s": round(statement_s, 2),
        "net_raised_cents": run.net_raised_cents,
        "ledger_cents": ledger,
        "payouts_cents": paid,
        "adds_up": paid == run.net_raised_cents == ledger + run.matched_cents,
    })  # fmt: skip


def step_pending(args: argparse.Namespace) -> None:
    """Pending card gifts as donation_start leaves them (its Stripe call aside), and for each
    one a payment_intent.succeeded event as Stripe sends it, signed with the server's secret;
    thread t of wrk gets lines t, t+T, … of bodies-<t>.txt ("signature<TAB>body")."""
    from django.conf import settings
    from django.utils import timezone

    from donations.models import Donation
    from tests.donations import stripe_shapes as shapes

    rng = random.Random(args.marker)
    event = _event()
    places = Attributions(event, rng)
    now = timezone.now()
    gifts = []
    for n in range(args.count):
        corner, shift, bucket, pair = places.pick()
        gifts.append(
            Donation(
                event=event,
                method=Donation.Method.CARD,
                amount_cents=rng.choice([1000, 2500, 5000, 10000]),
                currency=event.currency,
                fee_bp=event.card_fee_bp,
                fee_fixed_cents=event.card_fee_fixed_cents,
                corner_id=corner,
                shift_id=shift,
                bucket_id=bucket,
                credit_key=pair,
                created_at=now,
                stripe_payment_intent_id=f"pi_{args.marker}_{n}",
            )
        )
    gifts = Donation.objects.bulk_create(gifts, batch_size=2000)
    out = Path(args.out)
    files = [(out / f"bodies-{t}.txt").open("w") for t in range(args.threads)]
    for n, donation in enumerate(gifts):
        donation.event = event
        payload = shapes.event(
            "payment_intent.succeeded",
            shapes.payment_intent(donation),
            event_id=f"evt_{args.marker}_{n}",
        )
        body, signature = shapes.signed(payload, secret=settings.STRIPE_WEBHOOK_SECRET)
        files[n % args.threads].write(f"{signature}\t{body.decode()}\n")
    for handle in files:
        handle.close()
    _say({"count": len(gifts)})


def step_paid(args: argparse.Namespace) -> None:
    from donations.models import Allocation, Donation, StripeEvent

    batch = Donation.objects.filter(stripe_payment_intent_id__startswith=f"pi_{args.marker}_")
    _say(
        {
            "statuses": dict(Counter(batch.values_list("status", flat=True))),
            "events": dict(
                Counter(
                    StripeEvent.objects.filter(
                        stripe_id__startswith=f"evt_{args.marker}_"
                    ).values_list("status", flat=True)
                )
            ),
            "allocations": Allocation.objects.filter(donation__in=batch).count(),
        }
    )


def step_flush(args: argparse.Namespace) -> None:
    """Empty the bench's Redis database (the cache's clear() is FLUSHDB on REDIS_URL's db):
    cached totals, and the Celery tasks the webhooks queued with no worker to take them."""
    from django.core.cache import cache

    cache.clear()
    _say({"flushed": True})


# --- the organizer's control room --------------------------------------------------------------


def _control_room_paths(slug: str) -> list[str]:
    """Organizer pages under /organize/<slug>/ whose name says control room or fragment."""
    from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

    found = []

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                walk(pattern.url_patterns, f"{namespace}{inner}:" if inner else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                route = str(pattern.pattern)
                words = f"{pattern.name} {route}".lower()
                if "organize/" in route and any(
                    w in words for w in ("control", "fragment", "panels")
                ):
                    try:
                        found.append(reverse(f"{namespace}{pattern.name}", kwargs={"slug": slug}))
                    except NoReverseMatch:  # a route with other arguments
                        continue

    walk(get_resolver().url_patterns, "")
    # The polled part when the page has one (the page itself is loaded once).
    polled = [path for path in found if any(w in path for w in ("panels", "fragment"))]
    return sorted({path.replace(f"/{slug}/", "/<slug>/") for path in polled or found})


def step_organizer(args: argparse.Namespace) -> None:
    """A signed-in organizer (not a superuser) of the pledge day: their session cookie."""
    from django.conf import settings
    from django.test import Client

    from events.permissions import user_can_organize_event
    from volunteers.models import User

    event = _event()
    user = next(
        person
        for person in User.objects.filter(is_active=True, is_superuser=False).order_by("pk")
        if user_can_organize_event(person, event)
    )
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    _say(
        {
            "cookie": f"{name}={client.cookies[name].value}",
            "user": user.email,
            "paths": _control_room_paths(event.slug),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    steps = parser.add_subparsers(dest="step", required=True)
    setup = steps.add_parser("setup")
    setup.add_argument("--slug", required=True)
    setup.add_argument("--partners", type=int, default=0)
    steps.add_parser("close").add_argument("--repeat", type=int, default=3)
    steps.add_parser("rename").add_argument("--slug", required=True)
    load = steps.add_parser("load")
    load.add_argument("--gifts", type=int, required=True)
    load.add_argument("--seed", type=int, default=8)
    steps.add_parser("reconcile")
    steps.add_parser("figures").add_argument("--repeat", type=int, default=200)
    pending = steps.add_parser("pending")
    pending.add_argument("--count", type=int, required=True)
    pending.add_argument("--threads", type=int, required=True)
    pending.add_argument("--out", required=True)
    pending.add_argument("--marker", required=True)
    steps.add_parser("paid").add_argument("--marker", required=True)
    steps.add_parser("organizer")
    steps.add_parser("flush")
    args = parser.parse_args()
    if "DJANGO_SETTINGS_MODULE" not in os.environ:
        raise SystemExit("run by bench/live.py (it sets the production settings and their keys)")
    _django()
    globals()[f"step_{args.step}"](args)


if __name__ == "__main__":
    main()
