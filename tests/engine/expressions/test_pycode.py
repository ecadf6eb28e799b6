"""Templates as Python: the written-out helper calls give what the helpers give, and the kind of
a template's value decides how it is finished."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.expressions import compile_value
from engine.expressions.pycode import (
    COMPUTED,
    REFERENCE,
    RUNTIME,
    SCALAR,
    SHORTCUTS,
    Namespace,
    result_kind,
)
from engine.helpers import GLOBALS

VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 300), st.text(max_size=30),
                   st.from_regex(r"[+-]?[0-9]{0,6}(\.[0-9]{0,3})?", fullmatch=True), st.sampled_from([" 12.50", "1.234,50", "٣.٥"]),
                   st.decimals(allow_nan=False, allow_infinity=False, places=2), st.just(""))


def outcome(function: Any) -> tuple[str, Any]:
    try:
        value = function()
    except Exception as exc:  # noqa: BLE001 - the written-out call must fail the same way
        return "error", type(exc)
    return "ok", (type(value), value)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(SHORTCUTS)), st.lists(VALUES, min_size=1, max_size=3))
def test_a_written_out_helper_call_gives_what_the_helper_gives(name: str, args: list[Any]) -> None:
    helper = GLOBALS[name]
    names = [f"a{i}" for i in range(len(args))]
    written = SHORTCUTS[name](names)
    if written is None:
        return
    condition, value = written
    scope = {"G": helper, **dict(zip(names, args, strict=True))}
    source = f"({value} if {condition} else G({', '.join(names)}))"
    expected = outcome(lambda: helper(*args))
    written_out = outcome(lambda: eval(source, dict(RUNTIME), scope))
    assert written_out == expected


@pytest.mark.parametrize(("source", "kind"), [
    ("'text'", SCALAR), ("a == b", SCALAR), ("not a", SCALAR), ("a is defined", SCALAR), ("a ~ b", SCALAR),
    ("[]", SCALAR), ("'x' if a else 'y'", SCALAR),
    ("record", REFERENCE), ("record.billing.city", REFERENCE), ("record['x'][0]", REFERENCE),
    ("record.lines[:2]", REFERENCE), ("a or record.x", REFERENCE), ("a if b", REFERENCE),
    ("money(a)", COMPUTED), ("[a, b]", COMPUTED), ("a | upper", COMPUTED), ("a * 2", COMPUTED),
    ("'x' if a else [a]", COMPUTED),
])
def test_the_kind_of_a_value_follows_from_the_template(source: str, kind: str) -> None:
    assert result_kind(compile_value("{{ " + source + " }}").tree) == kind


def test_names_in_generated_code_are_its_own() -> None:
    namespace = Namespace()
    first, again, other = namespace.name_for(Decimal(1), "L"), None, namespace.fresh("L")
    again = namespace.name_for(namespace.values[first], "L")
    assert first == again and other != first and first.isidentifier() and other.isidentifier()
