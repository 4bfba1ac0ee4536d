"""Reads of the live pages (issue 8): the public big screen, the organizer's control room, the
give page's matching note, and the public form of a volunteer's name.

Everything here reads the tallies and a handful of small tables (partners, corners, shifts under
way, buckets out, matching pledges, the people of one page of pairs), so it costs the same with
ten gifts or ten thousand; the one exception is the control room's table of gifts, which is paged.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from donations.models import CashCount, Donation, MatchPledge, Tally
from donations.selectors import event_attention_count, event_tally, tallies_by_key
from donations.totals import event_public_figures
from events.models import Corner, Event, EventPartner, Shift
from volunteers.models import BucketAssignment, Signup, User

ZERO = dict.fromkeys(Tally.COUNTERS, 0)
SCREEN_TEAMS = 5  # pairs the big screen thanks by name
SCREEN_CORNERS = 5
SCREEN_MATCHES = 2
CORNERS_PER_PAGE = 12
TEAMS_PER_PAGE = 10
GIFTS_PER_PAGE = 25


def percent(part: int, whole: int) -> int:
    """Whole percent of part in whole, clamped to 0..100 (bars)."""
    return max(0, min(100, 100 * part // whole)) if whole > 0 else 0


# --- Names ---------------------------------------------------------------------------------------


def public_name(user: User) -> str:
    """How a public page may name a volunteer: first name and last initial ("Ana G."), or ""
    when it may not — a minor (or anyone without a profile saying they are an adult), a
    volunteer who opted out of public leaderboards, an account without a name."""
    profile = getattr(user, "volunteer_profile", None)  # a missing profile is an AttributeError
    if profile is None or not profile.named_publicly:
        return ""
    parts = user.name.split()
    if not parts or "@" in user.name:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0].upper()}."


def _pair_ids(key: str) -> list[int]:
    return [int(part) for part in key.split("-") if part.isdigit()]


def _members(keys: Iterable[str]) -> dict[int, User]:
    """The volunteers behind pair keys ("12-34"), with their profiles (one query)."""
    ids = {pk for key in keys for pk in _pair_ids(key)}
    if not ids:
        return {}
    return {u.pk: u for u in User.objects.filter(pk__in=ids).select_related("volunteer_profile")}


def _ranked_pairs(event: Event) -> list[tuple[str, dict[str, int]]]:
    """The tallies of the volunteers gifts were credited to (one query), most raised first."""
    pairs = tallies_by_key(event=event, scope=Tally.Scope.PAIR)
    ranked = [(key, t) for key, t in pairs.items() if key and t["gifts"] > 0]
    ranked.sort(key=lambda item: (-item[1]["raised_cents"], -item[1]["gifts"], item[0]))
    return ranked


# --- Matching pledges ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchNote:
    """A matching pledge as people should read it now."""

    ACTIVE = "active"
    UPCOMING = "upcoming"
    RUN_OUT = "run_out"
    ENDED = "ended"

    sponsor: str
    ratio_percent: int
    state: str
    cap_cents: int
    used_cents: int
    left_cents: int
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    organization: str
    corner: str
    card_only: bool
    first_time_only: bool

    @property
    def used_percent(self) -> int:
        return percent(self.used_cents, self.cap_cents)

    @property
    def is_active(self) -> bool:
        return self.state == self.ACTIVE


_STATE_ORDER = {
    MatchNote.ACTIVE: 0,
    MatchNote.UPCOMING: 1,
    MatchNote.RUN_OUT: 2,
    MatchNote.ENDED: 3,
}
_FAR = dt.datetime.max.replace(tzinfo=dt.UTC)


def _match_state(pledge: MatchPledge, now: dt.datetime) -> str:
    if pledge.left_cents <= 0:
        return MatchNote.RUN_OUT
    if pledge.ends_at is not None and now >= pledge.ends_at:
        return MatchNote.ENDED
    if pledge.starts_at is not None and now < pledge.starts_at:
        return MatchNote.UPCOMING
    return MatchNote.ACTIVE


def _notes(pledges: QuerySet[MatchPledge], now: dt.datetime) -> list[MatchNote]:
    notes = [
        MatchNote(
            sponsor=pledge.sponsor,
            ratio_percent=pledge.ratio_percent,
            state=_match_state(pledge, now),
            cap_cents=pledge.cap_cents,
            used_cents=pledge.allotted_cents,
            left_cents=max(0, pledge.left_cents),
            starts_at=pledge.starts_at,
            ends_at=pledge.ends_at,
            organization=pledge.organization.name if pledge.organization else "",
            corner=pledge.corner.name if pledge.corner else "",
            card_only=pledge.card_only,
            first_time_only=pledge.first_time_only,
        )
        for pledge in pledges.select_related("organization", "corner")
    ]
    notes.sort(key=lambda n: (_STATE_ORDER[n.state], n.ends_at or _FAR, n.sponsor))
    return notes


def match_notes(*, event: Event, now: dt.datetime) -> list[MatchNote]:
    """Every matching pledge of the event (one query): running ones first, then coming ones,
    then those that ran out or ended."""
    return _notes(MatchPledge.objects.filter(event=event), now)


def give_page_match_notes(
    *, event: Event, corner: Corner | None, now: dt.datetime
) -> list[MatchNote]:
    """What the give page tells a donor (one query): the pledges that match a card gift given
    here now, and those that would have but ran out. A pledge of another corner, or one not yet
    started or already over, is not mentioned."""
    here = Q(corner__isnull=True) | Q(corner=corner) if corner else Q(corner__isnull=True)
    return [
        note
        for note in _notes(MatchPledge.objects.filter(here, event=event), now)
        if note.state == MatchNote.ACTIVE
        or (
            note.state == MatchNote.RUN_OUT
            and (note.starts_at is None or note.starts_at <= now)
            and (note.ends_at is None or now < note.ends_at)
        )
    ]


# --- Volunteers on the corners now ---------------------------------------------------------------

HERE = Q(
    signups__status=Signup.Status.CONFIRMED,
    signups__checked_in_at__isnull=False,
    signups__checked_out_at__isnull=True,
)


def volunteers_out_count(*, event: Event, now: dt.datetime) -> int:
    """Volunteers checked in (and not out) on shifts under way (one query)."""
    return (
        Signup.objects.filter(
            shift__corner__event=event,
            shift__starts_at__lte=now,
            shift__ends_at__gt=now,
            status=Signup.Status.CONFIRMED,
            checked_in_at__isnull=False,
            checked_out_at__isnull=True,
        )
        .values("user_id")
        .distinct()
        .count()
    )


# --- The big screen ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicTeam:
    """A pair (or more) of volunteers as the big screen names them."""

    names: list[str]
    unnamed: int  # members who may not be named publicly
    raised_cents: int
    gifts: int


def screen_teams(*, event: Event, limit: int = SCREEN_TEAMS) -> list[PublicTeam]:
    """The best teams that can be thanked by name (two queries). A team nobody in it may be
    named publicly is left out; one with some members who may not shows only the others."""
    ranked = _ranked_pairs(event)[: limit * 4]
    members = _members(key for key, _t in ranked)
    teams: list[PublicTeam] = []
    for key, tally in ranked:
        ids = _pair_ids(key)
        names = [name for pk in ids if pk in members and (name := public_name(members[pk]))]
        if not names:
            continue
        teams.append(
            PublicTeam(
                names=names,
                unnamed=len(ids) - len(names),
                raised_cents=tally["raised_cents"],
                gifts=tally["gifts"],
            )
        )
        if len(teams) == limit:
            break
    return teams


@dataclass(frozen=True)
class ScreenBar:
    name: str
    raised_cents: int
    match_cents: int
    raised_percent: int  # of the longest bar
    match_percent: int


@dataclass(frozen=True)
class Screen:
    """Everything the big screen shows, all of it public."""

    title: str
    status: str
    currency: str
    goal_cents: int
    raised_cents: int
    match_cents: int
    gifts: int
    goal_percent: int  # raised toward the goal, 0..100 (bars)
    reached_percent: int  # the same, past 100 when the goal is beaten (text)
    match_percent: int  # matched, stacked on top of it (never past 100 together)
    organizations: list[ScreenBar]
    corners: list[dict[str, Any]]
    teams: list[PublicTeam]
    matches: list[MatchNote]
    volunteers_out: int


def screen_read(*, event: Event, now: dt.datetime) -> Screen:
    """The big screen's figures: the public totals (event, partners, corners) plus the
    volunteers out now, the best teams and the matching pledges (about ten queries)."""
    figures = event_public_figures(event=event, now=now)
    longest = max(
        (o["raised_cents"] + o["match_cents"] for o in figures["organizations"]), default=0
    )
    raised, matched, goal = figures["raised_cents"], figures["match_cents"], event.goal_cents
    goal_percent = percent(raised, goal)
    return Screen(
        title=event.title,
        status=event.status,
        currency=event.currency,
        goal_cents=goal,
        raised_cents=raised,
        match_cents=matched,
        gifts=figures["gifts"],
        goal_percent=goal_percent,
        reached_percent=100 * raised // goal if goal > 0 else 0,
        match_percent=min(100 - goal_percent, percent(matched, goal)),
        organizations=[
            ScreenBar(
                name=o["name"],
                raised_cents=o["raised_cents"],
                match_cents=o["match_cents"],
                raised_percent=percent(o["raised_cents"], longest),
                match_percent=percent(o["match_cents"], longest),
            )
            for o in sorted(figures["organizations"], key=lambda o: -o["raised_cents"])
        ],
        corners=[c for c in figures["corners"] if c["raised_cents"] > 0][:SCREEN_CORNERS],
        teams=screen_teams(event=event),
        matches=[n for n in match_notes(event=event, now=now) if n.state != MatchNote.ENDED][
            :SCREEN_MATCHES
        ],
        volunteers_out=volunteers_out_count(event=event, now=now),
    )


# --- The control room ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftNow:
    """A shift under way, and who is on the corner."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    minimum: int
    confirmed: int
    here: int  # checked in and not out

    @property
    def understaffed(self) -> bool:
        """The buddy rule: fewer volunteers on the corner (checked in, not out) than the
        shift's minimum — whether too few confirmed or some have not arrived."""
        return self.here < self.minimum


