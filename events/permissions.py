"""Who may organize what: the one place that answers it."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q

from events.models import Event, Membership

ORGANIZING_ROLES = (Membership.Role.LEAD, Membership.Role.ORGANIZER)
MONEY_ROLES = (Membership.Role.LEAD, Membership.Role.ORGANIZER, Membership.Role.FINANCE)


def _has_role(user: AbstractBaseUser | AnonymousUser, event: Event, roles: tuple[str, ...]) -> bool:
    """A role on the event itself, or on the organization that hosts it (one query)."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(
        Q(event=event) | Q(organization_id=event.fiscal_host_id), user_id=user.pk, role__in=roles
    ).exists()


def user_can_organize_event(user: AbstractBaseUser | AnonymousUser, event: Event) -> bool:
    """Superusers, organizers of the event, and leads or organizers of its fiscal host."""
    return _has_role(user, event, ORGANIZING_ROLES)


def user_can_handle_money(user: AbstractBaseUser | AnonymousUser, event: Event) -> bool:
    """Organizers, and the finance role: gifts, refunds, cash counts, checks, bucket labels."""
    return _has_role(user, event, MONEY_ROLES)
