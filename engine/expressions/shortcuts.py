"""Helper calls written out in generated mapping code (engine/expressions/pycode.py), for the
arguments under which the helper returns exactly the written-out value: ``to_str`` of a text or
None is that text, ``truncate_to`` of a text a slice of it, ``coalesce`` of a non-empty text first
that text, ``money`` of a plain amount text ("12.50", as webshops send amounts) its Decimal,
``round_money`` of a Decimal its quantize, ``country_name`` of a code as NAMES has it the name.

Each shortcut gets the sources of the call's arguments (names bound once, or literals iex wrote)
and returns a ``Written`` or None (call the helper). The generated code reads
``(value if condition else helper(args))``; tests/engine/expressions/test_shortcuts.py checks
every shortcut against its helper.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, NamedTuple

from engine.expressions import limits
from engine.helpers.countries import country_name
from engine.helpers.general import coalesce, to_str, truncate_to
from engine.helpers.money import money, round_money

CONSTANT_TYPES = (str, int, bool, type(None))   # what a literal in generated code may be


class Written(NamedTuple):
    """A helper call written out: ``value`` is what the helper returns whenever ``condition``
    holds; ``finished`` is what must also hold for ``value`` to be finished as it stands (a
    plain scalar within the output cap, see Translator.result), "" when it always is."""

    condition: str
    value: str
    finished: str = ""


def literal(source: str) -> tuple[bool, Any]:
    """(True, value) if generated source is a literal iex writes (``repr`` of a str, int, bool
    or None), else (False, None): written-out calls fold what a literal argument decides."""
    if source.isidentifier() and source not in ("None", "True", "False"):
        return False, None
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return False, None
    return (True, value) if type(value) in CONSTANT_TYPES and repr(value) == source else (False, None)


_CAPPED = f"<= {limits.MAX_OUTPUT}"


def _any_literal(args: list[str]) -> bool:
    """A literal where a shortcut reads a value (``0.is_finite()`` is no Python): the helper is
    called as it stands."""
    return any(literal(arg)[0] for arg in args)


def _to_str(args: list[str]) -> Written | None:
    if len(args) != 1 or _any_literal(args):
        return None
    text = args[0]
    return Written(f"(type({text}) is str or {text} is None)", f"({text} or '')", f"len({text} or '') {_CAPPED}")


def _truncate_to(args: list[str]) -> Written | None:
    if len(args) != 2 or _any_literal(args[:1]):
        return None
    text, length = args
    known, n = literal(length)
    if not known:
        return Written(f"type({text}) is str and type({length}) is int and {length} >= 0",
                       f"{text}[:{length}]", f"{length} {_CAPPED}")
    if type(n) is not int or n < 0:
        return None
    return Written(f"type({text}) is str", f"{text}[:{n}]", "" if n <= limits.MAX_OUTPUT else f"len({text}) {_CAPPED}")


def _money(args: list[str]) -> Written | None:
    if len(args) != 1 or _any_literal(args):
        return None
    return Written(f"type({args[0]}) is str and _MONEY_PLAIN({args[0]}) is not None", f"_Decimal({args[0]})")


def _round_money(args: list[str]) -> Written | None:
    if len(args) != 1 or _any_literal(args):
        return None
    return Written(f"type({args[0]}) is _Decimal and {args[0]}.is_finite()",
                   f"{args[0]}.quantize(_CENT, rounding=_HALF_UP)")


def _coalesce(args: list[str]) -> Written | None:
    if not args or _any_literal(args[:1]):
        return None
    first = args[0]
    if len(args) == 2:
        known, then = literal(args[1])
        if known and (then is None or type(then) is str):     # first missing: the literal, "" is missing too
            return Written(f"(type({first}) is str or {first} is None)", f"({first} or {then or None!r})",
                           f"len({first} or '') {_CAPPED}")
    return Written(f"type({first}) is str and {first} != ''", first, f"len({first}) {_CAPPED}")


def _country_name(args: list[str]) -> Written | None:
    if len(args) != 1 or _any_literal(args):
        return None
    return Written(f"type({args[0]}) is str and {args[0]} in _COUNTRY_NAMES", f"_COUNTRY_NAMES[{args[0]}]")


SHORTCUTS: dict[Callable[..., Any], Callable[[list[str]], Written | None]] = {
    to_str: _to_str, truncate_to: _truncate_to, coalesce: _coalesce, money: _money,
    round_money: _round_money, country_name: _country_name,
}
