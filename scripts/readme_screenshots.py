"""Retake the README's screenshots from a running demo (`./pledgeday run` in another terminal).

    .venv/bin/python scripts/readme_screenshots.py [--base http://127.0.0.1:8000] [--out DIR]

Phone pages at 390 x 844, organizer pages at a laptop's 1366 x 900, big screen at 1920 x 1080;
Debian's Chromium driven by Playwright. It reads the demo's database (the same PLEDGEDAY_VAR_DIR
as the running demo) only to find a bucket that is out and a finished gift; everything on the
pictures comes from the running site.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("PLEDGEDAY_VAR_DIR", str(ROOT / "var"))

SCREEN = {"width": 1920, "height": 1080}
PASSWORD = "pledgeday-demo"  # noqa: S105 (the demo's published password)


def demo_facts() -> dict[str, str]:
    """The live day's slug, a bucket out on a corner now, and a finished gift's thank-you."""
    import django

    django.setup()
    from django.utils import timezone

    from donations.models import Donation
    from events.models import Event
    from volunteers.models import BucketAssignment

    live = Event.objects.filter(status=Event.Status.LIVE).order_by("starts_at").first()
    upcoming = Event.objects.filter(status=Event.Status.PUBLISHED).order_by("starts_at").first()
    if live is None or upcoming is None:
        sys.exit("No live and upcoming pledge day: is `./pledgeday run` running with its demo?")
    out = (
        BucketAssignment.objects.filter(
            bucket__event=live, returned_at__isnull=True, handed_out_at__lte=timezone.now()
        )
        .select_related("bucket")
        .first()
    )
    gift = (
        Donation.objects.filter(event=live, status=Donation.Status.SUCCEEDED)
        .exclude(public_token="")
        .order_by("-created_at")
        .first()
    )
    return {
        "live": live.slug,
        "upcoming": upcoming.slug,
        "bucket": out.bucket.token if out else "",
        "thanks": gift.public_token if gift else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    options = parser.parse_args()
    base, out = options.base.rstrip("/"), Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    facts = demo_facts()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    from tests.support.browsers import FLAGS, LAPTOP, PHONE  # the browser tests' own

    def shot(page, path: str, name: str, full: bool = False) -> None:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / f"{name}.png"), full_page=full)
        print(f"{name}.png  {path}")

    def signed_in(browser, email: str, viewport: dict[str, int], locale: str = "en-US"):
        context = browser.new_context(viewport=viewport, locale=locale)
        page = context.new_page()
        page.goto(base + "/accounts/login/")
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        english = browser.new_context(viewport=PHONE, locale="en-US").new_page()
        spanish = browser.new_context(viewport=PHONE, locale="es-MX").new_page()
        shot(english, "/", "home")
        shot(english, f"/events/{facts['upcoming']}/", "event")
        shot(spanish, f"/events/{facts['upcoming']}/", "event-es")
        if facts["bucket"]:
            shot(english, f"/g/{facts['bucket']}", "give")
            shot(spanish, f"/g/{facts['bucket']}", "give-es")
        if facts["thanks"]:
            shot(spanish, f"/give/thanks/{facts['thanks']}/", "thanks-es")
        maria = signed_in(browser, "maria.lopez@pledgeday.test", PHONE, "es-MX")
        shot(maria, "/volunteer/shifts/", "my-shifts-es")
        organizer = signed_in(browser, "organizer@pledgeday.test", LAPTOP)
        shot(organizer, f"/organize/{facts['live']}/", "organize")
        roster = organizer.locator("a[href^='/organize/shifts/']").first.get_attribute("href")
        if roster:
            shot(organizer, roster, "roster")
        shot(organizer, f"/organize/{facts['live']}/live/", "control-room")
        screen = browser.new_context(viewport=SCREEN).new_page()
        shot(screen, f"/events/{facts['live']}/screen/?lang=en", "big-screen")
        shot(screen, f"/events/{facts['live']}/screen/?lang=es", "big-screen-es")
        browser.close()


if __name__ == "__main__":
    main()
