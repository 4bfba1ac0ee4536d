"""Where a person with a role goes to organize: their organizer and partner pages, for the
header's "Organize" link and the home page (the template context processor `organizing`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from events.models import Event, Membership, Organization
from events.permissions import MONEY_ROLES, ORGANIZING_ROLES, Person

# A person's list stays short: the most recent pledge days first.
MAX_EVENTS = 8


@dataclass(frozen=True)
class OrganizerPlace:
    """One organizer page a person may open: a pledge day's, or a partner organization's."""

    url: str
    event: Event | None = None
    organization: Organization | None = None


def organizer_places(user: Person) -> list[OrganizerPlace]:
    """The pledge days the person organizes (their dashboard, or the gifts page for the finance
    role) and the partner organizations they belong to (its page), as the permissions in
    events.permissions grant them. Superusers get the pledge days that have not closed."""
    if not user.is_authenticated:
        return []
    memberships = list(
        Membership.objects.filter(user_id=user.pk).values_list(
            "role", "event_id", "organization_id"
        )
    )
    superuser = getattr(user, "is_superuser", False)
    if not memberships and not superuser:
        return []
    organizing: set[int] = set()  # event ids with a dashboard
    money: set[int] = set()  # event ids with the gifts page
    host_roles: dict[int, set[str]] = {}
    for role, event_id, organization_id in memberships:
        if event_id:
            if role in ORGANIZING_ROLES:
                organizing.add(event_id)
            elif role in MONEY_ROLES:
                money.add(event_id)
        else:
            host_roles.setdefault(organization_id, set()).add(role)
    hosts_organized = [o for o, roles in host_roles.items() if roles & set(ORGANIZING_ROLES)]
    hosts_money = [o for o, roles in host_roles.items() if roles & set(MONEY_ROLES)]
    condition = Q(pk__in=organizing | money) | Q(fiscal_host_id__in=hosts_money)
    if superuser:
        condition |= ~Q(status=Event.Status.CLOSED)
    events = Event.objects.filter(condition).order_by("-starts_at")[:MAX_EVENTS]
    places = []
    for event in events:
        if superuser or event.pk in organizing or event.fiscal_host_id in hosts_organized:
            url = reverse("volunteers:organize", args=[event.slug])
        else:
            url = reverse("donations:organize_list", args=[event.slug])
        places.append(OrganizerPlace(url=url, event=event))
    for organization in Organization.objects.filter(pk__in=host_roles).order_by("name"):
        places.append(
            OrganizerPlace(
                url=reverse("payouts:organization", args=[organization.slug]),
                organization=organization,
            )
        )
    return places


def organize_url(places: list[OrganizerPlace]) -> str:
    """The header's "Organize" link: the one page there is, else the home page's list."""
    if len(places) == 1:
        return places[0].url
    return reverse("events:home") + "#organize"


def organizing(request: HttpRequest) -> dict[str, Any]:
    """`organizing`: the person's organizer places, and `organize_url`; queried only when a
    template uses them (once per request)."""
    places = SimpleLazyObject(lambda: organizer_places(request.user))
    return {
        "organizing": places,
        "organize_url": SimpleLazyObject(lambda: organize_url(list(places))),
    }
