"""manage.py tallies_reconcile [--repair] [--event SLUG]: recompute every tally from the ledger."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from donations import services


class Command(BaseCommand):
    help = (
        "Recompute the tallies of every pledge day from its ledger and allocations and print any "
        "drift. Exits with 1 on drift, unless --repair adds the differences."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="Add the differences.")
        parser.add_argument("--event", help="Only this pledge day (its slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        events = services.events_to_reconcile()
        if options["event"]:
            events = events.filter(slug=options["event"])
            if not events.exists():
                raise CommandError(f"No pledge day {options['event']!r}.")
        drifted = 0
        for event in events:
            drifts = services.tallies_reconcile(event=event, repair=options["repair"])
            for drift in drifts:
                self.stdout.write(
                    f"{event.slug} {drift.scope} {drift.key or '-'} {drift.counter}: "
                    f"tally {drift.actual}, ledger {drift.expected}"
                )
            drifted += bool(drifts)
        verdict = f"{drifted} pledge day(s) with drift"
        if drifted and options["repair"]:
            self.stdout.write(self.style.SUCCESS(f"{verdict}: repaired."))
        elif drifted:
            self.stderr.write(f"{verdict}: run with --repair to fix.")
            raise SystemExit(1)
        else:
            self.stdout.write(self.style.SUCCESS("No drift."))
