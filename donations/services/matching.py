"""Matching pledges: sponsors who match gifts, and the matched money per partner organization.

When a gift is paid, each of the event's pledges it qualifies for takes its match from the
pledge's cap: the ratio times the gift (for a pledge of one partner, the part of the gift that
partner gets), or what is left of the cap. A pledge qualifies by its window (holding the moment
the gift was started: what the donor was shown), its corner, its partner, card only, first-time
donors only. The cap is decided under the pledge's row lock, and the database refuses a pledge
over its cap. Credits per partner follow the gift's split; a refund, a void or a lost dispute
takes back its share of the match (the room it took under the cap stays used). Everything runs
in the ledger's transaction, under the gift's row lock, and adds to the tallies' `match_cents`.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from donations.models import Donation, MatchClaim, MatchCredit, MatchPledge
from donations.services.allocations import Split, split_cents
from donations.services.states import DISPUTE_LOST, S
from donations.services.tallies import GiftFacts, match_change_record
from events.models import EventPartner
from events.money import cents_format

PLEDGES_CACHE_SECONDS = 300


def _pledges_key(event_id: int) -> str:
    return f"match-pledges:v1:{event_id}"


def event_pledges(event_id: int) -> list[MatchPledge]:
    """The event's pledges, from the cache (every webhook asks; match_pledge_save clears it).
    Their rules only: the cap is always read again under the pledge's row lock."""
    pledges = cache.get(_pledges_key(event_id))
    if pledges is None:
        pledges = list(MatchPledge.objects.filter(event_id=event_id).order_by("created_at", "pk"))
        cache.set(_pledges_key(event_id), pledges, PLEDGES_CACHE_SECONDS)
    return pledges


def _applies(pledge: MatchPledge, donation: Donation, split: Split) -> int:
    """The part of the gift the pledge matches (0: it does not apply)."""
    if pledge.starts_at and donation.created_at < pledge.starts_at:
        return 0
    if pledge.ends_at and donation.created_at >= pledge.ends_at:
        return 0
    if pledge.corner_id and donation.corner_id != pledge.corner_id:
        return 0
    if pledge.card_only and donation.method != Donation.Method.CARD:
        return 0
    if pledge.organization_id:
        shares = dict(split_cents(donation.amount_cents, split.weights))
        return shares.get(pledge.organization_id, 0)
    return donation.amount_cents


def donor_is_first_time(donation: Donation) -> bool:
    """No earlier gift (of any pledge day, not voided) from the same email address."""
    if not donation.donor_email:
        return False
    return (
        not Donation.objects.annotate(email=Lower("donor_email"))
        .filter(email=donation.donor_email.lower(), created_at__lt=donation.created_at)
        .exclude(pk=donation.pk)
        .exclude(succeeded_at__isnull=True)
        .exclude(status=S.VOIDED)
        .exists()
    )


def _claim(pledge: MatchPledge, donation: Donation, base_cents: int, now: dt.datetime) -> None:
    locked = MatchPledge.objects.select_for_update().get(pk=pledge.pk)
    allot = min(base_cents * locked.ratio_percent // 100, locked.cap_cents - locked.allotted_cents)
    if allot <= 0:
        return
    MatchPledge.objects.filter(pk=pledge.pk).update(allotted_cents=F("allotted_cents") + allot)
    MatchClaim.objects.create(
        pledge=pledge, donation=donation, allotted_cents=allot, created_at=now
    )


def _target(claim: MatchClaim, donation: Donation) -> int:
    """What the claim's credits must add up to as the gift now stands."""
    total = donation.total_cents
    if (
        donation.succeeded_at is None
        or donation.status == S.VOIDED
        or donation.dispute_status in DISPUTE_LOST
        or donation.refunded_cents >= total
    ):
        return 0
    return claim.allotted_cents * (total - donation.refunded_cents) // total


def match_settle(
    donation: Donation, *, split: Split, newly_given: bool, now: dt.datetime
) -> list[MatchCredit]:
    """Claim the pledges a newly given gift qualifies for, and bring every claim's credits to
    what the gift's state says (the caller holds the gift's row lock)."""
    pledges = event_pledges(donation.event_id)
    if not pledges:
        return []
    if newly_given:
        first_time: bool | None = None
        for pledge in pledges:
            base = _applies(pledge, donation, split)
            if base <= 0:
                continue
            if pledge.first_time_only:
                if first_time is None:
                    first_time = donor_is_first_time(donation)
                if not first_time:
                    continue
            _claim(pledge, donation, base, now)
    credits: list[MatchCredit] = []
    for claim in MatchClaim.objects.filter(donation=donation).select_related("pledge"):
        recorded = claim.credits.aggregate(total=Sum("amount_cents"))["total"] or 0
        change = _target(claim, donation) - recorded
        if not change:
            continue
        weights = (
            ((claim.pledge.organization_id, 1),) if claim.pledge.organization_id else split.weights
        )
        credits += [
            MatchCredit(
                claim=claim,
                pledge=claim.pledge,
                donation=donation,
                event_id=donation.event_id,
                organization_id=organization_id,
                amount_cents=cents,
                created_at=now,
            )
            for organization_id, cents in split_cents(change, weights)
            if cents
        ]
    if credits:
        MatchCredit.objects.bulk_create(credits)
        match_change_record(credits, gift=GiftFacts.of(donation, designated=split.designated))
    return credits


# --- Pledges (organizers and the admin) ----------------------------------------------------------


def match_pledge_save(*, pledge: MatchPledge, now: dt.datetime) -> MatchPledge:
    """Create or change a pledge: its partner and corner belong to its pledge day, and its cap
    is never below what gifts already took (checked under the pledge's row lock)."""
    if (
        pledge.organization_id
        and not EventPartner.objects.filter(
            event_id=pledge.event_id, organization_id=pledge.organization_id
        ).exists()
    ):
        raise ValidationError(
            _("That organization is not a partner of this pledge day."), code="organization"
        )
    if pledge.corner is not None and pledge.corner.event_id != pledge.event_id:
        raise ValidationError(_("That corner belongs to another pledge day."), code="corner")
    transaction.on_commit(lambda: cache.delete(_pledges_key(pledge.event_id)))
    cache.delete(_pledges_key(pledge.event_id))
    if pledge.pk is None:
        pledge.allotted_cents, pledge.created_at = 0, now
        pledge.full_clean()
        pledge.save()
        return pledge
    with transaction.atomic():
        current = MatchPledge.objects.select_for_update().get(pk=pledge.pk)
        if pledge.cap_cents < current.allotted_cents:
            raise ValidationError(
                _("Gifts already took %(taken)s of this pledge: the cap cannot be lower.")
                % {"taken": cents_format(current.allotted_cents, pledge.event.currency)},
                code="cap",
            )
        pledge.allotted_cents, pledge.created_at = current.allotted_cents, current.created_at
        pledge.full_clean()
        pledge.save()
    return pledge


def match_pledge_receive(
    *, pledge: MatchPledge, amount_cents: int, now: dt.datetime
) -> MatchPledge:
    """Record money received from the sponsor (it then counts as raised)."""
    if amount_cents <= 0:
        raise ValidationError(_("Enter the amount received."), code="amount")
    MatchPledge.objects.filter(pk=pledge.pk).update(
        received_cents=F("received_cents") + amount_cents, received_at=now
    )
    return MatchPledge.objects.get(pk=pledge.pk)
