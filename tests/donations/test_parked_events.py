"""Stripe events that cannot be applied are parked where finance organizers see them, never
acknowledged and forgotten (issue 7, scenarios 1, 2, 3, 5 and 14).

Payloads are Stripe's published example objects with only the fields a test needs changed,
signed the way Stripe signs them; the real view and `stripe.Webhook.construct_event` run.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client, override_settings
from django.urls import reverse

from donations.models import Donation, LedgerEntry, StripeEvent
from events.models import Membership
from tests.donations import stripe_shapes as shapes
from tests.factories import CardDonationFactory, MembershipFactory, UserFactory
from tests.support.stripe_fake import FakeStripe
from tests.support.webhooks import deliver, fresh, ledger_sum, refunded, succeeded

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admins")]
St, P = StripeEvent.Status, StripeEvent.ParkReason


@pytest.fixture
def admins():
    with override_settings(ADMINS=[("Ops", "ops@example.org")]):
        yield


def finance_client(client: Client, donation: Donation) -> Client:
    client.force_login(MembershipFactory(event=donation.event, role=Membership.Role.FINANCE).user)
    return client


def alerts(mailoutbox) -> list[str]:
    return [m.subject for m in mailoutbox if m.to == ["ops@example.org"]]


# --- 1. Another amount or currency: parked, alerted, visible, resolvable ------------------------


def test_a_payment_of_another_amount_is_parked_not_acknowledged(
    client: Client, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    donation = CardDonationFactory(donor_email="donor@example.org")
    payload = succeeded(donation, amount=3100, amount_received=3100)
    with django_capture_on_commit_callbacks(execute=True):
        status, body = deliver(client, payload)
    assert status == 200
    assert body.startswith("parked:")
    record = StripeEvent.objects.get()
    assert (record.status, record.park_reason) == (St.PARKED, P.AMOUNT_MISMATCH)
    assert record.processed_at is None  # "processed" means applied; this is not
    assert record.donation == donation
    assert record.event == donation.event
    assert record.payload["data"]["object"]["amount_received"] == 3100  # what Stripe said
    assert fresh(donation).status == Donation.Status.PENDING
    assert not LedgerEntry.objects.exists()
    assert alerts(mailoutbox) == [
        "[Pledgeday] A Stripe payment needs review (Stripe charged another amount or currency)"
    ]
    assert [m.to for m in mailoutbox if m.to != ["ops@example.org"]] == []  # no receipt


def test_a_redelivery_of_a_parked_event_is_tried_again_not_answered_duplicate(
    client: Client,
) -> None:
    donation = CardDonationFactory()
    payload = succeeded(donation, currency="cad")
    deliver(client, payload)
    status, body = deliver(client, payload)
    assert status == 200
    assert body != "duplicate"
    assert StripeEvent.objects.get().status == St.PARKED


def test_the_donor_is_told_a_person_is_checking_not_confirming_for_ever(client: Client) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation, amount=3100, amount_received=3100))
    page = client.get(f"/give/thanks/{donation.public_token}/").content.decode()
    assert "a person on the team is checking it" in page
    assert 'http-equiv="refresh"' not in page


def test_finance_sees_the_parked_payment_on_the_attention_page(client: Client) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation, amount=3100, amount_received=3100))
    page = finance_client(client, donation).get(f"/organize/{donation.event.slug}/attention/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Stripe charged $31.00 (USD)" in text
    assert "Accept $31.00 as the gift" in text
    listing = client.get(f"/organize/{donation.event.slug}/donations/").content.decode()
    assert "1 gift needs attention." in listing


def test_an_organizer_without_a_finance_role_cannot_resolve_it(client: Client) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation, amount=3100, amount_received=3100))
    record = StripeEvent.objects.get()
    client.force_login(MembershipFactory(event=donation.event).user)  # organizer
    assert client.get(f"/organize/{donation.event.slug}/attention/").status_code == 403
    assert client.post(f"/organize/stripe-events/{record.pk}/accept/").status_code == 403
    assert fresh(donation).status == Donation.Status.PENDING


def test_finance_accepts_what_stripe_charged_and_the_gift_is_applied_with_its_receipt(
    client: Client, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    donation = CardDonationFactory(donor_email="donor@example.org", fee_cents=106)
    deliver(client, succeeded(donation, amount=3106, amount_received=3106))
    record = StripeEvent.objects.get()
    finance_client(client, donation)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/organize/stripe-events/{record.pk}/accept/")
    assert response.status_code == 302
    gift = fresh(donation)
    assert (gift.status, gift.amount_cents, gift.fee_cents) == ("succeeded", 3000, 106)
    record.refresh_from_db()
    assert record.status == St.APPLIED
    assert record.resolved_by is not None
    assert "Accepted $31.06" in record.resolution
    assert ledger_sum(gift) == 3106 - (3106 * 290 + 5000) // 10000 - 30
    assert [m.to for m in mailoutbox] == [["donor@example.org"]]


def test_a_payment_in_another_currency_cannot_be_accepted_but_can_be_refunded(
    client: Client, fake_stripe: FakeStripe
) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation, currency="cad"))
    record = StripeEvent.objects.get()
    finance_client(client, donation)
    client.post(f"/organize/stripe-events/{record.pk}/accept/")
    assert StripeEvent.objects.get().status == St.PARKED
    fake_stripe.answer("post", "/v1/refunds", shapes.refund(donation, 2500, number=9))
    assert client.post(f"/organize/stripe-events/{record.pk}/refund/").status_code == 302
    (call,) = fake_stripe.calls("post", "/v1/refunds")
    assert call["params"]["payment_intent"] == donation.stripe_payment_intent_id
    assert "amount" not in call["params"]  # the whole payment
    assert call["headers"]["Idempotency-Key"] == f"parked-{record.stripe_id}-refund"
    record.refresh_from_db()
    assert record.status == St.RESOLVED
    assert f"re_{donation.pk}_9" in record.resolution
    assert fresh(donation).status == Donation.Status.CANCELED


def test_a_parked_payment_can_be_dismissed_with_a_note_saying_what_was_done(
    client: Client,
) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation, currency="eur"))
    record = StripeEvent.objects.get()
    finance_client(client, donation)
    client.post(f"/organize/stripe-events/{record.pk}/dismiss/", {"note": ""})
    assert StripeEvent.objects.get().status == St.PARKED  # a note is required
    client.post(
        f"/organize/stripe-events/{record.pk}/dismiss/", {"note": "Refunded in the dashboard"}
    )
    record.refresh_from_db()
    assert (record.status, record.resolution) == (St.RESOLVED, "Refunded in the dashboard")


# --- 2. No gift known yet: parked, then applied when the gift is learned -----------------------


def test_an_event_for_a_payment_not_yet_known_is_parked_then_applied_when_learned(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    # A Checkout gift knows its session, not yet its PaymentIntent.
    donation = CardDonationFactory(stripe_payment_intent_id=None)
    early = shapes.dispute(donation, status="needs_response")
    early["payment_intent"] = "pi_learned_later"
    status, body = deliver(client, shapes.event("charge.dispute.created", early))
    assert (status, body) == (200, "parked: no gift is known for this payment yet")
    parked = StripeEvent.objects.get()
    assert (parked.status, parked.park_reason) == (St.PARKED, P.UNKNOWN_PAYMENT)
    assert parked.payment_intent_id == "pi_learned_later"
    paid = shapes.payment_intent(donation)
    paid["id"] = "pi_learned_later"
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, shapes.event("payment_intent.succeeded", paid))
    parked.refresh_from_db()
    assert parked.status == St.APPLIED
    gift = fresh(donation)
    assert gift.stripe_payment_intent_id == "pi_learned_later"
    assert gift.status == Donation.Status.DISPUTED


def test_the_beat_scan_tries_parked_unknown_payments_again() -> None:
    from django.utils import timezone

    from donations import services
    from donations.tasks import stripe_scan

    donation = CardDonationFactory(stripe_payment_intent_id=None)
    early = shapes.dispute(donation, status="needs_response")
    early["payment_intent"] = "pi_seen_by_the_scan"
    record = services.stripe_event_record(
        payload=shapes.event("charge.dispute.created", early), now=timezone.now()
    )
    assert record is not None
    services.stripe_event_process(record=record, now=timezone.now())
    Donation.objects.filter(pk=donation.pk).update(
        stripe_payment_intent_id="pi_seen_by_the_scan",
        status=Donation.Status.SUCCEEDED,
        succeeded_at=timezone.now(),
    )
    assert stripe_scan() == 1  # eager Celery in the tests: the re-application ran
    record.refresh_from_db()
    assert record.status == St.APPLIED
    assert fresh(donation).status == Donation.Status.DISPUTED


# --- 3. Any stored event can be re-applied from the admin, converging ------------------------


def test_the_admin_re_applies_events_and_it_converges(client: Client) -> None:
    donation = CardDonationFactory()
    deliver(client, succeeded(donation))
    deliver(client, refunded(donation, 500))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:donations_stripeevent_changelist")
    ids = [str(pk) for pk in StripeEvent.objects.values_list("pk", flat=True)]
    for _ in range(2):
        response = client.post(url, {"action": "reapply", ACTION_CHECKBOX_NAME: ids})
        assert response.status_code == 302
    gift = fresh(donation)
    assert (gift.status, gift.refunded_cents) == (Donation.Status.PARTIALLY_REFUNDED, 500)
    assert LedgerEntry.objects.filter(donation=donation).count() == 2
    assert ledger_sum(gift) == 2500 - (2500 * 290 + 5000) // 10000 - 30 - 500


def test_the_admin_re_applies_a_parked_event_once_its_gift_exists(client: Client) -> None:
    ghost = CardDonationFactory.build(pk=987654, stripe_payment_intent_id="pi_ghost")
    ghost.event = CardDonationFactory().event
    deliver(client, succeeded(ghost))
    record = StripeEvent.objects.get()
    assert record.status == St.PARKED
    donation = CardDonationFactory(event=ghost.event, stripe_payment_intent_id="pi_ghost")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.post(
        reverse("admin:donations_stripeevent_changelist"),
        {"action": "reapply", ACTION_CHECKBOX_NAME: [str(record.pk)]},
    )
    record.refresh_from_db()
    assert record.status == St.APPLIED
    assert fresh(donation).status == Donation.Status.SUCCEEDED


# --- 5. A gift is paid only by its own payment --------------------------------------------------


def test_an_event_for_another_payment_carrying_the_same_gift_id_is_parked(
    client: Client,
) -> None:
    donation = CardDonationFactory(stripe_payment_intent_id="pi_A")
    other = shapes.payment_intent(donation)
    other["id"] = "pi_B"  # same metadata, another PaymentIntent
    status, body = deliver(client, shapes.event("payment_intent.succeeded", other))
    assert status == 200
    assert body.startswith("parked:")
    record = StripeEvent.objects.get()
    assert (record.park_reason, record.donation) == (P.BOUND_ELSEWHERE, donation)
    gift = fresh(donation)
    assert (gift.status, gift.stripe_payment_intent_id) == (Donation.Status.PENDING, "pi_A")
    assert not LedgerEntry.objects.exists()


def test_a_payment_of_another_pledgeday_site_is_ignored(client: Client) -> None:
    donation = CardDonationFactory(stripe_payment_intent_id=None)
    theirs = shapes.payment_intent(donation)
    theirs["id"] = "pi_staging"
    theirs["metadata"]["pledgeday_instance"] = "staging.example.org"
    status, body = deliver(client, shapes.event("payment_intent.succeeded", theirs))
    assert status == 200
    assert "another site" in body
    assert StripeEvent.objects.get().status == St.IGNORED
    assert fresh(donation).status == Donation.Status.PENDING


def test_an_event_of_the_other_mode_is_ignored(client: Client) -> None:
    donation = CardDonationFactory()
    payload = succeeded(donation)
    payload["livemode"] = True  # this site runs test keys (here: the demo's)
    status, body = deliver(client, payload)
    assert status == 200
    assert "livemode" in body
    assert fresh(donation).status == Donation.Status.PENDING


def test_a_payment_without_our_metadata_is_not_ours(client: Client) -> None:
    donation = CardDonationFactory(stripe_payment_intent_id=None)
    legacy = shapes.payment_intent(donation)
    legacy["id"] = "pi_other_product"
    legacy["metadata"] = {"donation_id": str(donation.pk)}  # not our namespace
    status, body = deliver(client, shapes.event("payment_intent.succeeded", legacy))
    assert (status, body) == (200, "ignored: not a Pledgeday payment")
    assert fresh(donation).status == Donation.Status.PENDING


# --- 14. Malformed or unstorable bodies: 400 and a log line; only transient failures are 5xx ---


def _event_with(obj: object, **fields: object) -> dict:
    payload = shapes.event("payment_intent.succeeded", {"id": "pi_x"})
    payload["data"] = {"object": obj}
    payload.update(fields)
    return payload


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param([1, 2, 3], id="a JSON list"),
        pytest.param({"id": "evt_1", "data": {"object": {}}}, id="no type"),
        pytest.param({"type": "charge.refunded", "data": {"object": {}}}, id="no id"),
        pytest.param({"id": "evt_1", "type": "charge.refunded"}, id="no data"),
        pytest.param(_event_with("a string"), id="a string object"),
        pytest.param(
            shapes.event("charge.refunded", {"id": "ch_1", "amount_refunded": "12"}),
            id="a non-numeric amount_refunded",
        ),
        pytest.param(
            shapes.event("charge.refunded", {"id": "ch_1", "refunds": {"data": ["re_1"]}}),
            id="refunds that are not objects",
        ),
        pytest.param(
            shapes.event("payment_intent.succeeded", {"id": "pi_1", "amount": True}),
            id="a boolean amount",
        ),
        pytest.param(_event_with({"id": "pi_1"}, id="evt_" + "x" * 300), id="an id too long"),
        pytest.param(_event_with({"id": "pi_1", "description": "a\x00b"}), id="a NUL byte"),
        pytest.param(_event_with({"id": "pi_1"}, livemode="yes"), id="livemode not a bool"),
        pytest.param(
            shapes.event(
                "payment_intent.succeeded",
                {"id": "pi_1", "metadata": {"pledgeday_donation_id": "12; DROP"}},
            ),
            id="our donation id not a number",
        ),
    ],
)
def test_a_malformed_or_unstorable_body_is_refused_with_400_and_nothing_stored(
    client: Client, payload: object, caplog
) -> None:
    status, _body = deliver(client, payload)
    assert status == 400
    assert not StripeEvent.objects.exists()
    assert any("malformed" in r.getMessage() for r in caplog.records)


def test_a_lone_surrogate_or_nan_is_refused_with_400(client: Client) -> None:
    """A signed body whose text cannot be stored (half a character) or whose numbers are not
    JSON (NaN): refused, not a 500 or a false alert."""
    for raw in (
        b'{"id": "evt_\\ud800", "type": "customer.created", "data": {"object": {"id": "x"}}}',
        b'{"id": "evt_nan", "type": "customer.created", "data": {"object": {"n": NaN}}}',
    ):
        body, signature = raw, shapes.sign_bytes(raw)
        response = client.post(
            "/stripe/webhook/", body, content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )  # fmt: skip
        assert response.status_code == 400
    assert not StripeEvent.objects.exists()


# --- Payments in flight across the upgrade, Checkout's own completion -------------------------


def test_a_checkout_payment_started_before_the_upgrade_and_paid_after_it_is_recorded(
    client: Client,
) -> None:
    donation = CardDonationFactory(stripe_payment_intent_id=None)  # Checkout: bound on payment
    legacy = {"donation_id": str(donation.pk), "event": donation.event.slug}
    intent = shapes.payment_intent(donation, id="pi_legacy_1", metadata=legacy)
    status, body = deliver(client, shapes.event("payment_intent.succeeded", intent))
    assert (status, body) == (200, f"gift {donation.pk} is succeeded")
    assert fresh(donation).stripe_payment_intent_id == "pi_legacy_1"


def test_old_metadata_naming_another_pledge_day_is_not_taken_for_this_gift(
    client: Client,
) -> None:
    donation = CardDonationFactory(stripe_payment_intent_id=None)
    legacy = {"donation_id": str(donation.pk), "event": "some-other-day"}
    intent = shapes.payment_intent(donation, id="pi_legacy_2", metadata=legacy)
    deliver(client, shapes.event("payment_intent.succeeded", intent))
    assert StripeEvent.objects.get().status == St.PARKED
    assert fresh(donation).status == Donation.Status.PENDING


def test_checkout_completion_binds_the_payment_and_pays_the_gift(client: Client) -> None:
    donation = CardDonationFactory(stripe_payment_intent_id=None)
    session = shapes.shape(
        "checkout.session",
        id=donation.stripe_checkout_session_id,
        payment_intent="pi_from_checkout",
        payment_status="paid",
        amount_total=donation.total_cents,
        currency="usd",
        metadata=shapes.ours(donation),
    )
    status, body = deliver(client, shapes.event("checkout.session.completed", session))
    assert (status, body) == (200, f"gift {donation.pk} is succeeded")
    assert fresh(donation).stripe_payment_intent_id == "pi_from_checkout"
    # The PaymentIntent's own event, from another site's point of view, cannot take it back.
    intent = shapes.payment_intent(fresh(donation))
    intent["metadata"]["pledgeday_instance"] = "renamed.example.org"
    deliver(client, shapes.event("payment_intent.succeeded", intent))
    assert StripeEvent.objects.filter(status=St.APPLIED).count() == 2


def test_refunding_a_parked_payment_leaves_nothing_needing_attention(
    client: Client, fake_stripe: FakeStripe
) -> None:
    from django.utils import timezone

    from donations import selectors, services

    donation = CardDonationFactory(stripe_payment_intent_id=None)
    intent = shapes.payment_intent(
        donation, id="pi_other_amount", amount=3000, amount_received=3000
    )
    deliver(client, shapes.event("payment_intent.succeeded", intent))
    record = StripeEvent.objects.get(status=St.PARKED)
    refund = shapes.refund(
        donation, 3000, number=9, payment_intent="pi_other_amount",
        metadata={"pledgeday_parked_event": record.stripe_id},
    )  # fmt: skip
    fake_stripe.answer("post", "/v1/refunds", refund)
    services.stripe_event_refund(record=record, by=UserFactory(), now=timezone.now())
    # What every refund produces afterwards:
    charge = shapes.charge(
        donation, payment_intent="pi_other_amount", amount=3000, amount_refunded=3000,
        refunds={"object": "list", "data": [refund], "has_more": False},
    )  # fmt: skip
    deliver(client, shapes.event("charge.refunded", charge))
    deliver(client, shapes.event("refund.created", refund))
    assert not StripeEvent.objects.filter(status=St.PARKED).exists()
    assert selectors.event_attention_count(event=donation.event) == 0


def test_a_charge_of_another_product_on_the_account_is_ignored(client: Client) -> None:
    donation = CardDonationFactory.build(pk=424242, stripe_payment_intent_id="pi_shop")
    donation.event = CardDonationFactory().event
    charge = shapes.charge(donation, 500, metadata={"order": "A-17"})
    status, body = deliver(client, shapes.event("charge.refunded", charge))
    assert (status, body) == (200, "ignored: not a Pledgeday payment")


def test_accepting_the_amount_also_applies_the_other_parked_events_of_that_payment(
    client: Client,
) -> None:
    donation = CardDonationFactory(stripe_payment_intent_id=None)
    session = shapes.shape(
        "checkout.session", id=donation.stripe_checkout_session_id, payment_intent="pi_31",
        payment_status="paid", amount_total=3100, currency="usd", metadata=shapes.ours(donation),
    )  # fmt: skip
    deliver(client, shapes.event("checkout.session.completed", session))
    intent = shapes.payment_intent(donation, id="pi_31", amount=3100, amount_received=3100)
    deliver(client, shapes.event("payment_intent.succeeded", intent))
    assert StripeEvent.objects.filter(status=St.PARKED).count() == 2
    first = StripeEvent.objects.filter(status=St.PARKED).order_by("received_at").first()
    finance_client(client, donation).post(f"/organize/stripe-events/{first.pk}/accept/")
    assert not StripeEvent.objects.filter(status=St.PARKED).exists()
    gift = fresh(donation)
    assert (gift.status, gift.total_cents, gift.stripe_payment_intent_id) == (
        Donation.Status.SUCCEEDED,
        3100,
        "pi_31",
    )
    assert LedgerEntry.objects.filter(donation=donation, kind="gift").count() == 1
