"""The pieces of client.py that need no server: e-conomic's filter escaping, self-link encoding
of product numbers, and where the Journals API lives."""

from __future__ import annotations

import pytest

from connectors.economic.client import (
    REAL_JOURNALS_URL, encode_key, escape_filter_value, filter_eq, journals_url_for, money,
)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain@example.com", "plain@example.com"),
        ("a$b", "a$$b"),
        ("Tøj (Co)", "Tøj $(Co$)"),
        ("x*y,z", "x$*y$,z"),
        ("[1]", "$[1$]"),
        ("$(", "$$$("),  # "$" first, so the "(" escape is not escaped again
    ],
)
def test_filter_values_are_escaped_as_economic_documents(raw: str, escaped: str) -> None:
    assert escape_filter_value(raw) == escaped


def test_filter_eq_writes_null_and_escapes() -> None:
    assert filter_eq("email", None) == "email$eq:$null:"
    assert filter_eq("references.other", "order (7)") == "references.other$eq:order $(7$)"
    assert filter_eq("customerNumber", 12) == "customerNumber$eq:12"


@pytest.mark.parametrize(
    ("number", "encoded"),
    [
        ("100", "100"),
        ("SKU/1 2", "SKU_6_1_9_2"),
        ("a_b", "a_8_b"),                  # "_" first, or "_6_" would be mangled
        ("x.y?z#w+v", "x_11_y_10_z_12_w_13_v"),
        ("<>*%:&\\", "_0__1__2__3__4__5__7_"),
        ("æble", "%C3%A6ble"),             # everything else is URL-encoded
    ],
)
def test_product_numbers_use_the_self_link_encoding(number: str, encoded: str) -> None:
    assert encode_key(number) == encoded


def test_journals_url_follows_a_sandbox_base_url_and_defaults_to_the_real_host() -> None:
    assert journals_url_for({}) == REAL_JOURNALS_URL
    assert journals_url_for({"base_url": "https://restapi.e-conomic.com"}) == REAL_JOURNALS_URL
    assert journals_url_for({"base_url": "http://127.0.0.1:5000/"}) == "http://127.0.0.1:5000/journalsapi/v5.0.0"
    assert journals_url_for({"base_url": "http://127.0.0.1:5000", "journals_url": "https://j.example/v6/"}) == "https://j.example/v6"


def test_money_rounds_half_up_to_cents_without_floats() -> None:
    assert str(money("1.005")) == "1.01"
    assert str(money(2.675)) == "2.68"    # through str, not binary 2.67499...
    assert str(money(None)) == "0.00"
