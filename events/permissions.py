"""Who may organize what: the one place that answers it."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from events.models import Event, Membership

ORGANIZING_ROLES = (Membership.Role.LEAD, Membership.Role.ORGANIZER)


def user_can_organize_event(user: AbstractBaseUser | AnonymousUser, event: Event) -> bool:
    """Superusers, organizers of the event, and leads or organizers of its fiscal host."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return (
        Membership.objects.filter(user_id=user.pk, role__in=ORGANIZING_ROLES, event=event).exists()
        or Membership.objects.filter(
            user_id=user.pk, role__in=ORGANIZING_ROLES, organization_id=event.fiscal_host_id
        ).exists()
    )
