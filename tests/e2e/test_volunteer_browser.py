"""A volunteer on a phone (Chromium, 390 x 844): the parent-or-guardian fields appear only for
the 16-17 age band (and stay in view when script does not run), and cancelling a shift asks
first, then gives the place away."""

from __future__ import annotations

import pytest

from tests.factories import open_shift, volunteer
from tests.support.browsers import phone
from tests.support.volunteering import signed_up
from volunteers.models import Signup, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(page, live_server, user: User) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["en-US", "es-MX"])
def test_the_guardian_fields_appear_only_for_16_and_17(browser, live_server, language) -> None:
    page = phone(browser, language)
    signed_in(page, live_server, volunteer())
    page.goto(f"{live_server.url}/volunteer/profile/")
    guardian = page.locator("#guardian-fields")
    assert guardian.is_hidden()
    page.select_option("#id_age_band", "16-17")
    assert guardian.is_visible()
    assert page.locator("#id_guardian_name").is_visible()
    page.select_option("#id_age_band", "18+")
    assert guardian.is_hidden()


def test_without_script_the_guardian_fields_show_under_their_heading(browser, live_server) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    signed_in(page, live_server, volunteer())
    page.goto(f"{live_server.url}/volunteer/profile/")
    assert page.locator("#guardian-fields").is_visible()
    assert "16 or 17" in page.inner_text("#guardian-fields legend")


def test_a_volunteer_cancels_a_shift_after_confirming_on_a_phone(browser, live_server) -> None:
    shift = open_shift(capacity=1, min_volunteers=1)
    holder, waiting = volunteer(), volunteer()
    holding, in_line = signed_up(holder, shift), signed_up(waiting, shift)
    page = phone(browser)
    signed_in(page, live_server, holder)
    page.goto(f"{live_server.url}/volunteer/shifts/")
    page.click("text=Cancel my shift")
    page.wait_for_url(f"**/signups/{holding.pk}/cancel/")
    assert shift.corner.name in page.inner_text("main")
    assert "next person on the waitlist" in page.inner_text("main")
    holding.refresh_from_db()
    assert holding.status == Signup.Status.CONFIRMED  # nothing happened yet
    confirm = page.locator("text=Yes, cancel my shift")
    box = confirm.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 844  # in the first screen of a phone
    confirm.click()
    page.wait_for_url("**/volunteer/shifts/")
    assert "Your sign-up is cancelled" in page.inner_text("main")
    holding.refresh_from_db()
    in_line.refresh_from_db()
    assert holding.status == Signup.Status.CANCELLED
    assert in_line.status == Signup.Status.CONFIRMED


def test_keeping_the_shift_changes_nothing(browser, live_server) -> None:
    shift, user = open_shift(), volunteer()
    signup = signed_up(user, shift)
    page = phone(browser)
    signed_in(page, live_server, user)
    page.goto(f"{live_server.url}/signups/{signup.pk}/cancel/")
    page.click("text=Keep my shift")
    page.wait_for_url("**/volunteer/shifts/")
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CONFIRMED
