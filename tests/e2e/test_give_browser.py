"""The give page of a bucket out now, in a real browser on a 390 x 844 phone (issue 11): the
amounts and the Give button are in the first viewport in English and Spanish, and the button
shows the total as the donor chooses an amount and ticks "cover the fee"; nothing is asked of
another site before Give."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from events.money import cents_format, fee_cover_cents
from tests.donations.test_give_polish import bucket_out, live_event
from tests.support.browsers import phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEIGHT = 844


def in_first_viewport(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT


@pytest.mark.parametrize("language", ["en-US", "es-MX"])
def test_the_give_button_and_the_amounts_are_in_the_first_viewport_of_a_phone(
    browser,
    live_server,
    language: str,
) -> None:
    bucket = bucket_out(live_event())
    page = phone(browser, language)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/g/{bucket.token}")
    page.wait_for_load_state("load")
    assert requests
    assert all(url.startswith(live_server.url) for url in requests)
    assert page.locator("html").get_attribute("lang") == language[:2]
    assert in_first_viewport(page, "button.give-button")
    assert in_first_viewport(page, "label.amount-choice >> nth=-1")
    assert in_first_viewport(page, "#official")


@pytest.mark.parametrize("language", ["en-US", "es-MX"])
def test_the_total_on_give_follows_the_amount_and_the_fee_choice(
    browser,
    live_server,
    language: str,
) -> None:
    event = live_event(card_fee_bp=290, card_fee_fixed_cents=30)
    page = phone(browser, language)
    page.goto(f"{live_server.url}/g/{bucket_out(event).token}")
    button = page.locator("button.give-button")
    plain = button.inner_text().strip()
    with translation.override(language[:2]):
        assert plain == translation.gettext("Give")

    page.click("label.amount-choice >> nth=1")  # $25
    assert re.fullmatch(r"\S+ \$25", button.inner_text().strip())
    page.check("#id_cover_fee")
    assert button.inner_text().strip().endswith("$26.06")
    assert "$1.06" in page.inner_text("#give-total")

    for typed, cents in (("37.13", 3713), ("1,234.56", 123456), ("12,5", 1250)):
        page.fill("#id_custom", typed)
        total = cents + fee_cover_cents(cents, fee_bp=290, fixed_cents=30)
        assert button.inner_text().strip().endswith(cents_format(total, "usd", whole_if_round=True))
    assert page.locator("input[name=preset]:checked").count() == 0  # a typed amount wins

    page.uncheck("#id_cover_fee")
    assert button.inner_text().strip().endswith("$12.50")
    page.fill("#id_custom", "")
    assert button.inner_text().strip() == plain
    assert in_first_viewport(page, "button.give-button")  # still in reach after scrolling
