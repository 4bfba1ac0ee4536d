"""Stripe events delivered concurrently (PostgreSQL): every event of three gifts, three times,
from eight threads at once, through the real webhook view. Recorded shapes, not a running Stripe."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client

from donations import services
from donations.models import Donation, LedgerEntry, StripeEvent
from tests.donations import stripe_shapes as shapes
from tests.donations.test_webhook import lifecycle
from tests.factories import CardDonationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8


def test_concurrent_repeated_deliveries_converge_with_one_gift_per_payment() -> None:
    random.seed(7)
    donations = [CardDonationFactory() for _ in range(3)]
    deliveries = [event for d in donations for event in lifecycle(d)] * 3
    random.shuffle(deliveries)
    queue = list(deliveries)
    lock = threading.Lock()
    statuses: list[int] = []
    barrier = threading.Barrier(THREADS, timeout=30)

    def worker() -> None:
        client = Client()
        barrier.wait()
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    payload = queue.pop()
                body, signature = shapes.signed(payload)
                response = client.post(
                    "/stripe/webhook/",
                    body,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=signature,
                )
                with lock:
                    statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # A delivery that raced a twin may be told to retry (503); Stripe would deliver it again.
    assert set(statuses) <= {200, 503}
    for payload in deliveries:
        body, signature = shapes.signed(payload)
        Client().post(
            "/stripe/webhook/",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )
    assert StripeEvent.objects.filter(processed_at__isnull=False).count() == 18
    for donation in donations:
        final = Donation.objects.get(pk=donation.pk)
        assert final.status == Donation.Status.PARTIALLY_REFUNDED
        assert final.refunded_cents == 1500
        assert LedgerEntry.objects.filter(donation=donation, kind="gift").count() == 1
        total = LedgerEntry.objects.filter(donation=donation).aggregate(s=Sum("amount_cents"))["s"]
        assert total == services.net_cents(final) - 1500