@dataclass(frozen=True)
class CornerRow:
    corner: Corner
    raised_cents: int
    gifts: int
    shifts: list[ShiftNow]
    buckets_out: int
    buckets_to_count: int  # returned, not counted yet

    @property
    def understaffed(self) -> bool:
        return any(shift.understaffed for shift in self.shifts)

    @property
    def needs_attention(self) -> bool:
        return self.understaffed or self.buckets_to_count > 0


def corner_rows(*, event: Event, now: dt.datetime) -> list[CornerRow]:
    """Every corner with its money, its shifts under way and its buckets (four queries), the
    most raised first."""
    tallies = tallies_by_key(event=event, scope=Tally.Scope.CORNER)
    shifts: dict[int, list[ShiftNow]] = defaultdict(list)
    for shift in (
        Shift.objects.filter(
            corner__event=event, starts_at__lte=now, ends_at__gt=now, cancelled_at__isnull=True
        )
        .annotate(here=Count("signups", filter=HERE))
        .order_by("starts_at")
    ):
        shifts[shift.corner_id].append(
            ShiftNow(
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
                minimum=shift.min_volunteers,
                confirmed=shift.confirmed_count,
                here=shift.here,
            )
        )
    out: dict[int, int] = defaultdict(int)
    to_count: dict[int, int] = defaultdict(int)
    buckets = (
        BucketAssignment.objects.filter(shift__corner__event=event)
        .annotate(counted=Exists(CashCount.objects.filter(assignment=OuterRef("pk"))))
        .filter(Q(returned_at__isnull=True) | Q(counted=False))
        .values_list("shift__corner_id", "returned_at")
    )
    for corner_id, returned_at in buckets:
        (out if returned_at is None else to_count)[corner_id] += 1
    rows = [
        CornerRow(
            corner=corner,
            raised_cents=(t := tallies.get(str(corner.pk), ZERO))["raised_cents"],
            gifts=t["gifts"],
            shifts=shifts.get(corner.pk, []),
            buckets_out=out.get(corner.pk, 0),
            buckets_to_count=to_count.get(corner.pk, 0),
        )
        for corner in Corner.objects.filter(event=event).order_by("city", "name")
    ]
    rows.sort(key=lambda row: -row.raised_cents)
    return rows


