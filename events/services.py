"""Every write to the shared core: keyword-only functions, each one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from events.models import Corner, Event, EventPartner, Organization, Shift
from events.money import BASIS_POINTS_WHOLE, basis_points_format
from events.selectors import event_has_gifts

# Shares may change until money can arrive; after that the split must stay what donors saw.
SHARES_EDITABLE_STATUSES = (Event.Status.DRAFT, Event.Status.PUBLISHED)
# What a gift was given under: none of these may change once the event has a gift.
MONEY_SETTINGS = (
    "currency",
    "card_fee_bp",
    "card_fee_fixed_cents",
    "minimum_gift_cents",
    "fiscal_host",
)


def event_shares_frozen_reason(*, event: Event) -> str:
    """Why the partner shares of this event can no longer change, or "" if they can.

    Shares change only in draft or published events that have no gift yet: a gift already given
    (designated to a partner or shared by the shares) must be split as the donor saw it.
    """
    if event.status not in SHARES_EDITABLE_STATUSES:
        return _("The partner shares of a pledge day that is live or closed cannot change.")
    if event_has_gifts(event=event):
        return _(
            "Gifts were already made under these partner shares, so the partners and their "
            "shares can no longer change."
        )
    return ""


def event_shares_validate(
    *, shares: Sequence[tuple[Organization, int]], require_whole: bool
) -> None:
    """The rules for a set of partner shares (basis points); also used by the admin's formset."""
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
    """Set an event's partner organizations and shares (basis points) in one step.

    Rows that stay keep their ids; the writes are ordered (removals, decreases, increases,
    additions) so that the running total the database checks never passes the final one.
    """
    # The lock waits for any gift being inserted (its foreign key holds a share lock on the event
    # row), so a gift committed before this point is seen below, and one after sees new shares.
    event = Event.objects.select_for_update().get(pk=event.pk)
    frozen = event_shares_frozen_reason(event=event)
    if frozen:
        raise ValidationError(frozen, code="frozen")
    event_shares_validate(shares=shares, require_whole=event.status != Event.Status.DRAFT)
    wanted = {organization.pk: share_bp for organization, share_bp in shares}
    existing = {p.organization_id: p for p in EventPartner.objects.filter(event=event)}
    EventPartner.objects.filter(event=event).exclude(organization_id__in=wanted).delete()
    changed = [
        (partner, wanted[org_id])
        for org_id, partner in existing.items()
        if org_id in wanted and partner.share_bp != wanted[org_id]
    ]
    for partner, share_bp in sorted(changed, key=lambda item: item[1] - item[0].share_bp):
        partner.share_bp = share_bp
        partner.save(update_fields=["share_bp"])
    for organization, share_bp in shares:
        if organization.pk not in existing:
            EventPartner.objects.create(event=event, organization=organization, share_bp=share_bp)
    return list(EventPartner.objects.filter(event=event).select_related("organization"))


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
    event_shares_validate(shares=shares, require_whole=True)
    event.status = Event.Status.PUBLISHED
    event.save(update_fields=["status", "updated_at"])
    return event


def event_money_settings_frozen(*, event: Event, changed: Iterable[str]) -> str:
    """Why these changed settings cannot be saved (the event already has gifts, or payouts
    computed under its fee policy), or ""."""
    if "fee_policy" in changed and event.pk is not None and event.payout_runs.exists():
        return _("The payouts were computed under this fee policy; it can no longer change.")
    frozen = sorted(set(changed) & set(MONEY_SETTINGS))
    if not frozen or event.pk is None or not event_has_gifts(event=event):
        return ""
    names = ", ".join(
        str(getattr(Event._meta.get_field(name), "verbose_name", name)) for name in frozen
    )
    return _(
        "This pledge day already has gifts, so its currency, card fee, minimum gift and fiscal "
        "host can no longer change (%(fields)s)."
    ) % {"fields": names}


