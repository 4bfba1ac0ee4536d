"""Money settings cannot change under money already taken: partner shares and the partner list,
the currency, the card fee, the minimum gift and the fiscal host freeze with the first gift;
and an event's minimum can never be below what Stripe accepts (issue 7, scenarios 8, 9, 16)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from donations.models import Donation
from events import services
from events.models import Event, EventPartner
from tests.events.test_admin import change_form_data, current_partners
from tests.factories import (
    CardDonationFactory,
    EventFactory,
    UserFactory,
    published_event,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


# --- 8. Partner shares freeze with the first gift ----------------------------------------------


def test_shares_can_change_on_a_published_event_without_gifts() -> None:
    event = published_event()
    a, b = (p.organization for p in event.partners.order_by("pk"))
    services.event_partners_replace(event=event, shares=[(a, 5000), (b, 5000)])
    assert sorted(event.partners.values_list("share_bp", flat=True)) == [5000, 5000]


def test_a_partner_with_a_designated_gift_cannot_be_removed() -> None:
    event = published_event()
    kept, designated = (p.organization for p in event.partners.order_by("pk"))
    CardDonationFactory(event=event, designated_to=designated)
    with pytest.raises(ValidationError) as refused:
        services.event_partners_replace(event=event, shares=[(kept, 10000)])
    assert refused.value.code == "frozen"
    assert "Gifts were already made under these partner shares" in refused.value.messages[0]
    assert event.partners.filter(organization=designated).exists()


def test_even_a_pending_card_gift_freezes_the_shares() -> None:
    event = published_event()
    CardDonationFactory(event=event)  # pending: it may still be paid
    a, b = (p.organization for p in event.partners.order_by("pk"))
    with pytest.raises(ValidationError):
        services.event_partners_replace(event=event, shares=[(a, 5000), (b, 5000)])


def test_the_admin_says_why_shares_of_an_event_with_gifts_cannot_change(
    admin_client: Client,
) -> None:
    event = published_event()
    CardDonationFactory(event=event)
    (a, _sa, pa), (b, _sb, pb) = current_partners(event)
    data = change_form_data(event, [(a, 3000, pa), (b, 7000, pb)])
    response = admin_client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 200
    assert "Gifts were already made under these partner shares" in response.content.decode()
    assert sorted(EventPartner.objects.filter(event=event).values_list("share_bp", flat=True)) == [
        4000,
        6000,
    ]


# --- 9. Currency, fee, minimum and fiscal host freeze with the first gift -------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("card_fee_bp", 350),
        ("card_fee_fixed_cents", 50),
        ("minimum_gift_cents", 1000),
        ("currency", "cad"),
    ],
)
def test_the_admin_refuses_changing_money_settings_once_gifts_exist(
    admin_client: Client, field: str, value: object
) -> None:
    event = published_event()
    CardDonationFactory(event=event)
    data = change_form_data(event, current_partners(event))
    data[field] = value
    response = admin_client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 200
    assert "already has gifts" in response.content.decode()
    assert getattr(Event.objects.get(pk=event.pk), field) != value


def test_the_service_refuses_money_settings_once_gifts_exist_whatever_calls_it() -> None:
    event = published_event()
    CardDonationFactory(event=event)
    event.card_fee_bp = 350
    with pytest.raises(ValidationError) as refused:
        services.event_save(event=event, changed=["card_fee_bp"])
    assert refused.value.code == "frozen"
    assert Event.objects.get(pk=event.pk).card_fee_bp == 290


def test_other_settings_still_change_after_gifts(admin_client: Client) -> None:
    event = published_event()
    CardDonationFactory(event=event)
    data = change_form_data(event, current_partners(event))
    data["grace_hours"] = 48
    response = admin_client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 302
    saved = Event.objects.get(pk=event.pk)
    assert (saved.story, saved.grace_hours, saved.status) == ("An edited story.", 48, "published")


def test_money_settings_change_freely_before_any_gift(admin_client: Client) -> None:
    event = published_event()
    data = change_form_data(event, current_partners(event))
    data["card_fee_bp"] = 350
    response = admin_client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 302
    assert Event.objects.get(pk=event.pk).card_fee_bp == 350


def test_the_admin_never_sets_the_status_of_an_event(admin_client: Client) -> None:
    event = EventFactory()
    data = change_form_data(event, [])
    data["status"] = "live"
    admin_client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert Event.objects.get(pk=event.pk).status == Event.Status.DRAFT


# --- 16. Stripe's minimum charge per currency ---------------------------------------------------


def test_the_database_refuses_a_minimum_below_stripes_for_the_currency() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        EventFactory(currency="mxn", minimum_gift_cents=500)


def test_the_admin_explains_stripes_minimum_for_pesos(admin_client: Client) -> None:
    event = EventFactory()
    data = change_form_data(event, [])
    data["currency"] = "mxn"
    response = admin_client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 200
    assert "Stripe accepts no card payment under MX$10.00 in this currency." in (
        response.content.decode()
    )


def test_a_peso_event_refuses_a_five_peso_gift(client: Client) -> None:
    from tests.factories import BucketFactory

    event = published_event(currency="mxn", minimum_gift_cents=1000)
    bucket = BucketFactory(event=event)
    response = client.post(f"/g/{bucket.token}", {"custom": "5"})
    assert response.status_code == 400
    assert "The smallest gift online is MX$10.00." in response.content.decode()
    assert not Donation.objects.exists()


def test_a_dollar_minimum_below_stripes_is_refused_too() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        EventFactory(minimum_gift_cents=49)
    assert EventFactory(minimum_gift_cents=50).minimum_gift_cents == 50


def test_the_fee_policy_is_frozen_once_payouts_were_computed(admin_client: Client) -> None:
    from django.utils import timezone

    from payouts import services as payouts

    event = published_event()
    data = change_form_data(event, current_partners(event))
    data["fee_policy"] = "pool"
    url = reverse("admin:events_event_change", args=[event.pk])
    assert admin_client.post(url, data).status_code == 302  # no payouts yet: it may change
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED)
    payouts.payouts_compute(event_id=event.pk, now=timezone.now())
    data = change_form_data(Event.objects.get(pk=event.pk), current_partners(event))
    data["fee_policy"] = "own"
    refused = admin_client.post(url, data)
    assert "it can no longer change" in refused.content.decode()
    assert Event.objects.get(pk=event.pk).fee_policy == "pool"
