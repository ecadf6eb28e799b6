"""The loaded Recipe: what the runner gets from a recipe file."""

from __future__ import annotations

import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.recipe import apply_settings, load_recipe, parse_interval

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "validate"

# `project` (a copy of the good fixture project) and `fake_connectors` come from
# tests/engine/conftest.py
pytestmark = pytest.mark.usefixtures("fake_connectors")


ORDER = {
    "id": 7, "number": "1007", "status": "processing", "total": Decimal("250.00"), "currency": "DKK",
    "customer_id": 42, "date_created": "2024-03-01T10:00:00", "customer_note": "",
    "billing": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
                "address_1": "Main St 1", "city": "Aarhus", "country": "DK"},
    "line_items": [{"name": "Tea", "quantity": 2, "total": Decimal("100.00")}],
}


def test_recipe_is_built_with_compiled_flows(project):
    recipe = load_recipe(project / "recipes" / "shop-ledger.yaml")
    assert (recipe.name, recipe.version, recipe.description) == ("shop-ledger", "1.2.0", "Shop orders become ledger invoices")
    assert recipe.connections["shop"].connector == "fakeshop"
    assert recipe.connections["shop"].settings == {"page_size": 50}
    flow = recipe.flows["orders"]
    assert flow.description == "Orders become invoices"
    assert (flow.source.connection, flow.source.stream) == ("shop", "orders")
    settings = apply_settings(recipe, {"customer_group": 3})
    assert flow.source.options["statuses"].evaluate({"settings": settings}) == ["processing", "completed"]
    assert flow.source.options["page_size"].evaluate({"settings": settings}) == 20
    assert (flow.trigger.every, flow.trigger.cron, flow.trigger.webhook, flow.trigger.manual) == (timedelta(minutes=5), None, True, False)
    context = {"record": ORDER, "settings": settings, "key": "7"}
    assert flow.filter.evaluate(context) is True
    assert flow.key.search(ORDER) == "7"
    assert {name: ref.evaluate(context) for name, ref in flow.refs.items()} == {"order_number": "1007"}
    assert flow.concurrency_key.evaluate(context) == 42
    assert [(s.name, s.connection, s.action, s.on_change) for s in flow.steps] == [
        ("customer", "ledger", "find_or_create_customer", "ignore"),
        ("invoice", "ledger", "create_invoice", "update"),
        ("note", "ledger", "create_order", "ignore"),
    ]


def test_steps_carry_their_mappings_and_conditions(project):
    recipe = load_recipe(project / "recipes" / "shop-ledger.yaml")
    customer, invoice, note = recipe.flows["orders"].steps
    settings = apply_settings(recipe, {"customer_group": 3})
    context = {"record": ORDER, "settings": settings, "key": "7", "steps": {"customer": {"customerNumber": 5}}}
    assert customer.when is None
    assert customer.input.evaluate(context) == {
        "name": "Ada Lovelace", "email": "ada@example.com", "customerGroup": 3,
        "address": {"street": "Main St 1", "city": "Aarhus", "country": "DK"},
    }
    assert invoice.when.evaluate(context) is True
    produced = invoice.input.evaluate(context)
    assert produced["customer"] == {"customerNumber": 5}
    assert produced["lines"] == [{"description": "Tea", "quantity": 2, "unitNetPrice": Decimal("50.00")}]
    assert "notes" not in produced  # $when on an empty customer note
    assert note.input.evaluate(context) == {"heading": "Order 1007 for 5"}


def test_digest_follows_recipe_and_every_mapping_file(project):
    path = project / "recipes" / "shop-ledger.yaml"
    first = load_recipe(path).digest
    assert len(first) == 12 and load_recipe(path).digest == first
    used = project / "mappings" / "address.yaml"  # reached only through $use
    used.write_text(used.read_text().replace("city:", "town:"))
    assert load_recipe(path).digest != first


def test_invalid_recipe_raises_config_error_listing_located_problems(tmp_path, monkeypatch):
    shutil.copy(FIXTURES / "bad" / "five-errors.yaml", tmp_path / "recipe.yaml")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_recipe("recipe.yaml")
    text = str(caught.value)
    assert "5 problems" in text
    for position in ("recipe.yaml:13:26", "recipe.yaml:14:38", "recipe.yaml:15:22", "recipe.yaml:19:15", "recipe.yaml:21:46"):
        assert position in text
    assert caught.value.location.line == 13


def test_missing_recipe_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_recipe(tmp_path / "nope.yaml")


def test_apply_settings_fills_defaults_and_checks_types(project):
    recipe = load_recipe(project / "recipes" / "shop-ledger.yaml")
    one = apply_settings(recipe, {"customer_group": 1})
    assert one == {"customer_group": 1, "statuses": ["processing", "completed"], "book_invoices": True, "layout": "standard"}
    one["statuses"].append("x")
    assert apply_settings(recipe, {"customer_group": 1})["statuses"] == ["processing", "completed"]
    with pytest.raises(ConfigError) as caught:
        apply_settings(recipe, {"customer_group": "two", "layot": "compact"})
    message = str(caught.value)
    assert "settings.customer_group: expected a whole number, got string 'two'" in message
    assert "settings.layot: unknown key 'layot' (did you mean 'layout'?)" in message
    with pytest.raises(ConfigError, match="missing required key 'customer_group'"):
        apply_settings(recipe, {})


def test_flow_without_trigger_runs_on_demand(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        'iex: 1\nname: r\nversion: "1.0.0"\nconnections:\n  ledger: {connector: fakeledger}\n  shop: {connector: fakeshop}\n'
        "flows:\n  o:\n    source: {connection: shop, stream: orders}\n    key: id\n"
        "    steps: [{name: a, action: ledger.create_order}]\n")
    flow = load_recipe(path).flows["o"]
    assert (flow.trigger.every, flow.trigger.cron, flow.trigger.webhook, flow.trigger.manual) == (None, None, False, True)
    assert flow.filter is None and flow.concurrency_key is None and flow.refs == {}
    assert flow.steps[0].input.evaluate({"record": {}}) == {}


def test_parse_interval():
    assert parse_interval("1h30m") == timedelta(hours=1, minutes=30)
    assert parse_interval("45s") == timedelta(seconds=45)
    with pytest.raises(ValueError):
        parse_interval("5 minutes")


def test_on_change_from_settings_is_checked_for_each_integrations_settings(project):
    path = project / "recipes" / "shop-ledger.yaml"
    path.write_text(path.read_text().replace(
        "        on_change: update\n",
        "        on_change: \"{{ 'update' if settings.book_invoices else settings.layout }}\"\n"))
    recipe = load_recipe(path)
    invoice = recipe.flows["orders"].steps[1]
    from engine.recipe import change_policy

    assert change_policy(invoice.on_change, apply_settings(recipe, {"customer_group": 1})) == "update"
    with pytest.raises(ConfigError) as caught:
        apply_settings(recipe, {"customer_group": 1, "book_invoices": False, "layout": "compact"})
    assert "flows.orders step invoice on_change gave 'compact'; it must give update or ignore" in str(caught.value)
