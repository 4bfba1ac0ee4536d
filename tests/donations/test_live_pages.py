"""The live pages (issue 8): the public big screen and its panels, the organizers' control room
and its panels, progress on the event page, the matching note on the give page; who sees what
(no donor on a public page, volunteers named publicly only as "Ana G." and never a minor or
someone who opted out, donors only for the finance role), caching and ETags, and query counts
that do not grow with the number of gifts."""

from __future__ import annotations

import datetime as dt
import gzip
import re

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from donations import services
from donations.models import MatchPledge
from donations.selectors_live import public_name
from events.models import Event, Membership
from tests.factories import (
    BucketFactory,
    CornerFactory,
    EventFactory,
    MembershipFactory,
    ProfileFactory,
    ShiftFactory,
    UserFactory,
    published_event,
    volunteer,
)
from tests.support.live_day import LiveDay, live_day, minor_and_opted_out, paid_gift
from volunteers import services as volunteer_services
from volunteers.models import AgeBand, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def day() -> LiveDay:
    return live_day()


def text(response) -> str:
    return response.content.decode()


def screen(client: Client, event: Event, **query: str):
    lang = query.get("lang", "en")
    return client.get(f"/events/{event.slug}/screen/?lang={lang}")


def panels(client: Client, event: Event, lang: str = "en", **headers: str):
    return client.get(f"/events/{event.slug}/screen/panels/?lang={lang}", **headers)


def room(client: Client, event: Event, query: str = "", **headers: str):
    return client.get(f"/organize/{event.slug}/live/{query}", **headers)


def room_panels(client: Client, event: Event, query: str = "", **headers: str):
    return client.get(f"/organize/{event.slug}/live/panels/{query}", **headers)


def signed_in(client: Client, day: LiveDay, role: str = Membership.Role.ORGANIZER) -> User:
    user = MembershipFactory(event=day.event, role=role).user
    client.force_login(user)
    return user


# --- The big screen ------------------------------------------------------------------------------


def test_the_big_screen_is_public_and_shows_the_days_figures(client: Client, day: LiveDay) -> None:
    page = text(screen(client, day.event))
    assert "Central Valley Pledge Day" in page
    assert "of our $25,000 goal" in page
    for partner in day.partners:
        assert partner.name in page
    assert "Blackstone &amp; Shaw" in page  # the best corner
    assert "15</strong> volunteers on the corners now" in page
    assert "Gifts doubled by Valley Community Bank" in page
    assert "The match by Tower District Rotary has run out." in page
    assert "1-888-373-7888" in page
    assert "text 233733" in page


def test_the_big_screen_counts_only_volunteers_checked_in_on_shifts_under_way(
    client: Client, day: LiveDay
) -> None:
    person = day.pairs[0][0]
    signup = person.signups.get()
    volunteer_services.signup_check_out(signup=signup, now=timezone.now())
    later = ShiftFactory(
        corner=day.corners[0],
        starts_at=timezone.now() + dt.timedelta(hours=3),
        ends_at=timezone.now() + dt.timedelta(hours=5),
    )
    early_bird = volunteer()
    signup = volunteer_services.signup_create(
        user=early_bird, shift=later, now=later.starts_at - dt.timedelta(days=1)
    )
    volunteer_services.signup_check_in(signup=signup, now=timezone.now())
    assert "14</strong> volunteers on the corners now" in text(screen(client, day.event))


def test_the_big_screen_speaks_spanish_when_asked(client: Client, day: LiveDay) -> None:
    page = text(screen(client, day.event, lang="es"))
    assert '<html lang="es"' in page
    assert "Línea Nacional contra la Trata de Personas" in page
    assert 'data-live-lang="es"' in page


def test_a_screen_showing_both_languages_alternates_between_them(
    client: Client, day: LiveDay
) -> None:
    page = text(client.get(f"/events/{day.event.slug}/screen/?lang=both"))
    assert 'data-live-langs="en es"' in page
    assert "Línea Nacional" in text(panels(client, day.event, lang="es"))
    assert "National Human Trafficking Hotline" in text(panels(client, day.event, lang="en"))


