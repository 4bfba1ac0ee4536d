"""manage.py seed_demo: the demo pledge day, its partners, corners, shifts, buckets and accounts."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from volunteers.demo import ACCOUNTS, DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create the demo pledge day (safe to run again: it only adds what is missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (it creates a superuser with a published password).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with a published password; it runs only with "
                "DEBUG on (the embedded default). Use --force for a throwaway staging site."
            )
        event = demo_seed()
        self.stdout.write(
            self.style.SUCCESS(f"Demo pledge day ready: {event.title} (/events/{event.slug}/)")
        )
        for account in ACCOUNTS:
            self.stdout.write(f"  {account.role:<10} {account.email}  password: {DEMO_PASSWORD}")
