"""Organizer pages in Chromium on a laptop (1366 x 900): the roster and the dashboard use the
width in columns and cards, and the bucket labels print six to a sheet on A4 and US Letter."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from events.models import Event, Membership, Shift
from tests.factories import (
    BucketFactory,
    CornerFactory,
    MembershipFactory,
    ShiftFactory,
    published_event,
    volunteer,
)
from tests.support.browsers import LAPTOP
from volunteers import services as volunteer_services
from volunteers.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def organizer_tab(browser, base: str, event: Event, language: str = "en-US"):
    """A laptop tab signed in as an organizer (a lead: the labels are for the money roles)."""
    user: User = MembershipFactory(event=event, role=Membership.Role.LEAD).user
    user.preferred_language = language[:2]  # signing in switches to the person's language
    user.save(update_fields=["preferred_language"])
    page = browser.new_context(viewport=LAPTOP, locale=language).new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    return page


def staffed_shift(event: Event) -> Shift:
    shift = ShiftFactory(corner=CornerFactory(event=event, name="Blackstone & Shaw"))
    for _ in range(3):
        volunteer_services.signup_create(
            user=volunteer(), shift=shift, now=shift.starts_at - dt.timedelta(days=1)
        )
    return shift


def box(page, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


def test_the_roster_on_a_laptop_puts_people_and_buckets_side_by_side(browser, live_server) -> None:
    event = published_event()
    shift = staffed_shift(event)
    page = organizer_tab(browser, live_server.url, event)
    page.goto(f"{live_server.url}/organize/shifts/{shift.pk}/")
    main, people, buckets = (
        box(page, "main"),
        box(page, ".organize-people"),
        box(page, ".organize-buckets"),
    )
    assert main["width"] > 1200  # not the 46rem column
    assert people["x"] + people["width"] <= buckets["x"]
    assert abs(people["y"] - buckets["y"]) < 2
    cards = page.locator(".organize-people .person")
    assert cards.count() == 3
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert first["y"] == second["y"]  # two volunteers to a row
    assert first["width"] < 600  # a card, not a row stretched across the screen


def test_the_dashboard_on_a_laptop_shows_shifts_as_cards_in_columns(browser, live_server) -> None:
    event = published_event()
    corner = CornerFactory(event=event)
    for hour in (0, 3, 6, 9):
        ShiftFactory(corner=corner, starts_at=event.starts_at + dt.timedelta(hours=hour))
    page = organizer_tab(browser, live_server.url, event, "es-MX")
    page.goto(f"{live_server.url}/organize/{event.slug}/")
    assert page.locator("html").get_attribute("lang") == "es"
    cards = page.locator(".shift-cards .person")
    assert cards.count() == 4
    tops = [round(cards.nth(i).bounding_box()["y"]) for i in range(4)]
    assert tops[0] == tops[1] == tops[2]  # three across on 1366 pixels
    assert all(cards.nth(i).bounding_box()["width"] < 500 for i in range(4))
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]


def pdf_pages(pdf: bytes) -> list[str]:
    """The MediaBox of every page of a PDF Chromium wrote."""
    return re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("paper", "width_pt", "height_pt"), [("letter", 612, 792), ("a4", 595, 842)]
)
def test_the_labels_print_six_to_a_sheet_on_the_chosen_paper(
    browser, live_server, paper: str, width_pt: int, height_pt: int
) -> None:
    event = published_event(title="Pledge Day Fresno")
    for number in range(1, 8):
        BucketFactory(event=event, label=f"B-{number:02d}")
    page = organizer_tab(browser, live_server.url, event)
    page.goto(f"{live_server.url}/organize/{event.slug}/labels/?paper={paper}")
    assert page.locator("main h1").inner_text().startswith("Bucket labels")
    labels = page.locator("article.label")
    assert labels.count() == 7
    one, two, three = (labels.nth(i).bounding_box() for i in range(3))
    assert one["y"] == two["y"]
    assert one["x"] < two["x"]
    assert three["y"] > one["y"]
    assert three["x"] == one["x"]
    for i in range(7):
        label = labels.nth(i)
        qr = label.locator("svg").bounding_box()
        assert qr["width"] > 100
        assert qr["height"] > 100
        assert label.locator("a").get_attribute("href").startswith(f"{live_server.url}/g/")
        assert "Pledge Day Fresno" in label.inner_text()
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = pdf_pages(pdf)
    assert len(boxes) == 2  # 7 labels: a full sheet of six, then one; no label cut in two
    for media in boxes:
        numbers = [round(float(n)) for n in media.split()]
        assert numbers[2:] == [width_pt, height_pt]


def test_the_labels_page_is_in_spanish_for_a_spanish_reader(browser, live_server) -> None:
    event = published_event()
    BucketFactory(event=event)
    page = organizer_tab(browser, live_server.url, event, "es-MX")
    page.goto(f"{live_server.url}/organize/{event.slug}/labels/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("main").count() == 1
    assert "Etiquetas de los botes" in page.locator("h1").inner_text()
