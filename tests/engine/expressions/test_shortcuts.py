"""Written-out helper calls give what the helpers give, for arguments passed as names or as the
literals iex writes, and a value the fast path calls finished is a plain scalar within the cap."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.expressions.pycode import RUNTIME
from engine.expressions.shortcuts import SHORTCUTS, literal
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


SHORTCUT_NAMES = sorted(name for name, helper in GLOBALS.items() if callable(helper) and helper in SHORTCUTS)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(SHORTCUT_NAMES), st.lists(st.tuples(VALUES, st.booleans()), min_size=1, max_size=3),
       st.booleans())
def test_a_written_out_helper_call_gives_what_the_helper_gives(name: str, args: list[tuple[Any, bool]],
                                                                 finishing: bool) -> None:
    """Each argument is passed as a name or, where iex would write it so, as a literal; with
    ``finishing`` the fast path must also give a value finished as it stands. Where the helper
    fails the written-out call must fail too (any exception sends generated code the ordinary
    way, which gives the helper's own error)."""
    helper = GLOBALS[name]
    values = [value for value, _ in args]
    names = [repr(value) if as_literal and literal(repr(value))[0] else f"a{i}"
             for i, (value, as_literal) in enumerate(args)]
    written = SHORTCUTS[helper](names)
    if written is None:
        return
    condition = f"{written.condition} and {written.finished}" if finishing and written.finished else written.condition
    scope = {"G": helper, **{n: v for n, v in zip(names, values, strict=True) if n.isidentifier()}}
    expected = outcome(lambda: helper(*values))
    took_fast_path = outcome(lambda: eval(condition, dict(RUNTIME), scope))
    written_out = outcome(lambda: eval(f"({written.value} if {condition} else G({', '.join(names)}))",
                                       dict(RUNTIME), scope))
    if expected[0] == "error":      # generated code then asks the helper, whose error the user sees
        assert written_out[0] == "error"
    else:
        assert written_out == expected
    if finishing and took_fast_path == ("ok", (bool, True)):
        kind, value = written_out[1]
        assert kind in (str, Decimal, int, bool, type(None)) and (kind is not str or len(value) <= 1_000_000)


def test_a_literal_argument_decides_the_written_out_call_where_it_can() -> None:
    assert SHORTCUTS[GLOBALS["truncate_to"]](["_h1", "250"]).condition == "type(_h1) is str"
    assert SHORTCUTS[GLOBALS["truncate_to"]](["_h1", "-1"]) is None       # the helper's own answer
    assert SHORTCUTS[GLOBALS["coalesce"]](["_h1", "''"]).value == "(_h1 or None)"
    assert literal("'x'") == (True, "x") and literal("None") == (True, None) and literal("v_x") == (False, None)
