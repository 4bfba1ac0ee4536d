"""Every write to the shared core: keyword-only functions, each one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from events.models import Event, EventPartner, Organization
from events.money import BASIS_POINTS_WHOLE, basis_points_format

# Shares may change until money can arrive; after that the split must stay what donors saw.
SHARES_EDITABLE_STATUSES = (Event.Status.DRAFT, Event.Status.PUBLISHED)


def _shares_validate(*, shares: Sequence[tuple[Organization, int]], require_whole: bool) -> None:
    organization_ids = [organization.pk for organization, _share in shares]
    if len(set(organization_ids)) != len(organization_ids):
        raise ValidationError(_("Each partner organization can be listed only once."))
    for organization, share_bp in shares:
        if not 1 <= share_bp <= BASIS_POINTS_WHOLE:
            raise ValidationError(
                _("The share of %(organization)s must be between 0.01%% and 100%%.")
                % {"organization": organization}
            )
    total = sum(share_bp for _organization, share_bp in shares)
    if total > BASIS_POINTS_WHOLE:
        raise ValidationError(
            _("The partner shares add up to %(total)s; they cannot exceed 100%%.")
            % {"total": basis_points_format(total)}
        )
    if require_whole and total != BASIS_POINTS_WHOLE:
        raise ValidationError(
            _("The partner shares add up to %(total)s; a published pledge day needs exactly 100%%.")
            % {"total": basis_points_format(total)}
        )


@transaction.atomic
def event_partners_replace(
    *, event: Event, shares: Sequence[tuple[Organization, int]]
) -> list[EventPartner]:
    """Set an event's partner organizations and shares (basis points) in one step."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status not in SHARES_EDITABLE_STATUSES:
        raise ValidationError(
            _("The partner shares of a pledge day that is live or closed cannot change.")
        )
    _shares_validate(shares=shares, require_whole=event.status != Event.Status.DRAFT)
    EventPartner.objects.filter(event=event).delete()
    # Inserted one by one: the database checks the running total after each row.
    return [
        EventPartner.objects.create(event=event, organization=organization, share_bp=share_bp)
        for organization, share_bp in shares
    ]


@transaction.atomic
def event_publish(*, event: Event) -> Event:
    """Make a draft event public; its partner shares must add up to exactly 100%."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != Event.Status.DRAFT:
        raise ValidationError(_("Only a draft pledge day can be published."))
    shares = [(p.organization, p.share_bp) for p in event.partners.select_related("organization")]
    if not shares:
        raise ValidationError(
            _("Add the partner organizations and their shares before publishing.")
        )
    _shares_validate(shares=shares, require_whole=True)
    event.status = Event.Status.PUBLISHED
    event.save(update_fields=["status", "updated_at"])
    return event


@transaction.atomic
def events_advance_status(*, now: datetime) -> int:
    """Turn published events whose window has begun into live ones; returns how many changed."""
    return (
        Event.objects.select_for_update()
        .filter(status=Event.Status.PUBLISHED, starts_at__lte=now)
        .update(status=Event.Status.LIVE, updated_at=now)
    )
