"""The admin goes through the same rules as the services, and bad input is a form error."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from events.models import Event, EventPartner, Shift
from tests.factories import (
    EventFactory,
    OrganizationFactory,
    ShiftFactory,
    UserFactory,
    published_event,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def change_form_data(event: Event, partners: list[tuple[int, int, int | None]]) -> dict:
    """POST data for the event change page; partners are (organization, share, row id)."""
    data = {
        "title": event.title,
        "slug": event.slug,
        "story": "An edited story.",
        "starts_at_0": "2031-01-11",
        "starts_at_1": "07:00:00",
        "ends_at_0": "2031-01-11",
        "ends_at_1": "19:00:00",
        "timezone": event.timezone,
        "goal_cents": event.goal_cents,
        "currency": event.currency,
        "fiscal_host": event.fiscal_host_id,
        "minimum_gift_cents": event.minimum_gift_cents,
        "suggested_amounts_cents": "[1000, 2500]",
        "minimum_volunteer_age": 16,
        "cancellation_cutoff_hours": 3,
        "max_consecutive_hours": 6,
        "waiver_version": 1,
        "card_fee_bp": 290,
        "card_fee_fixed_cents": 30,
        "fee_policy": event.fee_policy,
        "reminder_hours": "[24, 2]",
        "grace_hours": 24,
        "maximum_gift_cents": event.maximum_gift_cents,
        "maximum_offline_cents": event.maximum_offline_cents,
        "partners-TOTAL_FORMS": len(partners),
        "partners-INITIAL_FORMS": sum(1 for *_x, pk in partners if pk),
        "partners-MIN_NUM_FORMS": 0,
        "partners-MAX_NUM_FORMS": 1000,
        "corners-TOTAL_FORMS": 0,
        "corners-INITIAL_FORMS": 0,
        "corners-MIN_NUM_FORMS": 0,
        "corners-MAX_NUM_FORMS": 1000,
    }
    for i, (organization, share, pk) in enumerate(partners):
        data[f"partners-{i}-organization"] = organization
        data[f"partners-{i}-share_bp"] = share
        data[f"partners-{i}-event"] = event.pk
        if pk:
            data[f"partners-{i}-id"] = pk
    return data


def current_partners(event: Event) -> list[tuple[int, int, int | None]]:
    return [(p.organization_id, p.share_bp, p.pk) for p in event.partners.order_by("pk")]


def test_editing_a_live_events_story_keeps_its_partner_rows(admin_client: Client) -> None:
    event = published_event()
    Event.objects.filter(pk=event.pk).update(status=Event.Status.LIVE)
    ids = sorted(event.partners.values_list("pk", flat=True))
    url = reverse("admin:events_event_change", args=[event.pk])
    response = admin_client.post(url, change_form_data(event, current_partners(event)))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Event.objects.get(pk=event.pk).story == "An edited story."
    assert sorted(event.partners.values_list("pk", flat=True)) == ids


def test_shares_over_100_percent_are_a_form_error_in_the_admin(admin_client: Client) -> None:
    event = EventFactory()
    data = change_form_data(
        event, [(OrganizationFactory().pk, 6000, None), (OrganizationFactory().pk, 6000, None)]
    )
    response = admin_client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 200
    assert "cannot exceed 100%" in response.content.decode()
    assert not EventPartner.objects.filter(event=event).exists()


def test_moving_share_between_partners_in_the_admin_keeps_rows(admin_client: Client) -> None:
    event = published_event()
    (a, _sa, pa), (b, _sb, pb) = current_partners(event)
    data = change_form_data(event, [(a, 3000, pa), (b, 7000, pb)])
    response = admin_client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 302
    assert current_partners(event) == [(a, 3000, pa), (b, 7000, pb)]


def test_the_publish_action_explains_a_refusal(admin_client: Client) -> None:
    event = EventFactory()
    response = admin_client.post(
        reverse("admin:events_event_changelist"),
        {"action": "publish", "_selected_action": [event.pk]},
        follow=True,
    )
    assert "Add the partner organizations" in response.content.decode()
    assert Event.objects.get(pk=event.pk).status == Event.Status.DRAFT


def test_suggested_amounts_must_be_whole_cents(admin_client: Client) -> None:
    event = EventFactory()
    data = change_form_data(event, [])
    data["suggested_amounts_cents"] = '[10.5, "abc"]'
    response = admin_client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 200
    assert "whole cents" in response.content.decode()


def test_lowering_capacity_below_the_confirmed_volunteers_is_a_form_error(
    admin_client: Client,
) -> None:
    shift = ShiftFactory(capacity=4, confirmed_count=3)
    response = admin_client.post(
        reverse("admin:events_shift_change", args=[shift.pk]),
        {
            "corner": shift.corner_id,
            "starts_at_0": "2031-01-11",
            "starts_at_1": "07:00:00",
            "ends_at_0": "2031-01-11",
            "ends_at_1": "10:00:00",
            "capacity": 2,
            "min_volunteers": 2,
        },
    )
    assert response.status_code == 200
    assert "already confirmed" in response.content.decode()
    assert Shift.objects.get(pk=shift.pk).capacity == 4


def test_the_admin_sign_in_goes_through_allauth(client: Client) -> None:
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
