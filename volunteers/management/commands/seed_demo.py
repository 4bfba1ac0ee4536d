"""manage.py seed_demo: the demo pledge day, its partners, corners, shifts, buckets and accounts."""

from typing import Any

from django.core.management.base import BaseCommand

from volunteers.demo import ACCOUNTS, DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create the demo pledge day (safe to run again: it only adds what is missing)."

    def handle(self, *args: Any, **options: Any) -> None:
        event = demo_seed()
        self.stdout.write(
            self.style.SUCCESS(f"Demo pledge day ready: {event.title} (/events/{event.slug}/)")
        )
        for account in ACCOUNTS:
            self.stdout.write(f"  {account.role:<10} {account.email}  password: {DEMO_PASSWORD}")
