"""ensure_product against the sandbox: get by encoded number, create, update, default product."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from engine.errors import DataError

from connectors.economic.client import encode_key
from connectors.economic.connector import EconomicConnector
from connectors.economic.testing import Probe, context, sandbox_connector




def product(number: Any, **extra: Any) -> dict[str, Any]:
    return {"productNumber": number, "name": "Hue, strik", "productGroupNumber": 1, "salesPrice": Decimal("79.96"),
            "unitNumber": 1, **extra}


def test_a_missing_product_with_special_characters_is_created(eco: EconomicConnector, probe: Probe) -> None:
    result = eco.ensure_product(product("HUE/1 2_x"), context("o1"))
    assert result == {"productNumber": "HUE/1 2_x", "created": True, "updated": [], "used_default": False}
    stored = probe.get(f"/products/{encode_key('HUE/1 2_x')}")
    assert stored["name"] == "Hue, strik" and stored["salesPrice"] == Decimal("79.96")
    assert stored["productGroup"]["productGroupNumber"] == 1


def test_an_existing_product_is_left_alone_unless_fields_may_be_updated(eco: EconomicConnector, probe: Probe) -> None:
    same = eco.ensure_product(product("100", name="Changed", salesPrice="10.00"), context("o1"))
    assert same == {"productNumber": "100", "created": False, "updated": [], "used_default": False}
    assert probe.get("/products/100")["name"] == "T-shirt"
    fresh = sandbox_connector(probe.url)
    changed = fresh.ensure_product(product("100", name="T-shirt", salesPrice="149.00", update_fields=["salesPrice", "name"]),
                                   context("o2"))
    assert changed["updated"] == ["salesPrice"]
    assert probe.get("/products/100")["salesPrice"] == Decimal("149.00")


def test_a_product_number_over_25_characters_is_a_data_error(eco: EconomicConnector) -> None:
    with pytest.raises(DataError) as caught:
        eco.ensure_product(product("X" * 26), context("o1"))
    assert caught.value.field_path == "productNumber" and "26 characters" in str(caught.value)


def test_the_default_product_stands_in_when_creation_is_off(eco: EconomicConnector, probe: Probe) -> None:
    result = eco.ensure_product(product("NOPE-1", create=False, default_product_number="FRAGT"), context("o1"))
    assert result == {"productNumber": "FRAGT", "created": False, "updated": [], "used_default": True}
    missing = eco.ensure_product(product(None, default_product_number="FRAGT"), context("o2"))
    assert missing["used_default"] is True
    with pytest.raises(DataError, match="NOPE-2 does not exist in e-conomic and creating products is off"):
        eco.ensure_product(product("NOPE-2", create=False), context("o3"))
    assert len(probe.collection("/products")) == 2  # nothing created


def test_unknown_product_group_fails_before_the_post(eco: EconomicConnector, probe: Probe) -> None:
    with pytest.raises(DataError) as caught:
        eco.ensure_product(product("NEW", productGroupNumber=77), context("o1"))
    assert caught.value.field_path == "productGroupNumber" and "product group 77 does not exist" in str(caught.value)
    assert "POST /products" not in probe.calls()


def test_a_product_seen_once_costs_no_further_call(eco: EconomicConnector, probe: Probe) -> None:
    eco.ensure_product(product("100"), context("o1"))
    before = probe.total_calls()
    eco.ensure_product(product("100"), context("o2"))
    assert probe.total_calls() == before