@dataclass(frozen=True)
class OrganizationRow:
    name: str
    share_bp: int
    raised_cents: int
    designated_cents: int
    shared_cents: int
    match_cents: int
    bar_percent: int  # of the partner that raised most (with its match)


def organization_rows(*, event: Event) -> list[OrganizationRow]:
    """Each partner: designated to it, its share of the rest, matched (two queries)."""
    tallies = tallies_by_key(event=event, scope=Tally.Scope.ORGANIZATION)
    partners = list(
        EventPartner.objects.filter(event=event)
        .select_related("organization")
        .order_by("-share_bp", "organization__name")
    )
    rows = [(p, tallies.get(str(p.organization_id), ZERO)) for p in partners]
    longest = max((t["raised_cents"] + t["match_cents"] for _p, t in rows), default=0)
    return [
        OrganizationRow(
            name=p.organization.name,
            share_bp=p.share_bp,
            raised_cents=t["raised_cents"],
            designated_cents=t["designated_cents"],
            shared_cents=t["raised_cents"] - t["designated_cents"],
            match_cents=t["match_cents"],
            bar_percent=percent(t["raised_cents"] + t["match_cents"], longest),
        )
        for p, t in rows
    ]


@dataclass(frozen=True)
class MethodRow:
    method: str
    label: str
    gifts: int
    cents: int
    percent: int  # of what donors gave


