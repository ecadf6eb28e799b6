"""Mappings run as generated Python: the same output and the same located errors as the node
tree, without asking the tree (the suite's conftest also cross-checks every mapping it runs)."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import DataError, IexError, IexSystemError
from engine.mapping import compile_mapping, load_mapping, nodes
from engine.mapping.nodes import Mapping

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture()
def generated_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluation must not touch the tree (no cross-check, the tree raises if asked)."""
    monkeypatch.setattr(nodes, "CROSSCHECK", False)

    def refuse(self: Mapping, context: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("the tree was asked")

    monkeypatch.setattr(Mapping, "evaluate_tree", refuse)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ORDER = {
    "number": "1001",
    "lines": [{"sku": "A", "qty": 2, "price": Decimal("10.00")},
              {"sku": "B", "qty": 1, "price": Decimal("5.50"), "note": "gift"}],
    "created": dt.date(2025, 3, 1),
}


def test_the_webshop_invoice_mapping_runs_as_generated_code(generated_only: None) -> None:
    mapping = load_mapping(ROOT / "mappings" / "woocommerce" / "sale.yaml")
    settings = {"meta_key_cvr": "cvr", "meta_key_vat_number": "vat", "meta_key_ean": "ean",
                "meta_key_person_reference": "att", "meta_key_order_reference": "req",
                "b2b_when_company_name": True, "tax_based_on": "billing", "home_country": "DK",
                "oss": True, "payment_methods": {}, "layout_foreign": None, "layout": 19,
                "vat_zone_domestic": 1, "vat_zone_eu": 2, "vat_zone_abroad": 3, "payment_terms": 1,
                "oss_product_prefix": "OSS-", "ean_send_by_ean": True,
                **{f"{kind}_{rule}": f"{kind}-{rule}" for kind in ("b2c", "b2b", "ean")
                   for rule in ("match", "common_customer", "create", "update_fields", "vat_zone",
                                "payment_terms", "invoice_terms")},
                **{f"{kind}_customer_group": {"domestic": 1, "eu": 2, "abroad": 3} for kind in ("b2c", "b2b", "ean")}}
    order = {"meta_data": [{"key": "cvr", "value": " 12345678 "}], "billing": {"company": "Kaffe ApS", "country": "de"},
             "shipping": {"country": "DE"}, "total_tax": "19.00", "payment_method": "card"}
    sale = mapping.evaluate({"settings": settings, "order": order})
    assert (sale["kind"], sale["cvr"], sale["country"], sale["treatment"]) == ("b2b", "12345678", "DE", "oss")
    assert sale["oss_product"] == "OSS-DE" and sale["rules"]["customer_group"] == 2


def test_each_use_vars_and_when_give_the_trees_output(tmp_path: Path, generated_only: None) -> None:
    write(tmp_path, "line.yaml", """
vars:
  net: "{{ line.price * line.qty }}"
fields:
  sku: "{{ line.sku }}"
  net: "{{ net }}"
  position: "{{ loop_index }}"
  note: {$when: "{{ line.note is defined }}", $value: "{{ line.note | upper }}"}
""")
    path = write(tmp_path, "order.yaml", """
vars:
  prefix: "Ordre"
  heading: "{{ vars.prefix ~ ' ' ~ record.number }}"
fields:
  heading: "{{ heading }}"
  date: "{{ record.created }}"
  discount: {$value: "{{ record.discount }}", $default: "0.00"}
  lines:
    $each: record.lines
    $as: line
    $fields:
      $use: ./line.yaml
      $with: {line: "{{ line }}", loop_index: "{{ loop.index }}"}
      last: "{{ loop.last }}"
""")
    out = load_mapping(path).evaluate({"record": ORDER})
    assert out == {
        "heading": "Ordre 1001", "date": "2025-03-01", "discount": "0.00",
        "lines": [{"sku": "A", "net": Decimal("20.00"), "position": 1, "last": False},
                  {"sku": "B", "net": Decimal("5.50"), "note": "GIFT", "position": 2, "last": True}],
    }


def test_a_nested_each_with_the_same_name_does_not_disturb_the_outer_one(generated_only: None) -> None:
    mapping = compile_mapping({"groups": {
        "$each": "record.groups", "$as": "x",
        "$fields": {"items": {"$each": "x.items", "$as": "x", "$fields": {"v": "{{ x }}"}},
                    "name": "{{ x.name }}"}}})
    out = mapping.evaluate({"record": {"groups": [{"name": "g1", "items": [1, 2]}, {"name": "g2", "items": []}]}})
    assert out == {"groups": [{"items": [{"v": 1}, {"v": 2}], "name": "g1"}, {"items": [], "name": "g2"}]}


def test_a_refused_line_gives_the_trees_located_error_without_the_tree(tmp_path: Path, generated_only: None) -> None:
    write(tmp_path, "line.yaml", """
fields:
  qty: "{{ line.qty if line.qty > 0 else fail('line ' ~ line.sku ~ ' has quantity ' ~ line.qty) }}"
""")
    path = write(tmp_path, "order.yaml", """
fields:
  lines: {$each: record.lines, $as: line, $fields: {$use: ./line.yaml, $with: {line: "{{ line }}"}}}
""")
    record = {"lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": -1}]}
    with pytest.raises(DataError) as info:
        load_mapping(path).evaluate({"record": record})
    assert info.value.field_path == "lines[1].qty"
    assert "line B has quantity -1" in info.value.message
    assert info.value.location is not None and info.value.location.file.endswith("line.yaml")


