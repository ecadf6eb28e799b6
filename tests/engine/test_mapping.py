"""Mapping files: directives, exact Decimal output, located errors, all problems at once."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import DataError, IexError
from engine.mapping import MappingError, compile_mapping, load_mapping

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mapping"
WOO = FIXTURES / "woocommerce"


def woo_order() -> dict:
    return json.loads((WOO / "order.json").read_text(), parse_float=Decimal)


def woo_context(order: dict | None = None) -> dict:
    return {"record": order or woo_order(), "settings": {}, "steps": {"customer": {"customerNumber": 12}},
            "key": "727"}


def test_woocommerce_invoice_is_exact() -> None:
    order = woo_order()
    result = load_mapping(WOO / "invoice.yaml").evaluate(woo_context(order))

    mug, tea = order["line_items"]
    assert result["lines"][0]["unitNetPrice"] == Decimal("90.00") / 3
    assert result["lines"][1]["unitNetPrice"] == Decimal("39.90") / 2
    # price is a JSON number (parsed as Decimal): exact, never through float
    assert result["lines"][1]["listPrice"] == Decimal("19.95") * 2
    assert str(result["lines"][1]["listPrice"]) == "39.90"
    assert result["lines"][0]["discountPercentage"] == Decimal("10.00")
    assert "discountPercentage" not in result["lines"][1]        # $when false: left out
    assert result["totals"]["net"] == Decimal("90.00") + Decimal("39.90") + Decimal("39.00")
    assert result["totals"]["gross"] - result["totals"]["vat"] == Decimal("168.90")
    for number in (result["totals"]["net"], result["lines"][0]["unitNetPrice"]):
        assert type(number) is Decimal
    assert [line["lineNumber"] for line in result["lines"]] == [1, 2]
    assert [line["description"] for line in result["lines"]] == [mug["name"], tea["name"]]
    assert result["shipping"] == [{"description": "Shipping: GLS", "unitNetPrice": Decimal("39.00")}]
    assert result["date"] == "2024-03-05"                          # a date becomes ISO text
    assert result["customer"] == {"customerNumber": 12}
    assert result["vatZone"] == "domestic"
    assert result["notes"] == {"heading": "Order 727", "textLine1": "Leave at the door"}
    assert result["recipient"] == {
        "name": "Berg ApS", "address": "Vej 1", "zip": "8000", "city": "Aarhus", "country": "DK",
        "ean": "5790000000005", "tags": ["invoice", "dk"],
    }


def test_when_leaves_the_field_out_and_default_fills_none() -> None:
    order = woo_order()
    order["customer_note"] = ""
    order["meta_data"] = []
    order["billing"]["company"] = ""
    result = load_mapping(WOO / "invoice.yaml").evaluate(woo_context(order))
    assert "notes" not in result
    assert result["recipient"]["ean"] is None
    assert result["recipient"]["name"] == "Ann Berg"


def test_default_is_used_for_none_and_a_missing_last_name_only() -> None:
    mapping = compile_mapping({"fields": {"ean": {"$value": "{{ record.meta.ean }}", "$default": "none"},
                                          "zero": {"$value": "{{ record.zero }}", "$default": 5}}})
    assert mapping.evaluate({"record": {"meta": {"ean": None}, "zero": 0}}) == {"ean": "none", "zero": 0}
    assert mapping.evaluate({"record": {"meta": {}, "zero": ""}}) == {"ean": "none", "zero": ""}
    with pytest.raises(DataError, match="record.meta is undefined"):
        mapping.evaluate({"record": {"zero": 0}})


def test_each_with_loop_nested_each_filter_and_missing_list() -> None:
    mapping = compile_mapping({
        "iex": 1,
        "fields": {
            "orders": {
                "$each": "record.orders[?status == 'paid']",
                "$as": "order",
                "$fields": {
                    "$when": "{{ order.id != 'c' or loop.last }}",
                    "n": "{{ loop.index0 }}/{{ loop.length }}",
                    "first": "{{ loop.first }}",
                    "last": "{{ loop.last }}",
                    "lines": {"$each": "order.lines", "$fields": "{{ order.id }}-{{ item }}-{{ loop.index }}"},
                },
            },
            "nothing": {"$each": "record.absent", "$fields": {"x": 1}},
        },
    })
    record = {"orders": [{"id": "a", "status": "paid", "lines": [1, 2]},
                         {"id": "b", "status": "open", "lines": [3]},
                         {"id": "c", "status": "paid", "lines": []},
                         {"id": "c", "status": "paid", "lines": [9]}]}
    assert mapping.evaluate({"record": record}) == {
        "orders": [
            {"n": "0/3", "first": True, "last": False, "lines": ["a-1-1", "a-2-2"]},
            {"n": "2/3", "first": False, "last": True, "lines": ["c-9-1"]},
        ],
        "nothing": [],
    }


def test_each_of_a_non_list_is_a_data_error_with_the_field_path() -> None:
    mapping = compile_mapping({"fields": {"lines": {"$each": "record.lines", "$fields": {"x": 1}}}})
    with pytest.raises(DataError) as info:
        mapping.evaluate({"record": {"lines": {"not": "a list"}}})
    assert info.value.field_path == "lines" and "not a list" in info.value.message


def test_vars_are_evaluated_in_order() -> None:
    mapping = compile_mapping({
        "iex": 1,
        "vars": {"net": "{{ money(record.total) }}", "vat": "{{ net * 0.25 }}", "gross": "{{ net + vat }}"},
        "fields": {"gross": "{{ gross }}", "parts": ["{{ net }}", "{{ vars.vat }}"]},
    })
    assert mapping.evaluate({"record": {"total": "80.00"}}) == {
        "gross": Decimal("100.0000"), "parts": [Decimal("80.00"), Decimal("20.0000")]}
    early = compile_mapping({"vars": {"a": "{{ b }}", "b": 1}, "fields": {"a": "{{ a }}"}})
    with pytest.raises(DataError, match="b is undefined") as info:
        early.evaluate({})
    assert info.value.field_path == "vars.a"


def test_literal_lists_nested_objects_and_literals() -> None:
    mapping = compile_mapping({"fields": {
        "tags": ["a", 1, 0.5, None, {"k": "{{ record.x }}"}, {"$when": "{{ false }}", "k": 2}],
        "layout": {"layoutNumber": 19},
    }})
    assert mapping.evaluate({"record": {"x": "y"}}) == {
        "tags": ["a", 1, Decimal("0.5"), None, {"k": "y"}], "layout": {"layoutNumber": 19}}


def test_use_with_extra_names_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "party.yaml").write_text(
        'iex: 1\nvars:\n  upper_name: "{{ who.name | upper }}"\n'
        'fields:\n  name: "{{ upper_name }}"\n  country: "{{ record.country }}"\n')
    (tmp_path / "main.yaml").write_text(
        "iex: 1\nvars:\n  local: 1\nfields:\n  party:\n    $use: sub/party.yaml\n"
        '    $with: {who: "{{ record.buyer }}"}\n    country: XX\n')
    result = load_mapping(tmp_path / "main.yaml").evaluate({"record": {"buyer": {"name": "ann"}, "country": "DK"}})
    assert result == {"party": {"name": "ANN", "country": "XX"}}


def test_used_file_does_not_see_the_callers_vars(tmp_path: Path) -> None:
    (tmp_path / "sub.yaml").write_text('fields:\n  x: "{{ local }}"\n')
    (tmp_path / "main.yaml").write_text("vars:\n  local: 1\nfields:\n  y:\n    $use: ./sub.yaml\n")
    with pytest.raises(DataError) as info:
        load_mapping(tmp_path / "main.yaml").evaluate({})
    assert "local is undefined" in info.value.message
    assert info.value.field_path == "y.x"
    assert info.value.location is not None and info.value.location.file.endswith("sub.yaml")


def test_use_cycles_and_missing_files_are_problems() -> None:
    with pytest.raises(MappingError) as info:
        load_mapping(FIXTURES / "cycle_a.yaml")
    (problem,) = info.value.problems
    assert problem.path == ("fields", "b", "$use")
    assert "cycle" in problem.message and "cycle_a.yaml -> cycle_b.yaml -> cycle_a.yaml" in problem.message


def test_all_compile_problems_are_collected_with_paths_and_positions() -> None:
    with pytest.raises(MappingError) as info:
        load_mapping(FIXTURES / "broken.yaml")
    problems = {problem.path: problem for problem in info.value.problems}
    assert set(problems) == {
        ("vars", "record"), ("vars", "total"), ("fields", "name"), ("fields", "lines", "$feilds"),
        ("fields", "lines", "$each"), ("fields", "lines"), ("fields", "note", "$when"),
        ("fields", "other", "$use"),
    }
    assert "did you mean $fields?" in problems[("fields", "lines", "$feilds")].message
    nofilter = problems[("vars", "total")]
    assert "nosuchfilter" in nofilter.message
    assert (nofilter.line, nofilter.col) == (1, "{{ record.total | nosuchfilter }}".index("nosuchfilter") + 1)
    assert "not a template" in problems[("fields", "lines", "$each")].message
    text = str(info.value)
    assert text.startswith(str(FIXTURES / "broken.yaml")) and "8 problems" in text


@pytest.mark.parametrize(
    "doc, path, words",
    [
        ({"fields": {"x": {"$value": 1, "y": 2}}}, ("fields", "x", "y"), "cannot also have fields"),
        ({"fields": {"x": {"$each": "a", "$value": 1, "$fields": {}}}}, ("fields", "x"), "only one of"),
        ({"fields": {"x": {"$default": 1}}}, ("fields", "x", "$default"), "only works together with $value"),
        ({"fields": {"x": {"$each": "a", "$as": "money", "$fields": 1}}}, ("fields", "x", "$as"), "free plain name"),
        ({"fields": {"x": {"$use": "y.yaml"}}}, ("fields", "x", "$use"), "location"),
        ({"iex": 2, "fields": {}}, ("iex",), "must be 1"),
        ({"iex": 1, "field": {}}, ("field",), "did you mean fields?"),
        ({"iex": 1}, ("fields",), "needs fields"),
        ([1, 2], (), "YAML mapping"),
    ],
)
def test_directive_misuse_is_reported(doc: object, path: tuple, words: str) -> None:
    with pytest.raises(MappingError) as info:
        compile_mapping(doc)
    assert any(p.path == path and words in p.message for p in info.value.problems), info.value.problems


def test_evaluation_error_names_the_field_path_and_origin() -> None:
    order = woo_order()
    order["line_items"][1]["total"] = "n/a"
    with pytest.raises(DataError) as info:
        load_mapping(WOO / "invoice.yaml").evaluate(woo_context(order))
    error = info.value
    assert error.field_path == "lines[1].unitNetPrice"
    assert error.location is not None and error.location.file.endswith("invoice.yaml")
    assert "money()" in error.message
    assert "lines[1].unitNetPrice" in str(error)


def test_inline_fields_only_mapping() -> None:
    mapping = compile_mapping({"name": "{{ record.name }}", "description": "literal"})
    assert mapping.evaluate({"record": {"name": "n"}}) == {"name": "n", "description": "literal"}
    assert mapping.origin == "<inline>"


def test_references_cover_templates_selectors_and_used_files() -> None:
    refs = load_mapping(WOO / "invoice.yaml").references()
    assert {"steps.customer.customerNumber", "record.line_items", "record.billing", "record.customer_note",
            "record.shipping_lines", "address.company", "line.total"} <= refs
    assert not any(ref.startswith("money") for ref in refs)


def test_doubling_through_vars_is_capped_at_the_var_that_grows_too_big() -> None:
    variables = {"v0": "{{ [record, record] }}"}
    for i in range(1, 25):
        variables[f"v{i}"] = f"{{{{ [v{i - 1}, v{i - 1}] }}}}"
    mapping = compile_mapping({"vars": variables, "fields": {"x": "{{ v24 }}"}})
    with pytest.raises(IexError, match="larger than") as info:
        mapping.evaluate({"record": {"a": 1}})
    assert info.value.field_path is not None and info.value.field_path.startswith("vars.v")


def test_yaml_errors_are_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("fields:\n  a: [1, 2\n")
    with pytest.raises(MappingError) as info:
        load_mapping(bad)
    (problem,) = info.value.problems
    assert problem.line >= 2 and "YAML" in problem.message


def test_use_at_the_top_of_fields_gives_the_used_fields_with_overrides(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        'iex: 1\nfields:\n  name: "{{ who.name }}"\n  country: "{{ record.country }}"\n  kind: base\n')
    (tmp_path / "main.yaml").write_text(
        'iex: 1\nvars:\n  buyer: "{{ record.buyer }}"\n'
        'fields:\n  $use: ./base.yaml\n  $with: {who: "{{ buyer }}"}\n  kind: "{{ buyer.name | upper }}"\n')
    result = load_mapping(tmp_path / "main.yaml").evaluate({"record": {"buyer": {"name": "ann"}, "country": "DK"}})
    assert result == {"name": "ann", "country": "DK", "kind": "ANN"}


def test_use_as_a_whole_inline_mapping(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text('iex: 1\nfields:\n  name: "{{ record.name }}"\n')
    mapping = compile_mapping({"$use": "./base.yaml", "extra": 1}, origin="recipe.yaml", base_dir=tmp_path)
    assert mapping.evaluate({"record": {"name": "n"}}) == {"name": "n", "extra": 1}


@pytest.mark.parametrize(
    "fields, key, words",
    [
        ({"$each": "record.lines", "$fields": {}}, "$each", "cannot apply to the whole fields"),
        ({"$when": "{{ true }}", "x": 1}, "$when", "cannot apply to the whole fields"),
        ({"$usee": "./base.yaml"}, "$usee", "did you mean $use?"),
        ({"$with": {"a": 1}, "x": 1}, "$with", "only works together with $use"),
    ],
)
def test_other_directives_at_the_top_of_fields_are_errors_not_ignored(fields: dict, key: str, words: str) -> None:
    with pytest.raises(MappingError) as info:
        compile_mapping({"iex": 1, "fields": fields})
    assert any(p.path == ("fields", key) and words in p.message for p in info.value.problems), info.value.problems


def test_fail_dead_letters_the_record_with_the_field_being_evaluated() -> None:
    mapping = compile_mapping({"fields": {"lines": {
        "$each": "record.lines", "$as": "line",
        "$fields": {"quantity": "{{ line.q if line.q > 0 else fail('line ' ~ loop.index ~ ' has quantity ' ~ line.q) }}"}}}})
    assert mapping.evaluate({"record": {"lines": [{"q": 2}]}}) == {"lines": [{"quantity": 2}]}
    with pytest.raises(DataError) as info:
        mapping.evaluate({"record": {"lines": [{"q": 2}, {"q": -1}]}})
    assert info.value.field_path == "lines[1].quantity"
    assert info.value.message.startswith("line 2 has quantity -1")
    assert info.value.who.startswith("customer")