def test_the_big_screen_of_a_draft_or_unknown_day_is_not_found(client: Client) -> None:
    draft = EventFactory()
    assert screen(client, draft).status_code == 404
    assert panels(client, draft).status_code == 404
    assert client.get("/events/nothing-here/screen/").status_code == 404
    assert client.get(f"/events/{'x' * 90}/screen/panels/").status_code == 404


def test_the_big_screen_of_a_closed_day_shows_its_final_total(client: Client, day: LiveDay) -> None:
    Event.objects.filter(pk=day.event.pk).update(status=Event.Status.CLOSED)
    page = text(screen(client, day.event))
    assert "Final total" in page
    assert "Scan to give" not in page


def test_the_screens_panels_answer_304_to_the_etag_the_screen_has(
    client: Client, day: LiveDay
) -> None:
    first = panels(client, day.event)
    assert first.status_code == 200
    again = panels(client, day.event, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    page = text(screen(client, day.event))
    assert f'data-live-etag="{first["ETag"].replace(chr(34), "&quot;")}"' in page


def test_the_screens_panels_are_public_for_a_second_and_read_no_session(
    client: Client, day: LiveDay, django_assert_num_queries
) -> None:
    client.force_login(day.lead)  # even a signed-in visitor gets the shared copy
    first = panels(client, day.event)
    assert first["Cache-Control"] == "public, max-age=1"
    assert "Cookie" not in first.get("Vary", "")
    assert "Set-Cookie" not in first
    with django_assert_num_queries(0):
        assert panels(client, day.event).status_code == 200


def test_while_one_request_renders_the_screen_the_others_get_the_previous_copy(
    client: Client, day: LiveDay, django_assert_max_num_queries
) -> None:
    before = panels(client, day.event)
    paid_gift(day.event, 100_000, corner=day.corners[3])
    key = f"screen:v1:{day.event.slug}:en"
    cache.delete(key)  # the second is over
    cache.add(f"{key}:rendering", 1, 10)  # and another request is rendering the panels
    with django_assert_max_num_queries(1):  # finding the pledge day; no render
        waiting = panels(client, day.event)
    assert waiting["ETag"] == before["ETag"]
    cache.delete(f"{key}:rendering")
    assert panels(client, day.event)["ETag"] != before["ETag"]


def test_a_new_gift_reaches_the_screen_once_its_second_is_over(
    client: Client, day: LiveDay
) -> None:
    before = panels(client, day.event)
    paid_gift(day.event, 100_000, corner=day.corners[3])
    assert panels(client, day.event, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304
    cache.clear()  # the second is over
    after = panels(client, day.event, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]


def test_no_public_page_names_a_donor(client: Client, day: LiveDay) -> None:
    pages = [
        screen(client, day.event),
        panels(client, day.event),
        panels(client, day.event, lang="es"),
        client.get(f"/events/{day.event.slug}/"),
        client.get(f"/events/{day.event.slug}/totals.json"),
    ]
    for response in pages:
        assert response.status_code == 200
        content = text(response)
        assert "Donor " not in content
        assert "example.org" not in content
        assert "Fresno Lions Club" not in content


def test_the_screen_thanks_the_best_teams_by_first_name_and_last_initial(
    client: Client, day: LiveDay
) -> None:
    page = text(screen(client, day.event))
    assert "Ana G. &amp; Luis M." in page
    assert "García" not in page
    assert "Martínez" not in page


def test_a_minor_or_a_volunteer_who_opted_out_is_never_named_publicly(
    client: Client, day: LiveDay
) -> None:
    minor, private = minor_and_opted_out(day)  # now the best team of the day, by far
    page = text(screen(client, day.event)) + text(panels(client, day.event, lang="es"))
    for person in (minor, private):
        first, last = person.name.split()
        assert first not in page
        assert last not in page
    assert "Ana G. &amp; Luis M." in page  # the next team takes the first place shown


def test_a_team_with_one_member_who_opted_out_shows_only_the_other(
    client: Client, day: LiveDay
) -> None:
    private = volunteer(user__name="Oscar Private", leaderboard_opt_out=True)
    friend = volunteer(user__name="Nora Friend")
    paid_gift(day.event, 900_000, corner=day.corners[0], people=[friend, private])
    page = text(screen(client, day.event))
    assert "Nora F. +1" in page
    assert "Oscar" not in page


@pytest.mark.parametrize(
    ("name", "profile", "expected"),
    [
        ("Ana María García", {}, "Ana G."),
        ("ana garcía", {}, "ana G."),
        ("Cher", {}, "Cher"),
        ("  ", {}, ""),
        ("someone@example.org", {}, ""),
        ("Yesenia Minor", {"age_band": AgeBand.MINOR}, ""),
        ("Oscar Private", {"leaderboard_opt_out": True}, ""),
        ("No Profile", None, ""),
    ],
)
def test_a_volunteers_public_name(name: str, profile: dict | None, expected: str) -> None:
    if profile is None:
        user = UserFactory(name=name)
    else:
        user = ProfileFactory(user__name=name, **profile).user
    user = User.objects.select_related("volunteer_profile").get(pk=user.pk)
    assert public_name(user) == expected


# --- The control room ----------------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_sign_in_from_the_control_room(
    client: Client, day: LiveDay
) -> None:
    for response in (room(client, day.event), room_panels(client, day.event)):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_a_volunteer_is_forbidden_the_control_room(client: Client, day: LiveDay) -> None:
    client.force_login(day.pairs[0][0])
    assert room(client, day.event).status_code == 403
    assert room_panels(client, day.event).status_code == 403


def test_an_organizer_of_another_day_is_forbidden_the_control_room(
    client: Client, day: LiveDay
) -> None:
    client.force_login(MembershipFactory(event=published_event()).user)
    assert room(client, day.event).status_code == 403


@pytest.mark.parametrize(
    "role", [Membership.Role.LEAD, Membership.Role.ORGANIZER, Membership.Role.FINANCE]
)
def test_the_money_roles_open_the_control_room(client: Client, day: LiveDay, role: str) -> None:
    signed_in(client, day, role)
    page = text(room(client, day.event))
    assert "Control room" in page
    assert 'data-live-src="/organize/' in page
    assert room_panels(client, day.event).status_code == 200


def test_the_control_room_shows_the_day_corner_by_corner(client: Client, day: LiveDay) -> None:
    signed_in(client, day)
    page = text(room(client, day.event))
    assert "$25,000 goal" in page
    assert "15</p>" in page  # volunteers on the corners now
    assert "8 shifts under way" in page
    assert "1 below its buddy minimum" in page
    assert "Below buddy minimum (2)" in page  # Sierra Vista: one volunteer alone
    assert "1 back, not counted yet" in page
    for partner in day.partners:
        assert partner.name in page
    assert "Ana García &amp; Luis Martínez" in page  # organizers see the team's names
    assert "Check #1042" in page
    assert "Gifts doubled by Valley Community Bank" in page


def test_the_control_room_counts_what_needs_attention(client: Client, day: LiveDay) -> None:
    gift = day.gifts[0]
    type(gift).objects.filter(pk=gift.pk).update(receipt_status="failed")
    signed_in(client, day, Membership.Role.FINANCE)
    page = text(room(client, day.event))
    assert f'href="/organize/{day.event.slug}/attention/"' in page
    client.force_login(MembershipFactory(event=day.event).user)
    page = text(room(client, day.event))
    assert "A lead or finance organizer can review them." in page


def test_a_finance_organizer_sees_the_donors_an_organizer_does_not(
    client: Client, day: LiveDay
) -> None:
    signed_in(client, day, Membership.Role.FINANCE)
    for response in (room(client, day.event), room_panels(client, day.event)):
        assert "Fresno Lions Club" in text(response)
        assert "@example.org" in text(response)
    signed_in(client, day, Membership.Role.ORGANIZER)
    for response in (room(client, day.event), room_panels(client, day.event)):
        assert "Fresno Lions Club" not in text(response)
        assert "@example.org" not in text(response)
        assert "Donor " not in text(response)


def test_the_control_rooms_panels_are_private_and_show_a_gift_once_their_second_is_over(
    client: Client, day: LiveDay
) -> None:
    signed_in(client, day)
    first = room_panels(client, day.event)
    assert first["Cache-Control"] == "private, no-store"
    assert "Cookie" in first["Vary"]
    again = room_panels(client, day.event, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    paid_gift(day.event, 4200, corner=day.corners[1])
    within = room_panels(client, day.event, HTTP_IF_NONE_MATCH=first["ETag"])
    assert within.status_code == 304  # the panels of this second, for every organizer
    cache.clear()  # the second is over
    fresh = room_panels(client, day.event, HTTP_IF_NONE_MATCH=first["ETag"])
    assert fresh.status_code == 200
    assert "$42.00" in text(fresh)


def test_organizers_share_the_panels_of_their_role_and_query_only(
    client: Client, day: LiveDay
) -> None:
    """A finance organizer's panels (with donors) are never served to an organizer, nor one
    page's or filter's to another, nor one language's to the other."""
    signed_in(client, day, Membership.Role.FINANCE)
    assert "@example.org" in text(room_panels(client, day.event))
    finance_page_two = room_panels(client, day.event, "?method=card")
    signed_in(client, day, Membership.Role.ORGANIZER)
    for query in ("", "?method=card"):
        response = room_panels(client, day.event, query)
        assert response.status_code == 200
        assert "@example.org" not in text(response)
    assert room_panels(client, day.event, "?method=card")["ETag"] != finance_page_two["ETag"]
    assert text(room_panels(client, day.event, "?method=card")) != text(
        room_panels(client, day.event)
    )
    spanish = room_panels(client, day.event, "", HTTP_ACCEPT_LANGUAGE="es")
    assert spanish["Content-Language"] == "es"
    assert "Siguiente" in text(spanish)
    assert "Siguiente" not in text(room_panels(client, day.event))


def test_the_control_room_renders_its_panels_once_for_all_its_organizers(
    client: Client, day: LiveDay
) -> None:
    signed_in(client, day)
    assert room_panels(client, day.event).status_code == 200  # the full check: a grant
    with CaptureQueriesContext(connection) as queries:
        response = room_panels(client, day.event)
    assert response.status_code == 200
    # The session only (none with Redis: cached_db); no user, event, role or figure read.
    assert len(queries) <= 1, [q["sql"] for q in queries]
    assert all("django_session" in q["sql"] for q in queries)


def test_signing_out_ends_the_control_rooms_panels_at_once(client: Client, day: LiveDay) -> None:
    signed_in(client, day)
    assert room_panels(client, day.event).status_code == 200
    client.logout()
    response = room_panels(client, day.event)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_revoked_role_loses_the_panels_once_its_grant_is_over(
    client: Client, day: LiveDay
) -> None:
    user = signed_in(client, day)
    assert room_panels(client, day.event).status_code == 200
    Membership.objects.filter(user=user).delete()
    assert room_panels(client, day.event).status_code == 200  # within ROOM_GRANT_SECONDS
    cache.clear()  # the grant (and the panels' second) are over
    assert room_panels(client, day.event).status_code == 403


def test_a_grant_opens_only_its_own_sessions_panels_of_its_own_day(
    client: Client, day: LiveDay
) -> None:
    """An organizer who polled one day's panels gets no other day's on the strength of it, and
    another session of theirs (another browser) goes through the full check."""
    user = signed_in(client, day)
    assert room_panels(client, day.event).status_code == 200
    other_day = live_day(gifts=False)
    assert room_panels(client, other_day.event).status_code == 403
    other_browser = Client()
    assert room_panels(other_browser, day.event).status_code == 302
    other_browser.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert room_panels(other_browser, day.event).status_code == 200
    assert any("events_membership" in q["sql"] for q in queries)


def test_a_finance_grant_and_an_organizer_grant_see_their_own_panels(
    client: Client, day: LiveDay
) -> None:
    signed_in(client, day, Membership.Role.FINANCE)
    room_panels(client, day.event)
    assert "@example.org" in text(room_panels(client, day.event))  # through the grant
    organizer = Client()
    signed_in(organizer, day, Membership.Role.ORGANIZER)
    room_panels(organizer, day.event)
    assert "@example.org" not in text(room_panels(organizer, day.event))


def test_the_control_room_filters_its_gifts_and_corners(client: Client, day: LiveDay) -> None:
    signed_in(client, day)
    cash = text(room_panels(client, day.event, "?method=cash"))
    gifts = cash[cash.index('id="room-gifts"') :]
    assert "Cash" in gifts
    assert "Card</td>" not in gifts
    assert "Check #" not in gifts
    corner = day.corners[1]
    at_corner = text(room_panels(client, day.event, f"?corner={corner.pk}"))
    rows = at_corner[at_corner.index('id="room-gifts"') :]
    assert rows.count("<tr") - 1 == 5  # its five gifts, and the header
    attention = text(room_panels(client, day.event, "?show=attention"))
    table = attention[: attention.index('id="room-orgs"')]
    assert "Sierra Vista Mall entrance" in table  # understaffed
    assert "Shaw &amp; Clovis" in table  # a bucket to count
    assert "Olive &amp; Palm" not in table
    clovis = text(room_panels(client, day.event, "?city=Clovis"))
    assert "Kings Canyon" not in clovis[: clovis.index('id="room-orgs"')]


def test_the_control_room_pages_its_gifts_and_keeps_the_other_filters(
    client: Client, day: LiveDay
) -> None:
    signed_in(client, day)
    first = text(room_panels(client, day.event, "?city=Fresno"))
    assert "<span>Page 1</span>" in first  # the gifts are never counted: no "of N"
    assert 'href="?city=Fresno&amp;gifts_page=2"' in first
    second = text(room_panels(client, day.event, "?city=Fresno&gifts_page=2"))
    assert "<span>Page 2</span>" in second
    assert 'href="?city=Fresno&amp;gifts_page=1" rel="prev"' in second
    assert "gifts_page=3" not in second  # the last page
    beyond = text(room_panels(client, day.event, "?city=Fresno&gifts_page=9"))
    assert "No gifts yet." in beyond or "<span>Page 9</span>" in beyond


def test_junk_in_the_control_rooms_query_is_ignored(client: Client, day: LiveDay) -> None:
    signed_in(client, day)
    junk = "?city=Nowhere&show=everything&method=bitcoin&corner=x&gifts_page=-4&teams_page=9999999"
    response = room(client, day.event, junk)
    assert response.status_code == 200
    assert "<span>Page 1</span>" in text(response)


def _gifts(event: Event, count: int) -> None:
    corners = [CornerFactory(event=event) for _ in range(3)]
    pairs = [[volunteer(), volunteer()] for _ in range(3)]
    for index in range(count):
        paid_gift(
            event,
            1000 + index,
            corner=corners[index % 3],
            people=pairs[index % 3],
            donor_name=f"Donor {index}",
        )


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert callable_().status_code == 200
    return len(queries)


@pytest.mark.parametrize("count", [5, 50])
def test_the_live_pages_read_as_many_queries_with_50_gifts_as_with_5(
    client: Client, count: int, django_assert_max_num_queries
) -> None:
    event = published_event()
    services.match_pledge_save(
        pledge=MatchPledge(event=event, sponsor="Bank", cap_cents=10_000), now=timezone.now()
    )
    _gifts(event, count)
    client.force_login(MembershipFactory(event=event, role=Membership.Role.FINANCE).user)
    with django_assert_max_num_queries(23):
        assert room(client, event).status_code == 200
    with django_assert_max_num_queries(22):
        assert room_panels(client, event).status_code == 200
    cache.clear()
    with django_assert_max_num_queries(11):
        assert panels(client, event).status_code == 200
    client.logout()
    cache.clear()
    with django_assert_max_num_queries(5):
        assert client.get(f"/events/{event.slug}/").status_code == 200


def test_the_number_of_queries_does_not_grow_with_the_gifts(client: Client) -> None:
    counts = []
    for count in (5, 50):
        event = published_event()
        _gifts(event, count)
        client.force_login(MembershipFactory(event=event, role=Membership.Role.FINANCE).user)
        cache.clear()
        counts.append(
            (
                _queries(lambda event=event: room_panels(client, event)),
                _queries(lambda event=event: panels(client, event)),
            )
        )
    assert counts[0] == counts[1]


# --- The event page and the give page ------------------------------------------------------------


def test_the_event_page_shows_progress_toward_the_goal(client: Client, day: LiveDay) -> None:
    page = text(client.get(f"/events/{day.event.slug}/"))
    assert "raised of our $25,000 goal" in page
    assert re.search(r'<progress class="goal-progress" max="100" value="\d+">', page)
    assert f'href="/events/{day.event.slug}/screen/"' in page


def test_the_event_page_before_any_gift_shows_the_goal(client: Client) -> None:
    event = published_event()
    page = text(client.get(f"/events/{event.slug}/"))
    assert "Our goal: $10,000" in page
    assert "<progress" not in page


def test_the_give_page_says_a_gift_is_doubled_and_until_when(client: Client, day: LiveDay) -> None:
    page = text(client.get(f"/g/{day.buckets[2].token}"))
    assert "Gifts doubled by Valley Community Bank" in page
    assert "until" in page
    assert "left" in page
    assert "The match by Tower District Rotary has run out." in page


def test_the_give_page_leaves_out_a_match_of_another_corner_or_not_started(
    client: Client,
) -> None:
    event = published_event()
    here, there = CornerFactory(event=event), CornerFactory(event=event)
    now = timezone.now()
    services.match_pledge_save(
        pledge=MatchPledge(event=event, sponsor="Corner Sponsor", cap_cents=1000, corner=there),
        now=now,
    )
    services.match_pledge_save(
        pledge=MatchPledge(
            event=event,
            sponsor="Evening Sponsor",
            cap_cents=1000,
            starts_at=now + dt.timedelta(hours=2),
        ),
        now=now,
    )
    services.match_pledge_save(
        pledge=MatchPledge(event=event, sponsor="Here Sponsor", cap_cents=1000, corner=here),
        now=now,
    )
    bucket = BucketFactory(event=event)
    shift = ShiftFactory(corner=here)
    pair = [volunteer(), volunteer()]
    for person in pair:
        signup = volunteer_services.signup_create(
            user=person, shift=shift, now=shift.starts_at - dt.timedelta(days=1)
        )
        volunteer_services.signup_check_in(signup=signup, now=shift.starts_at)
    volunteer_services.bucket_hand_out(bucket=bucket, shift=shift, by=pair[0], now=shift.starts_at)
    page = text(client.get(f"/g/{bucket.token}"))
    assert "Gifts doubled by Here Sponsor" in page
    assert "Corner Sponsor" not in page
    assert "Evening Sponsor" not in page
    assert "Here Sponsor" not in text(client.get(f"/events/{event.slug}/give/"))


def test_the_give_page_stays_small_without_script(client: Client, day: LiveDay) -> None:
    response = client.get(f"/g/{day.buckets[2].token}")  # out now ([0] and [1] are back)
    assert response.status_code == 200
    assert len(gzip.compress(response.content)) < 14 * 1024
    assert re.findall(r"<script[^>]*>", text(response)) == [
        '<script src="/static/js/give.js" defer>'  # its own, deferred: the total on Give
    ]
    assert not re.search(r'(src|href|action)="(https?:)?//', text(response))  # nothing third-party


# --- Links -------------------------------------------------------------------------------------


def test_the_organizer_dashboard_and_the_gifts_list_link_to_the_control_room(
    client: Client, day: LiveDay
) -> None:
    signed_in(client, day, Membership.Role.LEAD)
    link = f'href="/organize/{day.event.slug}/live/"'
    assert link in text(client.get(f"/organize/{day.event.slug}/"))
    assert link in text(client.get(f"/organize/{day.event.slug}/donations/"))


@pytest.mark.redis
def test_with_redis_a_poll_is_one_cache_round_trip_and_no_query(
    client: Client, day: LiveDay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session (cached_db), the grant and the panels in one MGET; the database untouched."""
    signed_in(client, day)
    assert room_panels(client, day.event).status_code == 200
    backend = caches["default"]._cache  # the Redis client Django's cache calls
    calls: list[str] = []
    for name in ("get", "get_many"):
        original = getattr(backend, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(backend, name, counted)
    with CaptureQueriesContext(connection) as queries:
        response = room_panels(client, day.event)
    assert response.status_code == 200
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert calls == ["get_many"]
