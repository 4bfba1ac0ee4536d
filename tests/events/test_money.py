"""Money is integer cents: formatting and parsing in one module."""

from __future__ import annotations

import pytest

from events.money import basis_points_format, cents_format, cents_parse


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$0.00"),
        (5, "$0.05"),
        (123456, "$1,234.56"),
        (-2500, "-$25.00"),
        (10**9, "$10,000,000.00"),
    ],
)
def test_cents_are_formatted_for_people(cents: int, text: str) -> None:
    assert cents_format(cents, "usd") == text


def test_round_amounts_can_drop_the_cents() -> None:
    assert cents_format(2500, "usd", whole_if_round=True) == "$25"
    assert cents_format(2550, "usd", whole_if_round=True) == "$25.50"


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("25", 2500),
        ("25.5", 2550),
        ("$1,000.00", 100000),
        (" 7.05 ", 705),
        ("0.01", 1),
        ("25,50", 2550),
        ("25,5", 2550),
        ("1,000", 100000),
        ("12,345,678.90", 1234567890),
    ],
)
def test_typed_amounts_become_cents(text: str, cents: int) -> None:
    assert cents_parse(text) == cents


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1.005",
        "NaN",
        "Infinity",
        "1e400000",
        "$",
        "1_000",
        "1,00,0",
        "2,5,0",
        # Issue 7, scenario 15: what Decimal reads but a person does not mean.
        "1e3",
        "2.5e1",
        "1E2",
        "-5",
        "+5",
        "0x10",
        "1,000.505",
        "\u0661\u0662",  # Arabic-Indic digits
        "25\x00",
        "99999999999999",
    ],
)
def test_what_is_not_an_amount_is_none(text: str) -> None:
    assert cents_parse(text) is None


def test_basis_points_read_as_percent() -> None:
    assert basis_points_format(2500) == "25%"
    assert basis_points_format(3333) == "33.33%"
    assert basis_points_format(5) == "0.05%"


@pytest.mark.parametrize("amount", [500, 1000, 2500, 5000, 10000, 123457, 1])
@pytest.mark.parametrize(("fee_bp", "fixed"), [(290, 30), (220, 30), (0, 0), (350, 0)])
def test_covering_the_fee_makes_the_gift_arrive_whole_for_the_least_extra(
    amount: int, fee_bp: int, fixed: int
) -> None:
    from events.money import fee_cover_cents, fee_estimate_cents

    extra = fee_cover_cents(amount, fee_bp=fee_bp, fixed_cents=fixed)
    total = amount + extra
    assert total - fee_estimate_cents(total, fee_bp=fee_bp, fixed_cents=fixed) >= amount
    # One cent less would not be enough (the extra is the smallest that works), unless zero.
    if extra:
        less = total - 1  # exact, in ten-thousandths of a cent
        assert less * 10_000 - (less * fee_bp + fixed * 10_000) < amount * 10_000


def test_the_fee_on_a_25_dollar_gift_is_106_cents() -> None:
    from events.money import fee_cover_cents

    assert fee_cover_cents(2500, fee_bp=290, fixed_cents=30) == 106
