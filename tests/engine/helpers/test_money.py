"""Money helpers: Decimal only, Danish rounding, ISO 4217 minor units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import DataError
from engine.helpers.money import (
    major_to_minor,
    minor_to_major,
    money,
    net_from_gross,
    round_money,
    sum_money,
    vat_of,
)


@pytest.mark.parametrize(
    "raw, expected",
    [("1234.50", "1234.50"), (" -12.5 ", "-12.5"), (7, "7"), (Decimal("0.10"), "0.10"), ("+3", "3")],
)
def test_money_parses_plain_amounts(raw: object, expected: str) -> None:
    assert money(raw) == Decimal(expected)
    assert str(money(raw)) == expected


def test_money_with_decimal_comma() -> None:
    assert money("1.234,50", decimal_comma=True) == Decimal("1234.50")
    assert money("12,5", decimal_comma=True) == Decimal("12.5")
    with pytest.raises(DataError, match="decimal_comma=True"):
        money("1234,50")


@pytest.mark.parametrize("bad", [1.5, None, True, "abc", "", "1e5", "1.234,50", [1]])
def test_money_refuses_floats_and_non_amounts(bad: object) -> None:
    with pytest.raises(DataError) as info:
        money(bad)
    assert info.value.message.startswith("money():")
    if isinstance(bad, float):
        assert "floats are not allowed" in info.value.message


def test_round_money_is_half_up() -> None:
    assert round_money("2.345") == Decimal("2.35")
    assert round_money("-2.345") == Decimal("-2.35")
    assert round_money("0.125", 2) == Decimal("0.13")
    assert round_money("10", 2) == Decimal("10.00")
    assert round_money("2.5", 0) == Decimal("3")


@pytest.mark.parametrize(
    "minor, currency, major",
    [(12345, "DKK", "123.45"), ("500", "JPY", "500"), (500, "isk", "500"), (1234, "KWD", "1.234"),
     (-995, "EUR", "-9.95")],
)
def test_minor_major_round_trip(minor: object, currency: str, major: str) -> None:
    assert minor_to_major(minor, currency) == Decimal(major)
    assert major_to_minor(Decimal(major), currency) == int(minor)


def test_major_to_minor_refuses_hidden_rounding() -> None:
    with pytest.raises(DataError, match="round it with round_money"):
        major_to_minor("12.345", "DKK")
    with pytest.raises(DataError, match="whole number"):
        minor_to_major("12.5", "DKK")
    with pytest.raises(DataError, match="ISO 4217"):
        minor_to_major(100, "Danish krone")


def test_vat_helpers_use_fractions() -> None:
    assert net_from_gross("125.00", Decimal("0.25")) == Decimal("100")
    assert vat_of("100.00", "0.25") == Decimal("25.0000")
    assert net_from_gross("125.00", "0.25") + vat_of(net_from_gross("125.00", "0.25"), "0.25") \
        == Decimal("125")
    with pytest.raises(DataError, match="fraction like 0.25"):
        vat_of("100", 25)


def test_sum_money() -> None:
    lines = [{"total": "10.50"}, {"total": Decimal("0.25")}, {"total": 2}]
    assert sum_money(lines, "total") == Decimal("12.75")
    assert sum_money(["1.10", "2.20"]) == Decimal("3.30")
    assert sum_money([]) == 0
    assert sum_money([{"price": {"amount": "1.5"}}], "price.amount") == Decimal("1.5")
    with pytest.raises(DataError, match="item 1"):
        sum_money([{"total": "1"}, {}], "total")
