"""Closing a pledge day of a million gifts across ten partners (issue 9; target: under 10 s).

    .venv/bin/python bench/close.py [--gifts 1000000] [--partners 10] [--postgres URL] [--keep]

Builds a throwaway PostgreSQL database (pd_bench_close): the demo's pledge day with `--partners`
partners, then `--gifts` paid gifts loaded as bench/live.py loads them (COPY; card, cash and
checks, covered fees, designations, gifts split among chosen partners, partial refunds), then
closes it and times payouts.services.payouts_compute — the work of the Celery task closing
queues — on the production settings: the first run, closing again (nothing changed) and the
arithmetic alone. Prints the figures and whether the payouts add up to the net raised.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from live import Bench  # noqa: E402 (the live bench's plumbing: env, databases, data steps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gifts", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    bench = Bench(argparse.Namespace(postgres=args.postgres, redis=args.redis, budget=3600.0))
    database = "pd_bench_close"
    bench.database_drop(database)
    bench.postgres("createdb", database)
    try:
        started = time.monotonic()
        bench.data(database, "setup", "--slug", "close-bench", "--partners", str(args.partners))
        loaded = bench.data(database, "load", "--gifts", str(args.gifts))
        print(f"loaded {args.gifts:,} gifts in {time.monotonic() - started:.0f} s", flush=True)
        figures = bench.data(database, "close", "--repeat", str(args.repeat))
    finally:
        if not args.keep:
            bench.database_drop(database)
    print(json.dumps({"load": loaded, "close": figures}, indent=2))
    print(
        f"\nClosing {figures['gifts']:,} gifts across {figures['partners']} partners: "
        f"first run {figures['first_run_s']:.2f} s; "
        f"closing again {figures['again_median_s']:.2f} s "
        f"(median of {args.repeat}); the arithmetic alone {figures['arithmetic_median_s']:.2f} s. "
        f"Payouts add up to the net raised: {figures['adds_up']}. The largest partner's "
        f"statement CSV: {figures['statement_rows']:,} rows ({figures['statement_mb']} MB) "
        f"written in {figures['statement_s']:.2f} s."
    )
    if not figures["adds_up"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
