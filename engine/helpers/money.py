"""Money helpers: amounts are ``Decimal`` from the first byte to the last.

Floats are refused everywhere: a float cannot hold 0.1 exactly, and a VAT report that is off by
one øre is still wrong. Rates are fractions (``Decimal("0.25")`` for 25 %); a rate above 1 is
refused because it is almost always a percentage passed by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from engine.errors import DataError

# ISO 4217 minor-unit exponents that are not 2. Everything else (DKK, EUR, SEK, NOK, USD, GBP, ...)
# has 2. Note: Stripe treats ISK, HUF and TWD specially (amounts in two-decimal form), which is a
# Stripe rule, not ISO; the Stripe connector handles that, these helpers follow ISO.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}

PLAIN_AMOUNT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")   # "1234.50": what money() reads as it stands
_COMMA = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d*)?")


def money(value: Any, decimal_comma: bool = False) -> Decimal:
    """An amount as Decimal, from a Decimal, an int or a string ("1234.50"; "1.234,50" with
    ``decimal_comma=True``). Floats, booleans, None and other text are refused."""
    if isinstance(value, bool) or value is None:
        raise DataError(f"money(): expected an amount, got {_kind(value)}")
    if isinstance(value, float):
        raise DataError("money(): floats are not allowed for money; pass a string or Decimal")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise DataError(f"money(): {value} is not an amount")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "").replace("\u00a0", "")
        if decimal_comma:
            if _COMMA.fullmatch(text):
                return Decimal(text.replace(".", "").replace(",", "."))
        elif PLAIN_AMOUNT.fullmatch(text):
            return Decimal(text)
        hint = "" if decimal_comma or "," not in text else " (use decimal_comma=True for 1.234,50)"
        raise DataError(f"money(): {_short(value)!r} is not an amount{hint}")
    raise DataError(f"money(): expected an amount, got {_kind(value)}")


def round_money(value: Any, places: int = 2) -> Decimal:
    """Round half up (Danish practice: 0.005 becomes 0.01) to ``places`` decimals."""
    amount = money(value)
    try:
        return amount.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise DataError(f"round_money(): cannot round {_short(amount)} to {places} places") from None


def currency_exponent(currency: Any) -> int:
    """Number of minor-unit digits of an ISO 4217 currency code (DKK 2, JPY 0, KWD 3)."""
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency.strip()):
        raise DataError(f"expected an ISO 4217 currency code like DKK, got {_short(currency)!r}")
    return _EXPONENTS.get(currency.strip().upper(), 2)


def minor_to_major(amount: Any, currency: str) -> Decimal:
    """12345 øre in DKK is 123.45; 500 in JPY is 500. ``amount`` must be a whole number."""
    minor = money(amount)
    if minor != minor.to_integral_value():
        raise DataError(f"minor_to_major(): {_short(amount)} is not a whole number of minor units")
    return Decimal(int(minor)).scaleb(-currency_exponent(currency))


def major_to_minor(amount: Any, currency: str) -> int:
    """123.45 DKK is 12345 øre. Refuses amounts with more decimals than the currency has, so a
    rounding decision is never made silently (round with round_money first)."""
    exponent = currency_exponent(currency)
    minor = money(amount).scaleb(exponent)
    if minor != minor.to_integral_value():
        raise DataError(
            f"major_to_minor(): {_short(amount)} has more than {exponent} decimals for {currency}; "
            "round it with round_money first"
        )
    return int(minor)


def _rate(rate: Any) -> Decimal:
    value = money(rate)
    if value < 0 or value > 1:
        raise DataError(f"VAT rate {_short(rate)} must be a fraction like 0.25, not a percentage")
    return value


def net_from_gross(gross: Any, rate: Any) -> Decimal:
    """Net amount from an amount including VAT: 125.00 at 0.25 is 100. Not rounded (round the
    result with round_money where the target wants two decimals)."""
    return money(gross) / (1 + _rate(rate))


def vat_of(net: Any, rate: Any) -> Decimal:
    """VAT on a net amount: 100 at 0.25 is 25. Not rounded."""
    return money(net) * _rate(rate)


def sum_money(items: Iterable[Any] | None, attr: str | None = None) -> Decimal:
    """Sum of amounts; with ``attr`` (dotted, e.g. "total" or "price.amount") the amount is read
    from each item. An empty list sums to 0."""
    if items is None:
        return Decimal(0)
    total = Decimal(0)
    for index, item in enumerate(items):
        value = item
        if attr:
            for part in attr.split("."):
                if not isinstance(value, dict) or part not in value:
                    raise DataError(f"sum_money(): item {index} has no {attr!r}")
                value = value[part]
        total += money(value)
    return total


def _kind(value: Any) -> str:
    return "nothing (None)" if value is None else type(value).__name__


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."
