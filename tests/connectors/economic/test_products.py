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


def test_ensure_products_makes_an_orders_products_in_one_step(eco: EconomicConnector, probe: Probe) -> None:
    result = eco.ensure_products({"products": [
        product("NEW-1"), product("100"), product("NEW-1"),
        product(None, default_product_number="FRAGT"),
        product("GONE-1", create=False, default_product_number="FRAGT"),
    ]}, context("o1"))
    assert [p["productNumber"] for p in result["products"]] == ["NEW-1", "100", "NEW-1", "FRAGT", "FRAGT"]
    assert [p["created"] for p in result["products"]] == [True, False, False, False, False]
    assert result["by_sku"] == {
        "NEW-1": {"productNumber": "NEW-1", "created": True, "updated": [], "used_default": False},
        "100": {"productNumber": "100", "created": False, "updated": [], "used_default": False},
        "GONE-1": {"productNumber": "FRAGT", "created": False, "updated": [], "used_default": True},
    }
    assert probe.get("/products/NEW-1")["name"] == "Hue, strik"
    assert probe.calls().get("POST /products") == 1


def test_known_products_cost_no_call_and_a_failing_product_names_its_place(eco: EconomicConnector, probe: Probe) -> None:
    eco.ensure_products({"products": [product("100"), product("NEW-2")]}, context("o1"))
    before = probe.total_calls()
    again = eco.ensure_products({"products": [product("NEW-2"), product("100")]}, context("o2"))
    assert probe.total_calls() == before and not any(p["created"] for p in again["products"])
    with pytest.raises(DataError) as caught:
        eco.ensure_products({"products": [product("100"), product("NOPE-3", create=False)]}, context("o3"))
    assert caught.value.field_path == "products[1].productNumber"
    assert "NOPE-3 does not exist in e-conomic and creating products is off" in caught.value.message


def test_ensure_products_is_simply_sent_again_after_a_crash(eco: EconomicConnector, probe: Probe) -> None:
    data = {"products": [product("NEW-4")]}
    assert eco.find_effect("ensure_products", data, context("o1")) is None
    eco.ensure_products(data, context("o1"))
    fresh = sandbox_connector(probe.url)
    assert fresh.ensure_products(data, context("o1"))["products"][0]["created"] is False
    assert len([p for p in probe.collection("/products") if p["productNumber"] == "NEW-4"]) == 1
