"""Compiled selectors give what jmespath's own interpreter gives, for every expression form, on
ordinary and on odd data (missing keys, wrong types, None, numbers against booleans)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.expressions import compile_selector
from engine.expressions.selector_code import compile_tree
from engine.expressions.selectors import _OPTIONS

EXPRESSIONS = [
    "order.line_items",
    "order.line_items[0].sku",
    "order.line_items[-1]",
    "order.line_items[1:]",
    "order.line_items[::-1].sku",
    "order.line_items[].sku",
    "order.line_items[*].quantity",
    "order.line_items[?quantity > `1`].sku",
    "order.line_items[?quantity >= `1` && sku != null].sku",
    "order.line_items[?sku == 'A' || quantity < `0`]",
    "order.line_items[?!refunded]",
    "order.line_items[?total != '0.00'].{kind: 'item', line: @}",
    "[order.line_items[].{kind: 'item', line: @}, order.shipping_lines[].{kind: 'shipping', line: @}][]",
    "[order.line_items[?total != '0.00'], order.line_items[*].sku, order.totals.*][]",
    "[order.line_items[], order.none, order.nested[0]][]",
    "order.nested[].{n: @}",
    "order.line_items[?total == null].sku",
    "order.flags[?@ != '1']",
    "order.meta_data[?key == 'vat'].value | [0]",
    "order.totals.*",
    "order.totals.* | sort(@)",
    "length(order.line_items)",
    "to_number(order.total)",
    "to_string(order.total)",
    "order.flags[?@ == `true`]",
    "order.flags[?@ == `1`]",
    "order.nested[][]",
    "order.missing.deeper[0]",
    "order.line_items | [0].sku",
    "order.line_items[0] && order.total",
    "order.none || 'fallback'",
    "[order.total, order.currency]",
    "{t: order.total, c: order.currency}",
    "@",
    "`[1, 2]`",
    "'text'",
]

ORDER = {
    "order": {
        "line_items": [
            {"sku": "A", "quantity": 2, "total": "10.00", "refunded": False},
            {"sku": None, "quantity": 1, "total": "0.00", "refunded": True},
            {"sku": "C", "quantity": -1, "total": "5.00"},
        ],
        "shipping_lines": [{"method": "gls", "total": "39.00"}],
        "meta_data": [{"key": "vat", "value": "DK123"}, {"key": "ean", "value": "579"}],
        "totals": {"net": Decimal("12.50"), "vat": Decimal("3.125")},
        "total": "15.625",
        "currency": "DKK",
        "flags": [True, 1, 0, False, "1"],
        "nested": [[[1, 2], [3]], [[4]]],
        "none": None,
    }
}


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_compiled_selectors_agree_with_jmespath(source: str) -> None:
    compiled = compile_tree(jmespath.compile(source).parsed, _OPTIONS.custom_functions)
    assert compiled is not None, f"{source} was not compiled"
    expected = jmespath.search(source, ORDER, options=_OPTIONS)
    assert compiled(ORDER) == expected
    assert compile_selector(source).search(ORDER) == expected


def test_expression_references_keep_the_interpreter() -> None:
    source = "sort_by(order.line_items, &quantity)[].sku"
    assert compile_tree(jmespath.compile(source).parsed, _OPTIONS.custom_functions) is None
    assert compile_selector(source).search(ORDER) == ["C", "A"]    # a projection drops nulls


def test_a_type_error_in_a_function_is_still_a_located_data_error() -> None:
    from engine.errors import DataError

    with pytest.raises(DataError, match="length"):
        compile_selector("length(order.total_number)").search({"order": {"total_number": 5}})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "A", "0.00", "x"])
    | st.decimals(min_value=-5, max_value=5, places=2),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["sku", "quantity", "total", "line_items", "key", "value"]), children, max_size=4),
    max_leaves=20,
)


def _as_source(source: str) -> Any:
    """The selector as generated mapping code runs it: Python reading top-level names."""
    from engine.expressions.pycode import Namespace
    from engine.expressions.selector_source import SelectorSource

    namespace = Namespace()
    text = SelectorSource(namespace, _OPTIONS.custom_functions, lambda name: f"ctx.get({name!r})",
                          lambda: "ctx").source(jmespath.compile(source).parsed)
    return eval(compile(f"lambda ctx: {text}", "<selector>", "eval"), namespace.values)


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_selectors_as_python_agree_with_jmespath(source: str) -> None:
    assert _as_source(source)(ORDER) == jmespath.search(source, ORDER, options=_OPTIONS)


def _as_closures(source: str) -> Any:
    return compile_tree(jmespath.compile(source).parsed, _OPTIONS.custom_functions)


def _outcome(search: Any, document: Any) -> tuple[str, Any]:
    try:
        return "ok", search(document)
    except Exception as exc:  # noqa: BLE001 - both ways must fail the same way
        return "error", type(exc)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(EXPRESSIONS), JSON, st.sampled_from([_as_closures, _as_source]))
def test_compiled_selectors_agree_on_odd_data(source: str, data: Any, compiled: Any) -> None:
    document = {"order": data}
    expected = _outcome(lambda d: jmespath.search(source, d, options=_OPTIONS), document)
    assert _outcome(compiled(source), document) == expected