def test_a_missing_value_names_what_is_missing(generated_only: None) -> None:
    with pytest.raises(DataError) as info:
        compile_mapping({"customer": {"name": "{{ record.billing.company }}"}}).evaluate({"record": {"billing": {}}})
    assert info.value.field_path == "customer.name"
    assert "record.billing.company is undefined" in info.value.message


def test_dates_tuples_and_floats_become_plain_output_but_vars_keep_their_type(generated_only: None) -> None:
    mapping = compile_mapping({"iex": 1, "vars": {"d": "{{ record.created }}"},
                               "fields": {"year": "{{ d.year }}", "day": "{{ d }}", "pair": "{{ (1, 2) }}",
                                          "rate": 0.25}})
    assert mapping.evaluate({"record": ORDER}) == {"year": 2025, "day": "2025-03-01", "pair": [1, 2],
                                                    "rate": Decimal("0.25")}


def test_an_output_over_the_value_cap_is_refused_as_by_the_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nodes, "MAX_OUTPUT_NODES", 300)
    mapping = compile_mapping({"rows": {"$each": "record.rows", "$fields": {"a": "{{ item }}", "b": 1}}})
    budget = [300]
    out = mapping._fast()({"record": {"rows": list(range(99))}}, "", 1, budget)   # 299 values
    assert len(out["rows"]) == 99 and budget == [1]
    with pytest.raises(IexSystemError, match="more than 300 values"):
        mapping.evaluate({"record": {"rows": list(range(100))}})


@pytest.mark.parametrize("template", ["{{ to_str(record.text) }}", "{{ record.text | upper }}",
                                      "{{ coalesce(record.text, '') }}", "{{ truncate_to(record.text, 2000000) }}"])
def test_a_value_finished_on_a_fast_path_is_still_capped(template: str) -> None:
    """Written-out calls leave the finishing out only where their value is capped already."""
    mapping = compile_mapping({"v": template})
    assert mapping.evaluate({"record": {"text": "\u0390" * 300_000}})["v"] in ("\u0390" * 300_000,
                                                                              "\u0390".upper() * 300_000)
    with pytest.raises(IexError, match="larger than 1000000") as info:
        mapping.evaluate({"record": {"text": "\u0390" * 400_000 if "upper" in template else "x" * 1_000_001}})
    assert info.value.field_path == "v"


def test_written_out_helpers_give_the_helpers_answer(generated_only: None) -> None:
    mapping = compile_mapping({"country": "{{ country_name(record.country) }}",
                               "price": "{{ round_money(record.amount) }}",
                               "cvr": "{{ coalesce(record.cvr, '') }}",
                               "name": "{{ to_str(record.name) | trim }}"})
    assert mapping.evaluate({"record": {"country": "DK", "amount": Decimal("2.345"), "cvr": "", "name": None}}) \
        == {"country": "Denmark", "price": Decimal("2.35"), "cvr": None, "name": ""}
    assert mapping.evaluate({"record": {"country": " de", "amount": "10.005", "cvr": "123", "name": 7}}) \
        == {"country": "Germany", "price": Decimal("10.01"), "cvr": "123", "name": "7"}
    with pytest.raises(DataError, match="'XX' is not an ISO 3166 country code") as info:
        mapping.evaluate({"record": {"country": "XX", "amount": 1, "cvr": None, "name": ""}})
    assert info.value.field_path == "country"


