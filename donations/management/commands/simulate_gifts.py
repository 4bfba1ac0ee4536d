"""manage.py simulate_gifts [--event SLUG] [--per-minute 20] [--count N]: card gifts that take
the real path, for watching a pledge day's totals move in the demo.

Each gift is started by the give page's service (`donation_start`, credited to a bucket that is
out, as its QR code would credit it), paid on localstripe with Stripe's 4242 test card (as the
demo payment page pays it), and recorded when localstripe's signed webhook reaches the running
site (`./pledgeday run` registers it). Only against localstripe: a site with Stripe keys is
refused. Ctrl-C stops it and says how many gifts it made.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
import urllib.error
import urllib.request
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from donations import services, stripe_api
from donations.demo import Donors
from donations.models import Donation
from events.models import Bucket, Event
from events.money import cents_format
from events.selectors import event_public_get
from volunteers.demo import live_day_under_way
from volunteers.models import BucketAssignment

# How long to wait for the first simulated gift to be recorded before saying the webhook does not
# reach the site, and for the last gifts to be recorded once --count is reached.
WEBHOOK_PATIENCE_SECONDS = 20.0
# Pauses between two gifts vary at random by this much around the mean (60 s / --per-minute).
PAUSE_JITTER = 0.5


class GatewayStopped(Exception):
    """localstripe stopped answering, or the pledge day stopped taking gifts."""


def positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(_("expected a whole number of at least 1"))
    return number


def localstripe_answers(url: str) -> bool:
    """Whether localstripe answers at url (a list request, loopback only, never via a proxy)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(  # noqa: S310 (the configured local stand-in)
        f"{url}/v1/customers?limit=1",
        headers={"Authorization": f"Bearer {stripe_api.LOCAL_SECRET_KEY}"},
    )
    try:
        with opener.open(request, timeout=3) as response:
            answer = json.loads(response.read())
    except (OSError, ValueError):  # refused, timed out, an error status, not JSON, a bad URL
        return False
    return isinstance(answer, dict) and answer.get("object") == "list"


