"""General helpers: text, whole numbers, first non-empty value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import DataError
from engine.helpers.general import (
    coalesce,
    digits,
    first,
    lookup,
    to_int,
    to_str,
    truncate_to,
)


def test_coalesce_skips_none_and_empty_text() -> None:
    assert coalesce(None, "", "x", "y") == "x"
    assert coalesce(None, 0) == 0
    assert coalesce(None, "") is None


def test_to_str_writes_decimals_plainly() -> None:
    assert to_str(Decimal("1E+2")) == "100"
    assert to_str(Decimal("12.50")) == "12.50"
    assert to_str(None) == "" and to_str(True) == "true"
    with pytest.raises(DataError, match="floats"):
        to_str(1.5)


def test_to_int_refuses_fractions() -> None:
    assert to_int("42") == 42 and to_int(Decimal("3.0")) == 3
    with pytest.raises(DataError, match="not a whole number"):
        to_int("3.5")
    with pytest.raises(DataError):
        to_int("abc")


def test_small_text_helpers() -> None:
    assert truncate_to("abcdef", 3) == "abc" and truncate_to(None, 3) is None
    assert digits("+45 12 34-56 78") == "4512345678"
    assert first([3, 4]) == 3 and first([]) is None and first(None) is None


def test_fail_raises_a_data_error_with_the_message() -> None:
    from engine.helpers.general import fail

    with pytest.raises(DataError, match="^quantity must be positive$"):
        fail("quantity must be positive")
    with pytest.raises(DataError, match="refused this record"):
        fail("  ")


def test_lookup_reads_a_key_value_list_as_webshops_send_them() -> None:
    meta = [{"id": 1, "key": "_billing_cvr", "value": "12345678"}, {"id": 2, "key": "ean", "value": None},
            {"id": 3, "key": "_billing_cvr", "value": "later duplicate"}]
    assert lookup(meta, "_billing_cvr") == "12345678"       # the first entry wins, as WooCommerce shows it
    assert lookup(meta, "ean") is None and lookup(meta, "missing") is None
    assert lookup([{"name": "gift", "value": "yes"}], "gift", key_field="name") == "yes"   # Shopify note_attributes
    assert lookup(None, "x") is None


def test_lookup_of_something_that_is_not_a_list_says_so() -> None:
    with pytest.raises(DataError, match="lookup needs a list of entries, not dict"):
        lookup({"key": "x"}, "x")
