"""What each partner organization is owed by a pledge day, from the ledger, to the cent.

Read in a few aggregate queries (no gift is loaded one by one), so a million-gift day is
computed in seconds:

- **designated / pooled**: the gifts before fees. Gifts with the same split (designated to one
  partner, split among the same chosen partners, or shared by the event's partner shares) are
  added up, and each sum is split with `split_cents`, the one function that splits money.
- **reversed**: the partner's allocations of refunds, lost disputes and voids (each went back in
  the proportions of its gift).
- **fees**: the card processor's fees. Policy "own": what the partner's own gifts paid (its
  gifts before fees less its allocations of their nets). Policy "pool": all the fees together,
  split among the partners in proportion to what each raised before fees.
- **matched**: matched money the sponsor has paid (`received_cents`, at most what its pledge
  credited), split in proportion to each partner's credits of that pledge.

owed = designated + pooled + matched - reversed - fees, for every partner; the owed add up to
the ledger's net plus the matched money received, or MoneyInvariantError is raised.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, Max, Sum

from donations.models import Allocation, Donation, LedgerEntry, MatchCredit, MatchPledge
from donations.services.allocations import split_cents
from donations.services.states import MoneyInvariantError
from events.models import Event, EventPartner

K = LedgerEntry.Kind
NET_OF_GIFTS = (K.GIFT, K.FEE)
REVERSALS = (K.REFUND, K.DISPUTE, K.VOID)


@dataclass
class Share:
    """One partner's arithmetic (all cumulative, in cents)."""

    organization_id: int
    designated_cents: int = 0
    pooled_cents: int = 0
    reversed_cents: int = 0
    fees_cents: int = 0
    matched_cents: int = 0
    net_of_gifts_cents: int = 0  # its allocations of gifts' nets (fee adjustments included)

    @property
    def gross_cents(self) -> int:
        return self.designated_cents + self.pooled_cents

    @property
    def owed_cents(self) -> int:
        return (
            self.designated_cents
            + self.pooled_cents
            + self.matched_cents
            - self.reversed_cents
            - self.fees_cents
        )


@dataclass
class Owed:
    """A pledge day's split as the ledger now stands."""

    fee_policy: str
    shares: dict[int, Share] = field(default_factory=dict)  # by organization id
    ledger_net_cents: int = 0
    match_received_cents: int = 0  # received from sponsors (all of it, even beyond the credits)
    last_allocation_id: int = 0
    last_match_credit_id: int = 0

    def share(self, organization_id: int) -> Share:
        if organization_id not in self.shares:
            self.shares[organization_id] = Share(organization_id)
        return self.shares[organization_id]

    def total(self, name: str) -> int:
        return sum(getattr(share, name) for share in self.shares.values())

    @property
    def net_raised_cents(self) -> int:
        return self.total("owed_cents")


def _gross_by_split(event: Event, owed: Owed) -> None:
    """Gifts before fees, added up per split and split once per sum."""
    paid = Donation.objects.filter(event=event, succeeded_at__isnull=False).order_by()
    gross = F("amount_cents") + F("fee_cents")
    undesignated = 0
    for row in paid.values("designated_to_id").annotate(total=Sum(gross)):
        if row["designated_to_id"] is None:
            undesignated = row["total"]
        else:
            owed.share(row["designated_to_id"]).designated_cents += row["total"]
    # Gifts the donor split among partners they chose (a few; read row by row).
    chosen: dict[int, tuple[int, set[int]]] = {}
    through = Donation.split_among.through.objects.filter(
        donation__event=event,
        donation__succeeded_at__isnull=False,
        donation__designated_to__isnull=True,
    ).values_list("donation_id", "organization_id", "donation__amount_cents", "donation__fee_cents")
    for donation_id, organization_id, amount, fee in through.iterator(chunk_size=5000):
        chosen.setdefault(donation_id, (amount + fee, set()))[1].add(organization_id)
    by_choice: dict[tuple[int, ...], int] = defaultdict(int)
    for total, organizations in chosen.values():
        by_choice[tuple(sorted(organizations))] += total
    for organizations, total in sorted(by_choice.items()):
        for organization_id, cents in split_cents(total, [(pk, 1) for pk in organizations]):
            owed.share(organization_id).designated_cents += cents
    pooled = undesignated - sum(by_choice.values())
    weights = list(
        EventPartner.objects.filter(event=event)
        .order_by("organization_id")
        .values_list("organization_id", "share_bp")
    )
    for organization_id, _share in weights:
        owed.share(organization_id)
    if pooled:
        if not weights:
            raise MoneyInvariantError(f"event {event.pk}: pooled gifts but no partner shares")
        for organization_id, cents in split_cents(pooled, weights):
            owed.share(organization_id).pooled_cents += cents


