"""Existing pledge days, gifts and Stripe events migrate to the money path of issue 7 (events
0007-0008, donations 0002) on the database CI runs (PostgreSQL), and what they become is right:
minimums raised to Stripe's, the fee each paid gift was netted with, refunds kept, events that
were acknowledged without being applied parked again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("events", "0006_spanish_content"),
    ("donations", "0001_initial"),
    ("volunteers", "0003_profile_give_token"),
]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_existing_money_data_migrates_to_the_new_money_path() -> None:
    old = _migrate(BEFORE).loader.project_state(BEFORE).apps
    Organization = old.get_model("events", "Organization")
    Event = old.get_model("events", "Event")
    EventPartner = old.get_model("events", "EventPartner")
    Donation = old.get_model("donations", "Donation")
    LedgerEntry = old.get_model("donations", "LedgerEntry")
    StripeEvent = old.get_model("donations", "StripeEvent")
    now = dt.datetime(2026, 11, 1, 18, tzinfo=dt.UTC)
    host = Organization.objects.create(name="Host", slug="host", legal_name="Host", tax_id="1")
    events = {}
    for slug, currency, status in (("dollars", "usd", "live"), ("pesos", "mxn", "closed")):
        event = Event.objects.create(
            title=slug, slug=slug, starts_at=now, ends_at=now + dt.timedelta(hours=8),
            currency=currency, fiscal_host=host, minimum_gift_cents=500,
        )  # fmt: skip
        EventPartner.objects.create(event=event, organization=host, share_bp=10000)
        Event.objects.filter(pk=event.pk).update(status=status)
        events[slug] = event
    card = Donation.objects.create(
        event=events["dollars"], method="card", status="partially_refunded", amount_cents=2500,
        currency="usd", created_at=now, succeeded_at=now, refunded_cents=500,
        stripe_payment_intent_id="pi_old", donor_email="d@example.org", receipt_sent_at=now,
    )  # fmt: skip
    LedgerEntry.objects.create(
        donation=card, kind="gift", key="gift", amount_cents=2397, created_at=now
    )
    LedgerEntry.objects.create(
        donation=card, kind="refund", key="settle-to-1897", amount_cents=-500, created_at=now
    )
    for stripe_id, outcome in (("evt_1", "no matching donation"), ("evt_2", "ignored type")):
        StripeEvent.objects.create(
            stripe_id=stripe_id, type="payment_intent.succeeded", payload={"id": stripe_id},
            received_at=now, processed_at=now, outcome=outcome,
        )  # fmt: skip
    # The fee changed after the gift was paid (allowed before this change).
    Event.objects.filter(pk=events["dollars"].pk).update(card_fee_bp=350)

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    from donations import services
    from donations.models import Donation as D
    from donations.models import StripeEvent as SE
    from events.models import Event as E

    pesos = E.objects.get(slug="pesos")
    assert (pesos.minimum_gift_cents, pesos.closed_at is not None) == (1000, True)
    gift = D.objects.get(pk=card.pk)
    assert (gift.processor_fee_cents, gift.processor_fee_estimated) == (103, True)
    assert (gift.fee_bp, gift.receipt_status) == (350, "sent")
    assert list(gift.refunds.values_list("stripe_refund_id", "amount_cents")) == [
        (f"legacy-{card.pk}", 500)
    ]
    with transaction.atomic():
        assert services.ledger_settle(gift, now=timezone.now()) == []  # already right
    assert dict(SE.objects.values_list("stripe_id", "status")) == {
        "evt_1": "parked",
        "evt_2": "ignored",
    }
