"""iex's select/reject/selectattr/rejectattr/map give what Jinja's own give, on the same data,
and stop at the deadline on long lists."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import StrictUndefined, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from engine.errors import IexError
from engine.expressions import compile_value, limits

ITEMS = [
    {"key": "vat", "value": "DK1", "n": 2, "inner": {"code": "A"}},
    {"key": "ean", "value": None, "n": 0, "inner": {"code": "B"}},
    {"key": "vat", "value": "DK2", "n": 5},
    {"key": "other", "value": "", "n": 1},
]

EXPRESSIONS = [
    "items | selectattr('key', 'equalto', 'vat') | list",
    "items | selectattr('key', 'equalto', 'vat') | map(attribute='value') | first",
    "items | rejectattr('key', 'equalto', 'vat') | list",
    "items | selectattr('value') | list",
    "items | rejectattr('value') | map(attribute='n') | list",
    "items | selectattr('key', 'in', ['ean', 'x']) | list",
    "items | selectattr('key', 'defined') | list",
    "items | selectattr('value', 'none') | list",
    "items | selectattr('n', 'gt', 1) | map(attribute='n') | list",
    "items | selectattr('inner.code', 'equalto', 'B') | list",
    "items | map(attribute='inner.code', default='-') | list",
    "items | map(attribute='value', default='?') | list",
    "items | map(attribute='n') | select | list",
    "items | map(attribute='n') | reject | list",
    "items | map(attribute='n') | select('odd') | list",
    "items | map(attribute='n') | select('ge', 2) | list",
    "names | map('upper') | list",
    "names | map('replace', 'a', 'b') | list",
    "rows | map(attribute=0) | list",
    "[] | selectattr('key', 'equalto', 'x') | list",
    "[] | map(attribute='x') | list",
    "[] | selectattr('key', 'no such test') | list",
    "items | selectattr('missing', 'equalto', 1) | list",
]

CONTEXT = {"items": ITEMS, "names": ["anna", "bo"], "rows": [[1, 2], [3, 4]]}


def outcome(evaluate: Any) -> tuple[str, Any]:
    try:
        return "ok", evaluate()
    except (IexError, UndefinedError):   # an item without the attribute, in both
        return "missing", None


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_list_filters_agree_with_jinja(source: str) -> None:
    jinja = SandboxedEnvironment(undefined=StrictUndefined).compile_expression(source)
    ours = outcome(lambda: compile_value("{{ " + source + " }}").evaluate(CONTEXT))
    assert ours == outcome(lambda: jinja(**CONTEXT))
    assert ours[0] == "ok" or "missing" in source or "inner.code', 'equalto'" in source


@pytest.mark.parametrize(("source", "words"), [
    ("items | selectattr('key', 'no such test') | list", "no test named 'no such test'"),
    ("items | selectattr | list", "missing parameter for attribute name"),
    ("items | map | list", "map requires a filter argument"),
    ("items | map(attribute='n', other=1) | list", "unexpected keyword argument 'other'"),
])
def test_misuse_is_a_clear_error(source: str, words: str) -> None:
    with pytest.raises(IexError) as info:
        compile_value("{{ " + source + " }}").evaluate(CONTEXT)
    assert words in info.value.message.lower()


def test_a_long_selection_stops_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "EVAL_SECONDS", -1.0)
    with pytest.raises(IexError, match="longer than"):
        compile_value("{{ rows | selectattr(0) | list }}").evaluate({"rows": [[1]] * 1000})


def test_map_through_a_filter_is_bounded_by_the_output_cap() -> None:
    with pytest.raises(IexError, match="map filter would produce more than"):
        compile_value("{{ rows | map('center', 99999) | list }}").evaluate({"rows": ["x"] * 50})