def _allocations(event: Event, owed: Owed) -> None:
    rows = (
        Allocation.objects.filter(event=event)
        .order_by()
        .values("organization_id", "kind")
        .annotate(total=Sum("amount_cents"), last=Max("id"))
    )
    for row in rows:
        share = owed.share(row["organization_id"])
        owed.ledger_net_cents += row["total"]
        owed.last_allocation_id = max(owed.last_allocation_id, row["last"])
        if row["kind"] in NET_OF_GIFTS:
            share.net_of_gifts_cents += row["total"]
        elif row["kind"] in REVERSALS:
            share.reversed_cents -= row["total"]
        else:
            raise MoneyInvariantError(f"event {event.pk}: unknown allocation kind {row['kind']}")


def _fees(owed: Owed) -> None:
    own = {pk: share.gross_cents - share.net_of_gifts_cents for pk, share in owed.shares.items()}
    if owed.fee_policy == Event.FeePolicy.OWN:
        for pk, fees in own.items():
            owed.shares[pk].fees_cents = fees
        return
    total_fees = sum(own.values())
    weights = [(pk, share.gross_cents) for pk, share in sorted(owed.shares.items())]
    if total_fees == 0 or not any(weight for _pk, weight in weights):
        return
    for pk, cents in split_cents(total_fees, [(pk, w) for pk, w in weights if w > 0]):
        owed.shares[pk].fees_cents = cents


def _matched(event: Event, owed: Owed) -> None:
    credits: dict[int, dict[int, int]] = defaultdict(dict)
    rows = (
        MatchCredit.objects.filter(event=event)
        .order_by()
        .values("pledge_id", "organization_id")
        .annotate(total=Sum("amount_cents"), last=Max("id"))
    )
    for row in rows:
        credits[row["pledge_id"]][row["organization_id"]] = row["total"]
        owed.last_match_credit_id = max(owed.last_match_credit_id, row["last"])
    for pledge_id, received in MatchPledge.objects.filter(event=event).values_list(
        "pk", "received_cents"
    ):
        owed.match_received_cents += received
        of_pledge = credits.get(pledge_id, {})
        weights = sorted((pk, cents) for pk, cents in of_pledge.items() if cents > 0)
        payable = min(received, sum(cents for _pk, cents in weights))
        if payable <= 0:
            continue
        for organization_id, cents in split_cents(payable, weights):
            owed.share(organization_id).matched_cents += cents


def owed_compute(event: Event) -> Owed:
    """Each partner's arithmetic as the ledger now stands (see the module's docstring)."""
    owed = Owed(fee_policy=event.fee_policy)
    _gross_by_split(event, owed)
    _allocations(event, owed)
    _fees(owed)
    _matched(event, owed)
    matched = owed.total("matched_cents")
    if owed.net_raised_cents != owed.ledger_net_cents + matched:
        raise MoneyInvariantError(
            f"event {event.pk}: the partners' payouts add up to {owed.net_raised_cents}¢, "
            f"the ledger's net and matched money to {owed.ledger_net_cents + matched}¢"
        )
    return owed
