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

from django.db.models import F, Sum

from donations.models import (
    Allocation,
    Donation,
    LedgerEntry,
    MatchCredit,
    MatchPledge,
    Tally,
)
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
    # Its allocations of its gifts' nets (fee adjustments included), and those gifts' fees.
    designated_net_cents: int = 0
    pooled_net_cents: int = 0
    designated_fees_cents: int = 0
    pooled_fees_cents: int = 0

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
    ledger_net_cents: int = 0  # the allocations, all kinds
    # The ledger itself (entries, not allocations) and the gifts, to check the allocations by.
    gross_ledger_cents: int = 0
    net_ledger_cents: int = 0
    reversed_ledger_cents: int = 0
    match_received_cents: int = 0  # received from sponsors (all of it, even beyond the credits)
    match_credited_cents: int = 0  # matched by sponsors (received or not)

    def share(self, organization_id: int) -> Share:
        if organization_id not in self.shares:
            self.shares[organization_id] = Share(organization_id)
        return self.shares[organization_id]

    def total(self, name: str) -> int:
        return sum(getattr(share, name) for share in self.shares.values())

    @property
    def net_raised_cents(self) -> int:
        return self.total("owed_cents")


def _gross_and_fees(event: Event) -> tuple[dict[int | None, int], dict[int | None, int], int]:
    """Per designated partner (None: not designated), the gifts before fees and the ledger's
    nets of them; and the ledger's reversals (refunds, lost disputes, voids) in all."""
    paid = Donation.objects.filter(event=event, succeeded_at__isnull=False).order_by()
    gross: dict[int | None, int] = {
        row["designated_to_id"]: row["total"]
        for row in paid.values("designated_to_id").annotate(
            total=Sum(F("amount_cents") + F("fee_cents"))
        )
    }
    net: dict[int | None, int] = defaultdict(int)
    reversed_total = 0
    entries = (
        LedgerEntry.objects.filter(donation__event=event)
        .order_by()
        .values("donation__designated_to_id", "kind")
        .annotate(total=Sum("amount_cents"))
    )
    for row in entries:
        if row["kind"] in NET_OF_GIFTS:
            net[row["donation__designated_to_id"]] += row["total"]
        else:
            reversed_total -= row["total"]
    return gross, dict(net), reversed_total


def _chosen(event: Event) -> dict[tuple[int, ...], tuple[int, int]]:
    """Gifts the donors split among partners they chose, added up per choice: (gross, net)."""
    through = Donation.split_among.through.objects.filter(
        donation__event=event,
        donation__succeeded_at__isnull=False,
        donation__designated_to__isnull=True,
    )
    gifts: dict[int, tuple[int, set[int]]] = {}
    rows = through.values_list(
        "donation_id", "organization_id", "donation__amount_cents", "donation__fee_cents"
    )
    for donation_id, organization_id, amount, fee in rows.iterator(chunk_size=5000):
        gifts.setdefault(donation_id, (amount + fee, set()))[1].add(organization_id)
    nets: dict[int, int] = defaultdict(int)
    entries = (
        LedgerEntry.objects.filter(
            kind__in=NET_OF_GIFTS, donation_id__in=through.values("donation_id")
        )
        .order_by()
        .values_list("donation_id", "amount_cents")
    )
    for donation_id, cents in entries.iterator(chunk_size=5000):
        nets[donation_id] += cents
    by_choice: dict[tuple[int, ...], tuple[int, int]] = {}
    for donation_id, (total, organizations) in gifts.items():
        key = tuple(sorted(organizations))
        gross, net = by_choice.get(key, (0, 0))
        by_choice[key] = (gross + total, net + nets[donation_id])
    return by_choice


def _own_fees(event: Event, owed: Owed) -> None:
    """The card fees of the gifts, added up per split and split once per sum (the one function
    that splits money), so each partner bears the fees of its own gifts: none on cash or
    checks, all of its designated gifts' fees, its share of the pooled gifts' fees."""
    gross, net, owed.reversed_ledger_cents = _gross_and_fees(event)
    owed.gross_ledger_cents = sum(gross.values())
    owed.net_ledger_cents = sum(net.values())
    for organization_id, total in gross.items():
        if organization_id is not None:
            owed.share(organization_id).designated_fees_cents += total - net.get(organization_id, 0)
    chosen = _chosen(event)
    for organizations, (total, nets) in sorted(chosen.items()):
        for organization_id, cents in split_cents(total - nets, [(pk, 1) for pk in organizations]):
            owed.share(organization_id).designated_fees_cents += cents
    pooled_fees = (gross.get(None, 0) - net.get(None, 0)) - sum(
        total - nets for total, nets in chosen.values()
    )
    weights = list(
        EventPartner.objects.filter(event=event)
        .order_by("organization_id")
        .values_list("organization_id", "share_bp")
    )
    for organization_id, _share in weights:
        owed.share(organization_id)
    if pooled_fees:
        if not weights:
            raise MoneyInvariantError(f"event {event.pk}: pooled gifts but no partner shares")
        for organization_id, cents in split_cents(pooled_fees, weights):
            owed.share(organization_id).pooled_fees_cents += cents


