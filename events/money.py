"""Money as integer cents plus a currency: the only place amounts are parsed and formatted."""

from __future__ import annotations

import re
from decimal import Decimal

# Currencies a pledge day can run in; all have two decimals (Stripe's minor unit is the cent).
CURRENCY_SYMBOLS: dict[str, str] = {"usd": "$", "cad": "CA$", "mxn": "MX$", "eur": "€"}
CURRENCY_CHOICES = [(code, code.upper()) for code in CURRENCY_SYMBOLS]
# The smallest charge Stripe accepts in each currency (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts):
# an event's minimum gift may not be lower, or Stripe would refuse the payment at the last step.
STRIPE_MINIMUM_CENTS: dict[str, int] = {"usd": 50, "cad": 50, "mxn": 1000, "eur": 50}
BASIS_POINTS_WHOLE = 10_000  # 100% expressed in basis points
MAX_PARSED_AMOUNT = Decimal(10) ** 12  # beyond any gift; keeps Decimal arithmetic in range


def currency_symbol(currency: str) -> str:
    """ "$" for usd, "MX$" for mxn; the code and a space for a currency without a symbol."""
    return CURRENCY_SYMBOLS.get(currency.lower(), currency.upper() + " ")


def cents_format(amount_cents: int, currency: str = "usd", *, whole_if_round: bool = False) -> str:
    """Format cents for people: 123456 -> "$1,234.56"; with whole_if_round, 2500 -> "$25"."""
    sign = "-" if amount_cents < 0 else ""
    dollars, cents = divmod(abs(amount_cents), 100)
    symbol = currency_symbol(currency)
    if whole_if_round and cents == 0:
        return f"{sign}{symbol}{dollars:,}"
    return f"{sign}{symbol}{dollars:,}.{cents:02d}"


_DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$", re.ASCII)  # "25,50": how Spanish speakers write 25.50
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d{0,2})?$", re.ASCII)  # "1,000" or "1,000.50"
# Digits, an optional point and at most two decimals: no exponents ("1e3"), signs, spaces,
# infinities or other number forms that Decimal would accept.
_PLAIN = re.compile(r"^(\d+(\.\d{0,2})?|\.\d{1,2})$", re.ASCII)
# What cents_parse strips before an amount: every currency symbol's characters (the give
# page's script strips the same, from a data- attribute).
SYMBOL_CHARACTERS = "".join(sorted(set("".join(CURRENCY_SYMBOLS.values())) - set("0123456789")))


def cents_parse(text: str) -> int | None:
    """Parse what a person typed ("25", "25.5", "25,50", "$1,000.00") into cents, else None.

    The one parser of every amount people type (gifts, checks, cash counts, refunds). Only plain
    decimal writing is accepted: "1e3", "2.5e1", "-5", "NaN" or "0x10" are refused, not read.
    """
    cleaned = text.strip().lstrip(SYMBOL_CHARACTERS).strip()
    if _DECIMAL_COMMA.match(cleaned):
        cleaned = cleaned.replace(",", ".")
    elif _GROUPED.match(cleaned):
        cleaned = cleaned.replace(",", "")
    if not _PLAIN.match(cleaned):
        return None
    value = Decimal(cleaned)
    if value >= MAX_PARSED_AMOUNT:
        return None
    return int(value * 100)


def basis_points_format(share_bp: int) -> str:
    """2500 -> "25%", 3333 -> "33.33%"."""
    whole, rest = divmod(share_bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}%"


def fee_cover_cents(amount_cents: int, *, fee_bp: int, fixed_cents: int) -> int:
    """The extra a donor adds so that, after the processor's fee, the gift arrives whole.

    Solves total - (total * fee_bp / 10000 + fixed) >= amount for the smallest whole-cent total,
    in integers: total = ceil((amount + fixed) * 10000 / (10000 - fee_bp)).
    """
    if amount_cents <= 0:
        return 0
    numerator = (amount_cents + fixed_cents) * BASIS_POINTS_WHOLE
    denominator = BASIS_POINTS_WHOLE - fee_bp
    total = -(-numerator // denominator)  # ceiling division
    return total - amount_cents


def fee_estimate_cents(total_cents: int, *, fee_bp: int, fixed_cents: int) -> int:
    """The processor's fee on a charge of total_cents, rounded half up to the cent."""
    return (total_cents * fee_bp + BASIS_POINTS_WHOLE // 2) // BASIS_POINTS_WHOLE + fixed_cents