@transaction.atomic
def event_save(*, event: Event, changed: Iterable[str]) -> Event:
    """Create an event, or save the named fields of an existing one (the admin's writes).

    Status is never set here (publish and the beat scan move it). Money settings are refused
    once a gift exists: each gift was given, netted and receipted under them.
    """
    changed = [name for name in changed if name not in ("status", "closed_at")]
    if event.pk is None:
        event.status = Event.Status.DRAFT
        event.full_clean()
        event.save()
        return event
    # The row lock waits for a gift being inserted, so the check below sees it.
    current = Event.objects.select_for_update().get(pk=event.pk)
    really_changed = [name for name in changed if getattr(current, name) != getattr(event, name)]
    frozen = event_money_settings_frozen(event=current, changed=really_changed)
    if frozen:
        raise ValidationError(frozen, code="frozen")
    event.status, event.closed_at = current.status, current.closed_at
    event.full_clean()
    event.save(update_fields=[*really_changed, "updated_at"] if really_changed else ["updated_at"])
    return event


@transaction.atomic
def events_advance_status(*, now: dt.datetime) -> dict[str, int]:
    """The beat scan: published events whose window has begun become live, and events whose
    end plus grace period has passed close (bucket links stop taking gifts). Returns counts.
    """
    # Plain UPDATEs: the row locks they take are all the serialization this needs.
    live = Event.objects.filter(status=Event.Status.PUBLISHED, starts_at__lte=now).update(
        status=Event.Status.LIVE, updated_at=now
    )
    ended = Event.objects.filter(
        status__in=(Event.Status.PUBLISHED, Event.Status.LIVE), ends_at__lte=now
    ).only("pk", "ends_at", "grace_hours")  # few at any time: the grace is applied here
    closing = [event.pk for event in ended if event.closes_at <= now]
    closed = Event.objects.filter(
        pk__in=closing, status__in=(Event.Status.PUBLISHED, Event.Status.LIVE)
    ).update(status=Event.Status.CLOSED, closed_at=now, updated_at=now)
    return {"live": live, "closed": closed}


# --- Shifts ---------------------------------------------------------------------------------


@transaction.atomic
def shifts_bulk_create(
    *,
    corner: Corner,
    day: dt.date,
    first_start: dt.time,
    last_end: dt.time,
    length_hours: int,
    capacity: int,
    min_volunteers: int,
) -> list[Shift]:
    """Back-to-back shifts, e.g. every 3 hours from 7:00 to 19:00; existing times are skipped."""
    if length_hours < 1:
        raise ValidationError(_("A shift lasts at least one hour."), code="length")
    if not 1 <= min_volunteers <= capacity:
        raise ValidationError(
            _("The minimum must be at least 1 and no more than the capacity."), code="minimum"
        )
    zone = corner.event.tzinfo
    start = dt.datetime.combine(day, first_start, tzinfo=zone)
    end_of_day = dt.datetime.combine(day, last_end, tzinfo=zone)
    if end_of_day <= start:
        raise ValidationError(
            _("The last shift must end after the first one starts."), code="order"
        )
    step = dt.timedelta(hours=length_hours)
    created = []
    while start + step <= end_of_day:
        shift, made = Shift.objects.get_or_create(
            corner=corner,
            starts_at=start,
            ends_at=start + step,
            defaults={"capacity": capacity, "min_volunteers": min_volunteers},
        )
        if made:
            created.append(shift)
        start += step
    if not created and start == dt.datetime.combine(day, first_start, tzinfo=zone):
        raise ValidationError(_("No shift fits between those times."), code="nothing_fits")
    return created


@transaction.atomic
def corner_shifts_copy(*, source: Corner, target: Corner) -> list[Shift]:
    """Give the target corner the same shift times, capacities and minimums as the source."""
    if source.event_id != target.event_id or source.pk == target.pk:
        raise ValidationError(
            _("Shifts can be copied only to another corner of the same pledge day."), code="target"
        )
    created = []
    for shift in source.shifts.all():
        copy, made = Shift.objects.get_or_create(
            corner=target,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            defaults={"capacity": shift.capacity, "min_volunteers": shift.min_volunteers},
        )
        if made:
            created.append(copy)
    return created
