"""manage.py payments_reconcile [--hours 48]: record the succeeded payments no webhook reported."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from donations import services


class Command(BaseCommand):
    help = (
        "Ask Stripe for the PaymentIntents of the last hours and record every succeeded one of "
        "this site whose gift was never seen paid (a missed webhook), through the webhook's own "
        "path. The beat does this every 15 minutes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours",
            type=int,
            default=settings.STRIPE_RECONCILE_HOURS,
            help="How far back (default STRIPE_RECONCILE_HOURS, 48).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["hours"] < 1:
            raise CommandError("--hours must be at least 1.")
        result = services.payments_reconcile(now=timezone.now(), hours=options["hours"])
        for line in result.recorded:
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.seen} succeeded payment(s) of this site in the last {options['hours']} "
                f"hours; {result.known} already recorded, {len(result.recorded)} recorded now."
            )
        )
