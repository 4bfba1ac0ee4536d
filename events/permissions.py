"""Who may organize what: the one place that answers it, and the one decorator every organizer
page goes through (tests/config/test_organizer_urls.py walks the URL map to prove it)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase

from events.models import Event, Membership, Organization

ORGANIZING_ROLES = (Membership.Role.LEAD, Membership.Role.ORGANIZER)
MONEY_ROLES = (Membership.Role.LEAD, Membership.Role.ORGANIZER, Membership.Role.FINANCE)
# Decisions about money already taken (refunds, voids, resolving parked payments).
FINANCE_ROLES = (Membership.Role.LEAD, Membership.Role.FINANCE)

Person = AbstractBaseUser | AnonymousUser
Permission = Callable[[Person, Event], bool]
T = TypeVar("T")
R = TypeVar("R", bound=HttpResponseBase)  # a page, or a streamed file


def event_roles(user: Person, event: Event) -> frozenset[str]:
    """The roles the person holds on the event itself or on the organization that hosts it.

    One query, remembered on the user object: a request's user is loaded for that request, so a
    page that asks several questions (may they see it, may they see the donors) asks the
    database once, and a role granted or revoked counts from the next request."""
    if not user.is_authenticated:
        return frozenset()
    memo: dict[int, frozenset[str]] = user.__dict__.setdefault("_pledgeday_event_roles", {})
    if event.pk not in memo:
        memo[event.pk] = frozenset(
            Membership.objects.filter(
                Q(event=event) | Q(organization_id=event.fiscal_host_id), user_id=user.pk
            ).values_list("role", flat=True)
        )
    return memo[event.pk]


def _has_role(user: Person, event: Event, roles: tuple[str, ...]) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return not event_roles(user, event).isdisjoint(roles)


def user_can_organize_event(user: Person, event: Event) -> bool:
    """Superusers, organizers of the event, and leads or organizers of its fiscal host."""
    return _has_role(user, event, ORGANIZING_ROLES)


def user_can_handle_money(user: Person, event: Event) -> bool:
    """Organizers, and the finance role: gifts, cash counts, checks, bucket labels."""
    return _has_role(user, event, MONEY_ROLES)


def user_can_manage_finances(user: Person, event: Event) -> bool:
    """Leads and the finance role: refunds, voids, and payments that need a decision."""
    return _has_role(user, event, FINANCE_ROLES)


def user_can_lead_event(user: Person, event: Event) -> bool:
    """Leads only: closing the pledge day."""
    return _has_role(user, event, (Membership.Role.LEAD,))


def event_by_slug(slug: str) -> tuple[Event, Event]:
    """The loader of organizer pages whose URL names the event itself."""
    event = Event.objects.select_related("fiscal_host").filter(slug=slug).first()
    if event is None:
        raise Http404
    return event, event


def _guarded(
    load: Callable[..., tuple[Any, Any]],
    allowed: Callable[[Person, Any, Any], bool],
    *,
    pass_both: bool,
    mark: tuple[str, object],
) -> Callable[[Callable[..., R]], Callable[..., R | HttpResponseRedirect]]:
    """The body of organizer_view and partner_view: sign in first, load what the URL names
    (404 when missing), `allowed(user, *loaded)` or 403, then the view."""
    accepted = set(inspect.signature(load).parameters)

    def decorator(view: Callable[..., R]) -> Callable[..., R | HttpResponseRedirect]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, **kwargs: Any) -> R | HttpResponseRedirect:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            first, second = load(**{k: v for k, v in kwargs.items() if k in accepted})
            if not allowed(request.user, first, second):
                raise PermissionDenied
            rest = {k: v for k, v in kwargs.items() if k not in accepted}
            if pass_both:
                return view(request, first, second, **rest)
            return view(request, first, **rest)

        setattr(wrapped, *mark)
        return wrapped

    return decorator


def organizer_view(
    permission: Permission, load: Callable[..., tuple[T, Event]]
) -> Callable[[Callable[..., R]], Callable[..., R | HttpResponseRedirect]]:
    """The decorator of every organizer page.

    Anonymous people are sent to sign in. `load` takes the URL's keyword arguments it names,
    returns the object the URL points at and the event it belongs to, and raises Http404 when
    there is none; `permission(user, event)` must hold, else 403. The view is then called as
    `view(request, obj, **other_url_kwargs)`.
    """
    return _guarded(
        load,
        lambda user, _obj, event: permission(user, event),
        pass_both=False,
        mark=("organizer_permission", permission),
    )


# --- Partner organizations' own pages ----------------------------------------------------------

# Who of a partner may connect its Stripe account (staff may read its statements).
PARTNER_MONEY_ROLES = (Membership.Role.LEAD, Membership.Role.FINANCE)


def organization_roles(user: Person, organization: Organization) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    return frozenset(
        Membership.objects.filter(organization=organization, user_id=user.pk).values_list(
            "role", flat=True
        )
    )


def user_can_connect_stripe(user: Person, organization: Organization) -> bool:
    """Superusers, and the organization's lead or finance role: its Stripe account."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return not organization_roles(user, organization).isdisjoint(PARTNER_MONEY_ROLES)


def user_is_partner_member(user: Person, organization: Organization, event: Event | None) -> bool:
    """Members of the organization (any role), superusers, and — for a pledge day's statement
    — that day's leads and finance role."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False) or organization_roles(user, organization):
        return True
    return event is not None and user_can_manage_finances(user, event)


def partner_view(
    load: Callable[..., tuple[Organization, Event | None]],
) -> Callable[[Callable[..., R]], Callable[..., R | HttpResponseRedirect]]:
    """The decorator of every page under partners/: as organizer_view, for an organization's
    members (`load` returns the organization and the pledge day the page is about, if any).
    The view is called as `view(request, organization, event, **other_url_kwargs)`."""
    return _guarded(
        load,
        user_is_partner_member,
        pass_both=True,
        mark=("partner_permission", user_is_partner_member),
    )