def test_a_template_the_translator_does_not_know_still_runs_in_a_generated_mapping(generated_only: None) -> None:
    mapping = compile_mapping({"total": "{{ money(*record.amounts) }}", "n": "{{ record.n }}"})
    assert mapping._fast() is not None
    assert mapping.evaluate({"record": {"amounts": ["12.5"], "n": 3}}) == {"total": Decimal("12.50"), "n": 3}


def test_a_context_name_that_shadows_a_helper_is_honoured() -> None:
    mapping = compile_mapping({"v": "{{ money }}"})
    assert mapping.evaluate({"money": "the context's value"}) == {"v": "the context's value"}


_SHOP_ORDERS: list[dict[str, Any]] = []


def _shop_orders() -> list[dict[str, Any]]:
    if not _SHOP_ORDERS:
        import json

        from connectors.woocommerce.sandbox import create_app

        store = create_app({"generate": 40, "seed": 11}).state.shop.store
        _SHOP_ORDERS.extend(json.loads(json.dumps(o, default=str), parse_float=Decimal) for o in store.orders.values())
    return _SHOP_ORDERS


@functools.cache
def _invoice_mapping() -> tuple[Mapping, dict[str, Any]]:
    from engine.recipe import apply_settings, load_recipe

    recipe = load_recipe(ROOT / "recipes" / "woocommerce-economic.yaml")
    return (load_mapping(ROOT / "mappings" / "woocommerce" / "invoice.yaml"),
            apply_settings(recipe, {"start_date": "2025-03-01"}))


def _break(order: Any, path: list[Any], how: str) -> Any:
    """The order with one value somewhere deleted, emptied or swapped for another type."""
    import copy

    broken = copy.deepcopy(order)
    parent: Any = broken
    for step in path[:-1]:
        parent = parent[step % len(parent)] if isinstance(parent, list) else parent[sorted(parent)[step % len(parent)]]
        if not isinstance(parent, dict | list) or not parent:
            return broken
    key = path[-1] % len(parent) if isinstance(parent, list) else sorted(parent)[path[-1] % len(parent)]
    if how == "delete" and isinstance(parent, dict):
        del parent[key]
    else:
        parent[key] = {"none": None, "text": "x", "number": Decimal("-1.5"), "list": [], "dict": {}}.get(how)
    return broken




@settings(max_examples=50, deadline=None)
@given(st.integers(0, 39), st.lists(st.integers(0, 50), min_size=1, max_size=4),
       st.sampled_from(["delete", "none", "text", "number", "list", "dict"]))
def test_broken_shop_orders_give_the_same_invoice_or_error_both_ways(index: int, path: list[int], how: str) -> None:
    mapping, settings_ = _invoice_mapping()
    order = _break(_shop_orders()[index], path, how)
    context = {"record": order, "settings": settings_, "key": str(order.get("id")),
               "steps": {"customer": {"customerNumber": 7}, "products": {"by_sku": {}}}}
    try:
        tree: Any = mapping.evaluate_tree(context)
    except IexError as exc:
        tree = (type(exc), str(exc), exc.field_path)
    try:
        generated: Any = mapping.evaluate(context)    # with the cross-check off: generated first
    except IexError as exc:
        generated = (type(exc), str(exc), exc.field_path)
    assert generated == tree


def test_every_generated_shop_order_maps_without_the_tree(generated_only: None) -> None:
    """The generated code handles every order of the shop's mix itself, refusals included
    (they are explained one template at a time): no record falls back to the slow path."""
    mapping, settings_ = _invoice_mapping()
    outcomes = {"mapped": 0, "refused": 0}
    for order in _shop_orders():
        context = {"record": order, "settings": settings_, "key": str(order["id"]),
                   "steps": {"customer": {"customerNumber": 7}, "products": {"by_sku": {}}}}
        try:
            mapping.evaluate(context)
            outcomes["mapped"] += 1
        except DataError:
            outcomes["refused"] += 1
    assert outcomes["mapped"] >= 30


@pytest.mark.parametrize("path", sorted((ROOT / "mappings").rglob("*.yaml")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_mapping_shipped_becomes_generated_code(path: Path) -> None:
    assert load_mapping(path)._fast() is not None
