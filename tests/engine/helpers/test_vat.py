"""EU/VAT helpers: zones, OSS rates, VAT numbers, CVR and EAN check digits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import DataError
from engine.helpers.vat import (
    EU_COUNTRIES,
    is_danish_cvr,
    is_ean,
    is_eu,
    normalize_vat_number,
    oss_rate,
    vat_number_country,
    vat_zone,
)


def test_eu_membership() -> None:
    assert len(EU_COUNTRIES) == 27
    assert is_eu("DK") and is_eu("de") and is_eu("GR") and is_eu("EL")
    assert not is_eu("GB") and not is_eu("NO") and not is_eu("CH")
    with pytest.raises(DataError, match="alpha-2"):
        is_eu("Denmark")  # a country name must never silently count as outside the EU


@pytest.mark.parametrize(
    "country, business, zone",
    [("DK", False, "domestic"), ("DK", True, "domestic"), ("DE", True, "eu"),
     ("DE", False, "domestic"), ("EL", True, "eu"), ("NO", True, "abroad"), ("US", False, "abroad"),
     ("GB", True, "abroad")],
)
def test_vat_zone(country: str, business: bool, zone: str) -> None:
    assert vat_zone(country, business) == zone


def test_vat_zone_with_another_home_country() -> None:
    assert vat_zone("DK", True, home="SE") == "eu"
    assert vat_zone("SE", False, home="SE") == "domestic"


@pytest.mark.parametrize(
    "country, rate",
    [("DK", "0.25"), ("DE", "0.19"), ("FI", "0.255"), ("HU", "0.27"), ("LU", "0.17"),
     ("GR", "0.24"), ("EL", "0.24"), ("SK", "0.23"), ("EE", "0.24"), ("RO", "0.21")],
)
def test_oss_standard_rates(country: str, rate: str) -> None:
    assert oss_rate(country) == Decimal(rate)


def test_oss_rate_outside_the_eu_is_an_error() -> None:
    with pytest.raises(DataError, match="not an EU member"):
        oss_rate("NO")


def test_vat_numbers() -> None:
    assert normalize_vat_number(" dk 12-34.56 78 ") == "DK12345678"
    assert normalize_vat_number("GR123456789") == "EL123456789"
    assert vat_number_country("EL123456789") == "GR"
    assert vat_number_country("de 123456789") == "DE"
    assert vat_number_country("12345678") is None
    assert normalize_vat_number(None) == ""


@pytest.mark.parametrize("cvr", ["24256790", "61056416", "DK 24 25 67 90"])
def test_valid_cvr_numbers(cvr: str) -> None:
    assert is_danish_cvr(cvr)


@pytest.mark.parametrize("cvr", ["24256791", "2425679", "242567900", "04256790", "abcdefgh", "", None])
def test_invalid_cvr_numbers(cvr: object) -> None:
    assert not is_danish_cvr(cvr)


def test_every_single_digit_change_breaks_the_cvr_check() -> None:
    valid = "24256790"
    for position in range(8):
        for digit in "0123456789":
            changed = valid[:position] + digit + valid[position + 1:]
            if changed != valid:
                assert not is_danish_cvr(changed), changed


def test_ean_check_digit() -> None:
    assert is_ean("4006381333931")
    assert is_ean("5790000000005")
    assert not is_ean("5790000000000")
    assert not is_ean("400638133393")
    assert not is_ean("400638133393X")
    for digit in "023456789":
        assert not is_ean("400638133393" + digit)
