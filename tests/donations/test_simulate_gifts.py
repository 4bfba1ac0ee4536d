"""manage.py simulate_gifts: gifts through the real path (the give page's service, localstripe,
its signed webhook to the running site), and its refusals.

On SQLite the live server shares the test's in-memory connection, so the gifts there come slowly
enough (20 a minute: 1.5 to 4.5 s apart) that no webhook is applied while the command writes;
the fast run is on PostgreSQL, where each thread has its own connection.
"""

from __future__ import annotations

import datetime as dt
import re
import signal
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from donations.demo import demo_live_seed
from donations.management.commands import simulate_gifts
from donations.models import Donation, StripeEvent
from events.models import Event
from events.services import events_advance_status
from tests.donations.test_localstripe import bucket_on_a_corner
from tests.factories import EventFactory, published_event
from tests.support.localstripe import free_port, register_webhook
from volunteers.models import BucketAssignment

GIFT_LINE = re.compile(r"^\d\d:\d\d:\d\d  ", re.MULTILINE)


def totals(event: Event) -> dict:
    cache.clear()  # the figures are cached for 2 seconds
    return Client().get(f"/events/{event.slug}/totals.json").json()


def simulate(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("simulate_gifts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def assert_arrived_through_the_webhook(event: Event, before: set[int], count: int) -> None:
    gifts = Donation.objects.filter(event=event).exclude(pk__in=before)
    assert gifts.count() == count
    out = {
        assignment.bucket_id: set(assignment.holders.all())
        for assignment in BucketAssignment.objects.filter(
            bucket__event=event, returned_at__isnull=True
        )
    }
    for gift in gifts:
        assert gift.status == Donation.Status.SUCCEEDED
        assert gift.method == Donation.Method.CARD
        assert (gift.stripe_payment_intent_id or "").startswith("pi_")
        assert gift.bucket_id in out  # credited as a bucket out now credits its QR gifts
        assert set(gift.volunteers.all()) == out[gift.bucket_id]
        assert event.minimum_gift_cents <= gift.amount_cents <= event.maximum_gift_cents
    applied = StripeEvent.objects.filter(type="payment_intent.succeeded", status="applied")
    assert applied.count() >= count


@pytest.mark.django_db(transaction=True)
def test_simulated_gifts_arrive_as_succeeded_through_the_webhook_and_the_totals_grow(
    localstripe: str, live_server
) -> None:
    register_webhook(localstripe, f"{live_server.url}/stripe/webhook/")
    event = demo_live_seed()
    seeded = set(Donation.objects.values_list("pk", flat=True))
    before = totals(event)

    out, err = simulate("--event", event.slug, "--per-minute", "20", "--count", "3")

    assert len(GIFT_LINE.findall(out)) == 3
    assert "3 gifts made" in out
    assert "3 recorded by the site as succeeded" in out
    assert err == ""
    assert_arrived_through_the_webhook(event, seeded, 3)
    after = totals(event)
    assert after["gifts"] == before["gifts"] + 3
    assert after["raised_cents"] > before["raised_cents"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_gifts_a_minute_all_arrive_with_webhooks_applied_while_gifts_start(
    localstripe: str, live_server
) -> None:
    register_webhook(localstripe, f"{live_server.url}/stripe/webhook/")
    event = demo_live_seed()
    seeded = set(Donation.objects.values_list("pk", flat=True))
    before = totals(event)

    out, _err = simulate("--event", event.slug, "--per-minute", "600", "--count", "12")

    assert "12 recorded by the site as succeeded" in out
    assert_arrived_through_the_webhook(event, seeded, 12)
    assert totals(event)["gifts"] == before["gifts"] + 12


@pytest.mark.django_db(transaction=True)
def test_without_an_event_it_takes_the_demo_day_under_way(localstripe: str, live_server) -> None:
    register_webhook(localstripe, f"{live_server.url}/stripe/webhook/")
    event = demo_live_seed()
    out, _err = simulate("--count", "1")
    assert event.title in out
    assert "1 gift made" in out
    assert "1 recorded by the site as succeeded" in out


class CtrlC(StringIO):
    """A terminal where the person presses Ctrl-C once the given number of gifts is shown."""

    def __init__(self, after_gifts: int) -> None:
        super().__init__()
        self.left = after_gifts

    def write(self, text: str) -> int:
        written = super().write(text)
        if GIFT_LINE.match(text):
            self.left -= 1
            if self.left == 0:
                signal.raise_signal(signal.SIGINT)
        return written


@pytest.mark.django_db
def test_ctrl_c_stops_it_cleanly_and_says_how_many_gifts_it_made(localstripe: str) -> None:
    bucket, _pair = bucket_on_a_corner()
    terminal = CtrlC(after_gifts=2)
    call_command(
        "simulate_gifts", "--event", bucket.event.slug, "--per-minute", "120", stdout=terminal
    )
    shown = terminal.getvalue()
    assert len(GIFT_LINE.findall(shown)) == 2
    assert "2 gifts made" in shown
    paid = Donation.objects.filter(event=bucket.event)
    assert paid.count() == 2  # nothing started after Ctrl-C
    assert all(gift.stripe_payment_intent_id for gift in paid)


@pytest.mark.django_db
def test_it_says_when_the_site_records_none_of_the_gifts(
    localstripe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulate_gifts, "WEBHOOK_PATIENCE_SECONDS", 0.5)  # instead of 20 s
    bucket, _pair = bucket_on_a_corner()  # no webhook registered: no site is listening
    out, err = simulate("--event", bucket.event.slug, "--per-minute", "120", "--count", "3")
    assert "recorded none of them yet" in err
    assert "./pledgeday run" in err
    assert "3 gifts made" in out
    assert "0 recorded by the site as succeeded" in out


@pytest.mark.django_db
def test_it_never_simulates_on_a_site_with_stripe_keys() -> None:
    event = published_event()
    with (
        override_settings(STRIPE_SECRET_KEY="sk_live_pledgeday_real_account"),
        pytest.raises(CommandError, match="never makes gifts on a Stripe account"),
    ):
        simulate("--event", event.slug, "--count", "1")
    assert not Donation.objects.exists()


@pytest.mark.django_db
def test_it_explains_how_to_start_localstripe_when_it_is_not_running() -> None:
    event = published_event()
    nobody = f"http://127.0.0.1:{free_port()}"
    with (
        override_settings(LOCALSTRIPE_URL=nobody, STRIPE_SECRET_KEY=""),
        pytest.raises(CommandError, match=r"localstripe is not answering .*\./pledgeday run"),
    ):
        simulate("--event", event.slug, "--count", "1")
    assert not Donation.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_pledge_day_that_is_not_taking_gifts(localstripe: str) -> None:
    closed = published_event()
    events_advance_status(now=closed.closes_at + dt.timedelta(minutes=1))  # the beat closes it
    with pytest.raises(CommandError, match="is not taking gifts"):
        simulate("--event", closed.slug, "--count", "1")
    draft = EventFactory()
    with pytest.raises(CommandError, match="There is no public pledge day"):
        simulate("--event", draft.slug, "--count", "1")
    with pytest.raises(CommandError, match="There is no public pledge day"):
        simulate("--event", "no-such-day", "--count", "1")
    assert not Donation.objects.exists()


@pytest.mark.django_db
def test_without_an_event_and_no_demo_day_under_way_it_asks_for_one(localstripe: str) -> None:
    published_event()
    with pytest.raises(CommandError, match="--event <slug>"):
        simulate("--count", "1")


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["0", "-3", "many"])
def test_it_refuses_a_rate_or_count_below_one(bad: str) -> None:
    with pytest.raises(CommandError, match="at least 1"):
        simulate("--per-minute", bad)
