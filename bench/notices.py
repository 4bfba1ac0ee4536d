"""Shift reminders due at once: N due reminders planned and sent by one worker (issue 10).

    .venv/bin/python bench/notices.py [--reminders 10000] [--database-url postgres://...]

On a throwaway database (SQLite in a temporary folder, or the PostgreSQL database named, which
it empties first) it writes N confirmed sign-ups on the shifts of one pledge day (a restore-like
bulk load: users and sign-ups, no emails), then times, in-process and in one thread — what one
Celery worker does, without the broker — the beat's scan planning the reminders
(`notices.services.reminders_plan`) and each one sent (`notice_send`: claim, render in the
volunteer's language, the file email backend writing it, mark sent). Prints the figures.
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
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="pledgeday-notices-"))
    os.environ["PLEDGEDAY_VAR_DIR"] = str(state)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "false"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    import datetime as dt

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from events.models import Corner, Event, EventPartner, Organization, Shift
    from notices import services
    from notices.models import Notice
    from volunteers.models import Signup, User

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(state / "mail")
    if connection.vendor == "postgresql":
        call_command("flush", "--no-input", verbosity=0)
    call_command("migrate", verbosity=0)
    now = timezone.now().replace(microsecond=0)
    starts = now + dt.timedelta(hours=24)
    host = Organization.objects.create(name="Host", slug="host", legal_name="Host", tax_id="1")
    event = Event.objects.create(
        title="Bench day", slug="bench-day", starts_at=starts - dt.timedelta(hours=1),
        ends_at=starts + dt.timedelta(hours=10), fiscal_host=host,
        volunteer_notes="Staging table at the Starbucks on Shaw. Bring water.",
        volunteer_coordinator_name="Lupe", volunteer_coordinator_phone="559-555-0142",
    )  # fmt: skip
    EventPartner.objects.create(event=event, organization=host, share_bp=10_000)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.PUBLISHED)
    per_shift = 4  # a pair and their buddies: each reminder names the others
    shifts = []
    for n in range((args.reminders + per_shift - 1) // per_shift):
        corner = Corner.objects.create(event=event, name=f"Corner {n + 1}", city="Fresno")
        shifts.append(
            Shift.objects.create(
                corner=corner,
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=3),
                capacity=per_shift,
                min_volunteers=2,
            )
        )
    loaded = time.perf_counter()
    users = User.objects.bulk_create(
        User(email=f"volunteer{n}@bench.test", name=f"Volunteer {n}",
             preferred_language="es" if n % 3 == 0 else "en")
        for n in range(args.reminders)
    )  # fmt: skip
    Signup.objects.bulk_create(
        Signup(user=user, shift=shifts[n // per_shift], status=Signup.Status.CONFIRMED,
               created_at=now - dt.timedelta(days=3), confirmed_at=now - dt.timedelta(days=3))
        for n, user in enumerate(users)
    )  # fmt: skip
    for shift in shifts:
        Shift.objects.filter(pk=shift.pk).update(
            confirmed_count=Signup.objects.filter(shift=shift).count()
        )
    print(f"{args.reminders:,} confirmed sign-ups loaded in {time.perf_counter() - loaded:.1f} s "
          f"({connection.vendor})", flush=True)  # fmt: skip

    moment = starts - dt.timedelta(hours=24)
    started = time.perf_counter()
    services.reminders_plan(now=moment)
    planned = time.perf_counter() - started
    due = services.notices_due(now=moment, limit=args.reminders * 2)
    samples = []
    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    for notice_id in due:
        begin = time.perf_counter()
        outcome = services.notice_send(notice_id=notice_id, now=moment)
        samples.append((time.perf_counter() - begin) * 1000)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    sending = time.perf_counter() - started
    rescans = []
    for minute in range(1, 6):  # the next scans: nothing new to plan
        begin = time.perf_counter()
        again = services.reminders_plan(now=moment + dt.timedelta(minutes=minute))
        rescans.append(time.perf_counter() - begin)
        if again:
            raise SystemExit(f"the scan planned {again} reminders again")
    samples.sort()
    print(
        f"planning {len(due):,} reminders (the beat's scan): {planned:.2f} s\n"
        f"each next minute's scan, nothing new (median of 5): "
        f"{statistics.median(rescans) * 1000:.1f} ms\n"
        f"sending them, one worker: {sending:.1f} s = {len(due) / sending:.0f} a second; "
        f"per message median {statistics.median(samples):.2f} ms, "
        f"p95 {samples[int(len(samples) * 0.95) - 1]:.2f} ms\n"
        f"outcomes {outcomes}; {Notice.objects.filter(status='sent').count():,} rows sent"
    )
    if outcomes.get("sent") != args.reminders:
        raise SystemExit("not every reminder was sent exactly once")


if __name__ == "__main__":
    main()
