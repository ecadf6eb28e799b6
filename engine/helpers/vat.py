"""EU/VAT helpers: membership, VAT zone, OSS rates, VAT numbers, CVR and EAN checks.

Country codes are ISO 3166 alpha-2. Greece is "GR" in ISO but "EL" in VAT numbers; both are
accepted as input and "GR" is returned as the country.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from engine.errors import DataError

EU_COUNTRIES: frozenset[str] = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)

# Standard VAT rates per EU member state, as fractions, valid for 2025-2026 (checked against
# several public rate tables, 2025): FI 25.5 % since 2024-09-01, SK 23 % since 2025-01-01,
# EE 24 % since 2025-07-01, RO 21 % since 2025-08-01. RATES CHANGE: this table must be kept
# current (check the European Commission's "VAT rates in the EU" page at least once a year).
OSS_STANDARD_RATES: dict[str, Decimal] = {
    country: Decimal(rate)
    for country, rate in {
        "AT": "0.20", "BE": "0.21", "BG": "0.20", "CY": "0.19", "CZ": "0.21", "DE": "0.19",
        "DK": "0.25", "EE": "0.24", "ES": "0.21", "FI": "0.255", "FR": "0.20", "GR": "0.24",
        "HR": "0.25", "HU": "0.27", "IE": "0.23", "IT": "0.22", "LT": "0.21", "LU": "0.17",
        "LV": "0.21", "MT": "0.18", "NL": "0.21", "PL": "0.23", "PT": "0.23", "RO": "0.21",
        "SE": "0.25", "SI": "0.22", "SK": "0.23",
    }.items()
}

VAT_ZONES = ("domestic", "eu", "abroad")


def country_code(country: Any) -> str:
    """Normalise an ISO alpha-2 code ("dk" -> "DK", VAT prefix "EL" -> "GR"); refuse anything
    else, so that a country name never silently counts as "abroad"."""
    if not isinstance(country, str) or not re.fullmatch(r"[A-Za-z]{2}", country.strip()):
        shown = country if isinstance(country, str) and len(country) <= 40 else type(country).__name__
        raise DataError(f"expected an ISO 3166 alpha-2 country code like DK, got {shown!r}")
    code = country.strip().upper()
    return "GR" if code == "EL" else code


def is_eu(country: Any) -> bool:
    """True for the 27 EU member states."""
    return country_code(country) in EU_COUNTRIES


def vat_zone(country: Any, is_business: Any, home: str = "DK") -> str:
    """The VAT treatment of a sale from ``home`` to ``country``:

    * "domestic": VAT is charged: the home country, and EU consumers (B2C). Whether the Danish
      rate or the buyer's country's rate applies (OSS) is a separate decision: see oss_rate().
    * "eu": EU business customers (B2B): reverse charge, no VAT on the invoice.
    * "abroad": outside the EU: export, no VAT.
    """
    buyer, seller = country_code(country), country_code(home)
    if buyer == seller:
        return "domestic"
    if buyer in EU_COUNTRIES and seller in EU_COUNTRIES:
        return "eu" if is_business else "domestic"
    return "abroad"


def oss_rate(country: Any) -> Decimal:
    """The standard VAT rate of an EU member state as a fraction (DE -> 0.19), for OSS sales."""
    code = country_code(country)
    if code not in OSS_STANDARD_RATES:
        raise DataError(f"oss_rate(): {code} is not an EU member state")
    return OSS_STANDARD_RATES[code]


def normalize_vat_number(vat_no: Any) -> str:
    """Upper case, no spaces, dots or dashes: "dk 12 34 56 78" -> "DK12345678". A Greek number
    keeps the VAT prefix "EL" (a "GR" prefix is turned into "EL", as VIES expects)."""
    if vat_no is None:
        return ""
    text = re.sub(r"[^0-9A-Za-z]", "", str(vat_no)).upper()
    return "EL" + text[2:] if text.startswith("GR") else text


def vat_number_country(vat_no: Any) -> str | None:
    """The ISO country of a VAT number from its prefix ("EL..." -> "GR"); None without prefix."""
    text = normalize_vat_number(vat_no)
    if len(text) < 3 or not text[:2].isalpha():
        return None
    return "GR" if text[:2] == "EL" else text[:2]


_CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


def is_danish_cvr(value: Any) -> bool:
    """True for a valid Danish CVR number: 8 digits, not starting with 0, modulus-11 check.
    Spaces and a "DK" prefix are allowed."""
    text = re.sub(r"\s", "", str(value or "")).upper().removeprefix("DK")
    if not re.fullmatch(r"[1-9]\d{7}", text):
        return False
    return sum(int(d) * w for d, w in zip(text, _CVR_WEIGHTS)) % 11 == 0


def is_ean(value: Any) -> bool:
    """True for a 13-digit EAN/GLN location number with a correct GS1 check digit (the number
    public-sector customers receive invoices on)."""
    text = re.sub(r"\s", "", str(value or ""))
    if not re.fullmatch(r"\d{13}", text):
        return False
    body = [int(d) for d in text[:12]]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(body))
    return (10 - total % 10) % 10 == int(text[12])
