"""manage.py seed_demo [--live-day]: the demo's pledge days, partners, corners, shifts, buckets and
accounts; with --live-day also a pledge day under way now, with its gifts so far.

It lives in `donations`, the app at the top of the imports (donations -> volunteers -> events),
because the live day has money.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from donations.demo import demo_live_seed
from volunteers.demo import ACCOUNTS, DEMO_PASSWORD, demo_seed

# The launcher reads the live day's address from this line.
LIVE_DAY_LINE = "Live today: {title} (/events/{slug}/)"


class Command(BaseCommand):
    help = "Create the demo pledge day (safe to run again: it only adds what is missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (it creates a superuser with a published password).",
        )
        parser.add_argument(
            "--live-day",
            action="store_true",
            help=(
                "Also a pledge day under way now: pairs on the corners, buckets out, gifts, cash "
                "counts and a matching pledge (needs the local gateway: no Stripe keys)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or settings.DEMO_SITE) and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with a published password; it runs only with "
                "DEBUG on (the embedded default). Use --force for a throwaway staging site."
            )
        event = demo_seed()
        self.stdout.write(
            self.style.SUCCESS(f"Demo pledge day ready: {event.title} (/events/{event.slug}/)")
        )
        if options["live_day"]:
            try:
                live = demo_live_seed()
            except ValidationError as refusal:
                raise CommandError(" ".join(refusal.messages)) from refusal
            self.stdout.write(
                self.style.SUCCESS(LIVE_DAY_LINE.format(title=live.title, slug=live.slug))
            )
        for account in ACCOUNTS:
            self.stdout.write(f"  {account.role:<10} {account.email}  password: {DEMO_PASSWORD}")
