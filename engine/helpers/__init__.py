"""The helper set templates may call: small pure functions for money, EU/VAT, countries and dates.

``GLOBALS`` are callable by name in templates (``money(record.total)``), ``FILTERS`` also as
filters (``record.total | money``). Everything here is pure: no I/O, no clock, no randomness.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.helpers.countries import country_name
from engine.helpers.dates import add_days, date, datetime, days_between, format_date
from engine.helpers.general import (
    coalesce,
    digits,
    fail,
    first,
    lookup,
    to_int,
    to_str,
    truncate_to,
)
from engine.helpers.money import (
    currency_exponent,
    major_to_minor,
    minor_to_major,
    money,
    net_from_gross,
    round_money,
    sum_money,
    vat_of,
)
from engine.helpers.vat import (
    EU_COUNTRIES,
    OSS_STANDARD_RATES,
    is_danish_cvr,
    is_ean,
    is_eu,
    normalize_vat_number,
    oss_rate,
    vat_number_country,
    vat_zone,
)

GLOBALS: dict[str, Any] = {
    # money
    "money": money,
    "round_money": round_money,
    "minor_to_major": minor_to_major,
    "major_to_minor": major_to_minor,
    "currency_exponent": currency_exponent,
    "net_from_gross": net_from_gross,
    "vat_of": vat_of,
    "sum_money": sum_money,
    # EU / VAT
    "EU_COUNTRIES": sorted(EU_COUNTRIES),
    "is_eu": is_eu,
    "vat_zone": vat_zone,
    "oss_rate": oss_rate,
    "vat_number_country": vat_number_country,
    "normalize_vat_number": normalize_vat_number,
    "is_danish_cvr": is_danish_cvr,
    "is_ean": is_ean,
    # dates
    "date": date,
    "datetime": datetime,
    "format_date": format_date,
    "add_days": add_days,
    "days_between": days_between,
    # general
    "to_str": to_str,
    "to_int": to_int,
    "first": first,
    "lookup": lookup,
    "coalesce": coalesce,
    "truncate_to": truncate_to,
    "digits": digits,
    "country_name": country_name,
    "fail": fail,
}

# Helpers that read naturally as filters: ``record.total | money | round_money``.
FILTERS: dict[str, Callable[..., Any]] = {
    name: GLOBALS[name]
    for name in (
        "money", "round_money", "minor_to_major", "major_to_minor", "net_from_gross", "vat_of",
        "sum_money", "is_eu", "normalize_vat_number", "vat_number_country", "is_danish_cvr",
        "is_ean", "date", "datetime", "format_date", "add_days", "to_str", "to_int",
        "truncate_to", "digits", "country_name",
    )
}

__all__ = ["EU_COUNTRIES", "FILTERS", "GLOBALS", "OSS_STANDARD_RATES"]