@dataclass(frozen=True)
class ControlRoom:
    """The control room's summaries (the paged tables are read apart)."""

    totals: dict[str, int]
    goal_percent: int
    match_percent: int
    methods: list[MethodRow]
    organizations: list[OrganizationRow]
    corners: list[CornerRow]
    matches: list[MatchNote]
    attention: int

    @property
    def shifts_now(self) -> int:
        return sum(len(row.shifts) for row in self.corners)

    @property
    def understaffed_now(self) -> int:
        return sum(1 for row in self.corners for shift in row.shifts if shift.understaffed)

    @property
    def volunteers_out(self) -> int:
        return sum(shift.here for row in self.corners for shift in row.shifts)

    @property
    def buckets_out(self) -> int:
        return sum(row.buckets_out for row in self.corners)

    @property
    def buckets_to_count(self) -> int:
        return sum(row.buckets_to_count for row in self.corners)

    @property
    def cities(self) -> list[str]:
        return sorted({row.corner.city for row in self.corners})


def control_room_read(*, event: Event, now: dt.datetime) -> ControlRoom:
    """The control room's figures (about a dozen queries, whatever the number of gifts)."""
    totals = event_tally(event=event)
    given = totals["card_cents"] + totals["cash_cents"] + totals["check_cents"]
    goal_percent = percent(totals["raised_cents"], event.goal_cents)
    return ControlRoom(
        totals=totals,
        goal_percent=goal_percent,
        match_percent=min(100 - goal_percent, percent(totals["match_cents"], event.goal_cents)),
        methods=[
            MethodRow(
                method=method,
                label=str(label),
                gifts=totals[f"{method}_gifts"],
                cents=totals[f"{method}_cents"],
                percent=percent(totals[f"{method}_cents"], given),
            )
            for method, label in Donation.Method.choices
        ],
        organizations=organization_rows(event=event),
        corners=corner_rows(event=event, now=now),
        matches=match_notes(event=event, now=now),
        attention=event_attention_count(event=event),
    )


@dataclass(frozen=True)
class TeamRow:
    rank: int
    members: list[User]
    raised_cents: int
    gifts: int


def team_page(*, event: Event, number: int | str = 1) -> tuple[Page[Any], list[TeamRow]]:
    """One page of the volunteers' leaderboard, with their names (two queries)."""
    page = Paginator(_ranked_pairs(event), TEAMS_PER_PAGE).get_page(number)
    members = _members(key for key, _t in page.object_list)
    rows = [
        TeamRow(
            rank=page.start_index() + index,
            members=[members[pk] for pk in _pair_ids(key) if pk in members],
            raised_cents=tally["raised_cents"],
            gifts=tally["gifts"],
        )
        for index, (key, tally) in enumerate(page.object_list)
    ]
    return page, rows


@dataclass(frozen=True)
class GiftPage:
    """One page of the latest gifts, without counting them all: a count of a million rows is
    a scan, and "Page 3 of 40,000" helps nobody at the staging table. The page reads one row
    more than it shows, to know whether there is a next one."""

    number: int
    gifts: list[Donation]
    has_next_page: bool
    paginator = None  # no count, so no "of N pages"

    def __iter__(self) -> Iterator[Donation]:
        return iter(self.gifts)

    def __len__(self) -> int:
        return len(self.gifts)

    def has_next(self) -> bool:
        return self.has_next_page

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


# Deeper than anyone pages by hand; an OFFSET past it would read every row before it.
GIFT_PAGES = 400


def gift_page(
    *, event: Event, method: str = "", corner_id: int | None = None, number: int | str = 1
) -> GiftPage:
    """One page of the latest confirmed gifts, newest first (three queries, read from the
    index donation_event_latest_idx whatever the number of gifts). A page number that does
    not parse is the first page; one past the end, an empty page."""
    try:
        page = max(1, min(GIFT_PAGES, int(number)))
    except (TypeError, ValueError):
        page = 1
    gifts = (
        Donation.objects.filter(event=event, succeeded_at__isnull=False)
        .select_related("corner", "bucket", "designated_to")
        .prefetch_related("volunteers", "split_among")
        .order_by("-succeeded_at", "-id")
    )
    if method:
        gifts = gifts.filter(method=method)
    if corner_id:
        gifts = gifts.filter(corner_id=corner_id)
    start = (page - 1) * GIFTS_PER_PAGE
    rows = list(gifts[start : start + GIFTS_PER_PAGE + 1])
    return GiftPage(
        number=page,
        gifts=rows[:GIFTS_PER_PAGE],
        has_next_page=len(rows) > GIFTS_PER_PAGE and page < GIFT_PAGES,
    )
