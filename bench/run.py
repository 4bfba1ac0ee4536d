"""Benchmarks of the hot paths, in-process, on a throwaway SQLite database (or DATABASE_URL).

    .venv/bin/python bench/run.py [--requests 300]

Prints the median and 95th-percentile time of the event page, the give page of a bucket's QR
code, and a signed Stripe webhook applied to a new donation (verify, store once, lock, ledger).
Starting a gift is left out: it waits on Stripe (or localstripe), which is not ours to measure.
Figures compare changes on one machine; they are not promises.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    state = tempfile.mkdtemp(prefix="pledgeday-bench-")
    os.environ.setdefault("PLEDGEDAY_VAR_DIR", state)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic here

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from donations.models import Donation
    from events.models import Bucket, Event
    from tests.donations import stripe_shapes as shapes

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--force", "--live-day", stdout=open(os.devnull, "w"))  # noqa: SIM115
    # The day under way: its bucket B-01 is out with a checked-in pair, so /g/ serves the give
    # form (a bucket that is not out gets the much lighter caution page instead).
    event = Event.objects.get(status=Event.Status.LIVE)
    bucket = Bucket.objects.get(event=event, label="B-01")
    client = Client()
    if b"give-button" not in client.get(f"/g/{bucket.token}").content:
        raise SystemExit("the bucket's page is not the give form: is B-01 out on the live day?")

    def timed(label: str, request) -> None:
        samples = []
        for _ in range(args.requests):
            start = time.perf_counter()
            status = request()
            samples.append((time.perf_counter() - start) * 1000)
            if status not in (200, 303):
                raise SystemExit(f"{label}: HTTP {status}")
        samples.sort()
        p95 = samples[int(len(samples) * 0.95) - 1]
        print(f"{label:<34} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms")

    print(f"{args.requests} requests each, database {django.db.connection.vendor}")
    timed("event page", lambda: client.get(f"/events/{event.slug}/").status_code)
    timed("give page (bucket QR)", lambda: client.get(f"/g/{bucket.token}").status_code)

    def webhook() -> int:
        donation = Donation.objects.create(
            event=event,
            method="card",
            amount_cents=2500,
            currency="usd",
            created_at=timezone.now(),
            stripe_payment_intent_id=f"pi_bench_{time.perf_counter_ns()}",
        )
        body, signature = shapes.signed(
            shapes.event("payment_intent.succeeded", shapes.payment_intent(donation))
        )
        response = client.post(
            "/stripe/webhook/",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )
        return response.status_code

    timed("webhook: payment succeeded", webhook)
    print(f"state left in {state}")


if __name__ == "__main__":
    main()
