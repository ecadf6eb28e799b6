"""Country names as e-conomic shows them, from the ISO codes webshops send."""

from __future__ import annotations

import pytest

from engine.errors import DataError
from engine.helpers.countries import NAMES, country_name


@pytest.mark.parametrize(("code", "name"), [
    ("DK", "Denmark"), ("de", "Germany"), (" SE ", "Sweden"), ("GB", "United Kingdom"), ("US", "United States"),
    ("NO", "Norway"), ("GR", "Greece"), ("EL", "Greece"), ("NL", "Netherlands"), ("FO", "Faroe Islands"),
])
def test_codes_become_english_short_names(code: str, name: str) -> None:
    assert country_name(code) == name


def test_no_country_stays_empty_and_an_unknown_code_is_a_data_error() -> None:
    assert country_name(None) is None and country_name("") == ""
    with pytest.raises(DataError, match="'XX' is not an ISO 3166 country code"):
        country_name("XX")


def test_every_eu_country_and_every_name_fits_economics_country_field() -> None:
    from engine.helpers.vat import EU_COUNTRIES

    assert all(code in NAMES for code in EU_COUNTRIES)
    assert len(NAMES) > 240 and max(len(name) for name in NAMES.values()) <= 50