class Command(BaseCommand):
    help = (
        "Make card gifts arrive through the real path (give-page service, localstripe, signed "
        "webhook) to watch a pledge day's totals move. Demo and development only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--event",
            help="The pledge day's slug (default: the demo's live day under way).",
        )
        parser.add_argument(
            "--per-minute",
            type=positive,
            default=20,
            help="Gifts a minute on average, arriving at random (default 20).",
        )
        parser.add_argument(
            "--count", type=positive, help="Stop after this many gifts (default: until Ctrl-C)."
        )

    # --- Refusals ------------------------------------------------------------------------------

    def _event(self, slug: str | None) -> Event:
        if not stripe_api.is_local():
            raise CommandError(
                _(
                    "This site runs with Stripe keys (STRIPE_SECRET_KEY is set): simulate_gifts "
                    "never makes gifts on a Stripe account. It runs only against localstripe, "
                    "the local stand-in of the demo (./pledgeday run, without Stripe keys)."
                )
            )
        if slug:
            event = event_public_get(slug=slug, partners=False)
            if event is None:
                raise CommandError(_("There is no public pledge day %(slug)s.") % {"slug": slug})
        else:
            event = live_day_under_way(now=timezone.now())
            if event is None:
                raise CommandError(
                    _(
                        "No demo pledge day is under way. Name one with --event <slug>, or start "
                        "the demo with ./pledgeday run (it seeds a live day)."
                    )
                )
        if event.status not in services.OPEN_FOR_GIFTS:
            raise CommandError(
                _("%(title)s is not taking gifts (it is %(status)s).")
                % {"title": event.title, "status": event.get_status_display().lower()}
            )
        if not localstripe_answers(settings.LOCALSTRIPE_URL):
            raise CommandError(
                _(
                    "localstripe is not answering at %(url)s. Start the demo with ./pledgeday run "
                    "in another terminal (it starts localstripe and registers its webhook), then "
                    "run this again with the same LOCALSTRIPE_PORT and PLEDGEDAY_VAR_DIR."
                )
                % {"url": settings.LOCALSTRIPE_URL}
            )
        return event

    # --- One gift ------------------------------------------------------------------------------

    def _attribution(self, event: Event, rng: random.Random) -> services.Attribution:
        """A bucket that is out now, as its QR code credits it; none out: the event's give page."""
        out = list(
            BucketAssignment.objects.filter(
                bucket__event=event, returned_at__isnull=True
            ).values_list("bucket_id", flat=True)
        )
        if not out:
            return services.Attribution()
        return services.attribution_for_bucket(Bucket.objects.get(pk=rng.choice(out)))

    def _gift(self, event: Event, donors: Donors, rng: random.Random) -> Donation:
        choice = donors.pick()
        attribution = self._attribution(event, rng)
        site = settings.SITE_URL
        try:
            start = services.donation_start(
                event=event,
                **choice.as_gift(),
                attribution=attribution,
                now=timezone.now(),
                success_url=site
                + reverse("donations:thanks", args=["TOKEN"]).replace("TOKEN", "{token}"),
                cancel_url=site + reverse("donations:give_event", args=[event.slug]),
                demo_pay_url=site
                + reverse("donations:demo_pay", args=["TOKEN"]).replace("TOKEN", "{token}"),
            )
        except ValidationError as refusal:
            if refusal.code in ("not_open", "gateway"):
                raise GatewayStopped(" ".join(refusal.messages)) from refusal
            raise
        donation = Donation.objects.select_related("corner", "bucket", "designated_to").get(
            pk=start.donation.pk
        )
        try:
            # As the demo payment page does: localstripe then sends its signed webhook.
            stripe_api.payment_intent_confirm_with_test_card(
                donation.stripe_payment_intent_id or ""
            )
        except stripe.StripeError as problem:
            raise GatewayStopped(str(problem.user_message or problem)) from problem
        return donation

    def _describe(self, donation: Donation, event: Event) -> str:
        local = timezone.localtime(donation.created_at, event.tzinfo)
        amount = cents_format(donation.amount_cents, donation.currency)
        if donation.fee_cents:
            amount = _("%(amount)s + %(fee)s fee") % {
                "amount": amount,
                "fee": cents_format(donation.fee_cents, donation.currency),
            }
        where = donation.corner.name if donation.corner else _("the pledge day's give page")
        if donation.bucket:
            pair = ", ".join(user.name or user.email for user in donation.volunteers.all())
            where = f"{where} ({donation.bucket.label}{': ' + pair if pair else ''})"
        line = f"{local:%H:%M:%S}  {amount:<22} {where}"
        if donation.designated_to:
            line += "  " + _("for %(partner)s") % {"partner": donation.designated_to.name}
        split = [organization.name for organization in donation.split_among.all()]
        if split:
            line += "  " + _("split: %(partners)s") % {"partners": ", ".join(split)}
        return line

    # --- The run -------------------------------------------------------------------------------

    def handle(self, *args: Any, **options: Any) -> None:
        # The SDK logs every request at INFO: one line per gift is what a person watches here.
        logging.getLogger("stripe").setLevel(logging.WARNING)
        event = self._event(options["event"])
        per_minute, count = options["per_minute"], options["count"]
        rng = random.Random()  # noqa: S311 (simulated donors, not secrets)
        donors = Donors(event=event, rng=rng)
        self.stdout.write(
            _(
                "Simulating gifts to %(title)s: about %(rate)s a minute through localstripe at "
                "%(url)s. Watch /events/%(slug)s/totals.json. Ctrl-C stops."
            )
            % {
                "title": event.title,
                "rate": per_minute,
                "url": settings.LOCALSTRIPE_URL,
                "slug": event.slug,
            }
        )
        if not BucketAssignment.objects.filter(
            bucket__event=event, returned_at__isnull=True
        ).exists():
            self.stdout.write(
                _("No bucket is out: the gifts come through the pledge day's give page.")
            )
        made: list[int] = []
        began = time.monotonic()
        next_at = began
        checked = False  # whether the site was seen recording the gifts (or told it is not)
        mean_pause = 60.0 / per_minute
        stopped_by = ""
        try:
            while count is None or len(made) < count:
                pause = next_at - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                donation = self._gift(event, donors, rng)
                made.append(donation.pk)
                self.stdout.write(self._describe(donation, event))
                next_at += mean_pause * rng.uniform(1 - PAUSE_JITTER, 1 + PAUSE_JITTER)
                if not checked and time.monotonic() - began > WEBHOOK_PATIENCE_SECONDS:
                    checked = True
                    self._warn_if_unrecorded(made)
        except KeyboardInterrupt:
            stopped_by = "ctrl-c"
        except GatewayStopped as problem:
            stopped_by = "gateway"
            self.stderr.write(_("Stopped: %(problem)s") % {"problem": problem})
        if stopped_by == "" and made:
            self._wait_for_webhooks(made)
            if not checked:
                self._warn_if_unrecorded(made)
        self._summary(made, began=began)
        if stopped_by == "gateway":
            raise SystemExit(1)

    def _recorded(self, made: list[int]) -> int:
        return (
            Donation.objects.filter(pk__in=made).exclude(succeeded_at__isnull=True).count()
            if made
            else 0
        )

    def _warn_if_unrecorded(self, made: list[int]) -> None:
        """Say so if localstripe's webhook seems not to reach the site."""
        if self._recorded(made):
            return
        self.stderr.write(
            _(
                "The gifts are paid on localstripe, but the site has recorded none of them yet. "
                "Is ./pledgeday run running? It registers localstripe's webhook with the site."
            )
        )

    def _wait_for_webhooks(self, made: list[int]) -> None:
        deadline = time.monotonic() + WEBHOOK_PATIENCE_SECONDS
        try:
            while self._recorded(made) < len(made) and time.monotonic() < deadline:
                time.sleep(0.25)
        except KeyboardInterrupt:
            pass

    def _summary(self, made: list[int], *, began: float) -> None:
        minutes = max(time.monotonic() - began, 1e-9) / 60
        self.stdout.write(
            ngettext(
                "%(count)s gift made in %(minutes).1f min (%(rate).1f a minute); "
                "%(recorded)s recorded by the site as succeeded.",
                "%(count)s gifts made in %(minutes).1f min (%(rate).1f a minute); "
                "%(recorded)s recorded by the site as succeeded.",
                len(made),
            )
            % {
                "count": len(made),
                "minutes": minutes,
                "rate": len(made) / minutes,
                "recorded": self._recorded(made),
            }
        )