def _allocations(event: Event, owed: Owed) -> None:
    rows = (
        Allocation.objects.filter(event=event)
        .order_by()
        .values("organization_id", "kind", "designated")
        .annotate(total=Sum("amount_cents"))
    )
    for row in rows:
        share = owed.share(row["organization_id"])
        owed.ledger_net_cents += row["total"]
        if row["kind"] in NET_OF_GIFTS:
            if row["designated"]:
                share.designated_net_cents += row["total"]
            else:
                share.pooled_net_cents += row["total"]
        elif row["kind"] in REVERSALS:
            share.reversed_cents -= row["total"]
        else:
            raise MoneyInvariantError(f"event {event.pk}: unknown allocation kind {row['kind']}")


def _gross(owed: Owed) -> None:
    """Before fees = the partner's allocations of its gifts' nets plus the fees of those gifts
    (so the arithmetic on a statement adds up with the shares listed under it)."""
    for share in owed.shares.values():
        share.designated_cents = share.designated_net_cents + share.designated_fees_cents
        share.pooled_cents = share.pooled_net_cents + share.pooled_fees_cents


def _fees(owed: Owed) -> None:
    own = {pk: share.designated_fees_cents + share.pooled_fees_cents
           for pk, share in owed.shares.items()}  # fmt: skip
    if owed.fee_policy == Event.FeePolicy.OWN:
        for pk, fees in own.items():
            owed.shares[pk].fees_cents = fees
        return
    total_fees = sum(own.values())
    weights = [(pk, share.gross_cents) for pk, share in sorted(owed.shares.items())]
    if total_fees == 0 or not any(weight > 0 for _pk, weight in weights):
        return
    for pk, cents in split_cents(total_fees, [(pk, w) for pk, w in weights if w > 0]):
        owed.shares[pk].fees_cents = cents


def _matched(event: Event, owed: Owed) -> None:
    credits: dict[int, dict[int, int]] = defaultdict(dict)
    rows = (
        MatchCredit.objects.filter(event=event)
        .order_by()
        .values("pledge_id", "organization_id")
        .annotate(total=Sum("amount_cents"))
    )
    for row in rows:
        credits[row["pledge_id"]][row["organization_id"]] = row["total"]
        owed.match_credited_cents += row["total"]
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
    _own_fees(event, owed)
    _allocations(event, owed)
    _gross(owed)
    _fees(owed)
    _matched(event, owed)
    _check(event, owed)
    return owed


def _check(event: Event, owed: Owed) -> None:
    """The allocations against the ledger's entries and the gifts: each must add up to the
    other, and the payouts to the ledger's net plus the matched money received."""
    gifts_net = owed.total("designated_net_cents") + owed.total("pooled_net_cents")
    problems = []
    if gifts_net != owed.net_ledger_cents:
        problems.append(f"gifts' nets: allocated {gifts_net}¢, ledger {owed.net_ledger_cents}¢")
    if owed.total("reversed_cents") != owed.reversed_ledger_cents:
        problems.append(
            f"reversals: allocated {owed.total('reversed_cents')}¢, "
            f"ledger {owed.reversed_ledger_cents}¢"
        )
    if owed.total("gross_cents") != owed.gross_ledger_cents:
        problems.append(
            f"gifts before fees: {owed.total('gross_cents')}¢ split, "
            f"{owed.gross_ledger_cents}¢ given"
        )
    matched = owed.total("matched_cents")
    if owed.net_raised_cents != owed.ledger_net_cents + matched:
        problems.append(
            f"payouts {owed.net_raised_cents}¢, ledger and match {owed.ledger_net_cents + matched}¢"
        )
    if problems:
        raise MoneyInvariantError(f"event {event.pk}: " + "; ".join(problems))


def ledger_mark(event: Event) -> dict[str, object]:
    """A fingerprint of the day's money: its tallies (the day's and each partner's: net,
    gross, gifts, designated, matched), written in the same transaction as every ledger entry
    and match credit, and what sponsors paid. Any change to what a partner is owed changes it;
    unlike the highest id seen, it also catches a write that committed after a computation
    that could not yet see it. Read in a few rows, whatever the number of gifts."""
    rows = (
        Tally.objects.filter(event=event, scope__in=(Tally.Scope.EVENT, Tally.Scope.ORGANIZATION))
        .order_by()
        .values("scope", "key")
        .annotate(
            raised=Sum("raised_cents"),
            gross=Sum("gross_cents"),
            gifts=Sum("gifts"),
            designated=Sum("designated_cents"),
            matched=Sum("match_cents"),
        )
    )
    mark: dict[str, object] = {
        f"{row['scope']}:{row['key']}": [
            row["raised"], row["gross"], row["gifts"], row["designated"], row["matched"]
        ]
        for row in rows
    }  # fmt: skip
    received = MatchPledge.objects.filter(event=event).aggregate(total=Sum("received_cents"))
    mark["received"] = received["total"] or 0
    return mark
