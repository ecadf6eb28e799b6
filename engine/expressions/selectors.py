"""JMESPath selectors: where a field *selects* data (``$each`` in mappings, ``key`` in flows).

Compiled once with ``jmespath.compile``, then into closures (selector_code.py). Decimals count as JMESPath numbers, ``to_number``
gives Decimal instead of float, and ``to_string`` writes Decimals exactly.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import jmespath
from jmespath import exceptions as jp_errors
from jmespath import functions as jp_functions

from engine.errors import DataError
from engine.expressions.errors import ExpressionError
from engine.expressions.selector_code import compile_tree
from engine.helpers.jsontext import dumps as json_dumps


class _IexFunctions(jp_functions.Functions):
    """JMESPath's built-in functions, made Decimal-aware."""

    def _get_allowed_pytypes(self, types: Any) -> Any:
        allowed, subtypes = super()._get_allowed_pytypes(types)
        if "float" in allowed:
            allowed = [*allowed, "Decimal"]
        subtypes = [(*s, "Decimal") if "float" in s else s for s in subtypes]
        return allowed, subtypes

    def _convert_to_jmespath_type(self, pyobject: Any) -> str:
        return "number" if pyobject == "Decimal" else super()._convert_to_jmespath_type(pyobject)

    @jp_functions.signature({"types": []})
    def _func_to_number(self, arg: Any) -> Any:
        if isinstance(arg, bool) or arg is None or isinstance(arg, list | dict):
            return None
        if isinstance(arg, int | Decimal):
            return arg
        if isinstance(arg, float):
            return Decimal(repr(arg))
        try:
            number = Decimal(str(arg).strip())
        except InvalidOperation:
            return None
        if not number.is_finite():
            return None
        return int(number) if number == number.to_integral_value() and "." not in str(arg) else number

    @jp_functions.signature({"types": []})
    def _func_to_string(self, arg: Any) -> str:
        if isinstance(arg, str):
            return arg
        if isinstance(arg, Decimal):
            return format(arg, "f")
        return json_dumps(arg)


_OPTIONS = jmespath.Options(custom_functions=_IexFunctions())


def selector_functions() -> Any:
    """The Decimal-aware JMESPath functions every selector uses."""
    return _OPTIONS.custom_functions


class Selector:
    """A compiled JMESPath expression."""

    __slots__ = ("_closure", "_compiled", "source")

    def __init__(self, source: str, compiled: Any) -> None:
        self.source = source
        self._compiled = compiled
        self._closure = compile_tree(compiled.parsed, _OPTIONS.custom_functions)

    def search(self, data: Any) -> Any:
        """Apply the selector; a type error in a function is a DataError naming the selector."""
        try:
            if self._closure is not None:
                return self._closure(data)
            return self._compiled.search(data, options=_OPTIONS)
        except jp_errors.JMESPathError as exc:
            raise DataError(f"selector {self.source!r}: {_short(str(exc))}") from None
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise DataError(f"selector {self.source!r}: {_short(str(exc))}") from None

    @property
    def parsed(self) -> dict[str, Any]:
        """jmespath's syntax tree of the selector."""
        return self._compiled.parsed

    def references(self) -> set[str]:
        """Dotted names the selector reads from the root of the data (as Compiled.references):
        "record.line_items" for ``record.line_items[?quantity > `0`]``."""
        return {".".join(chain) for chain in _root_chains(self._compiled.parsed) if chain}

    def __repr__(self) -> str:
        return f"Selector({self.source!r})"


_BASE_FIRST = {"projection", "filter_projection", "index_expression", "flatten", "value_projection",
               "pipe"}
_ALL_CHILDREN = {"function_expression", "or_expression", "and_expression", "not_expression",
                 "comparator", "multi_select_list", "multi_select_dict", "key_val_pair"}


def _root_chains(node: dict) -> list[tuple[str, ...]]:
    kind = node.get("type")
    children = node.get("children", [])
    if kind == "field":
        return [(node["value"],)]
    if kind == "subexpression":
        chain: list[str] = []
        for child in children:
            if child.get("type") == "field":
                chain.append(child["value"])
                continue
            if child.get("type") == "index_expression":
                head = child["children"][0] if child.get("children") else {}
                if head.get("type") == "field":
                    chain.append(head["value"])
            break
        return [tuple(chain)] if chain else []
    if kind in _BASE_FIRST and children:
        return _root_chains(children[0])
    if kind in _ALL_CHILDREN:
        return [chain for child in children for chain in _root_chains(child)]
    return []


_cache: dict[str, Selector] = {}


def compile_selector(source: str) -> Selector:
    """Compile a JMESPath selector. Templates (``{{``) are refused: selectors select, Jinja
    computes."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("a selector must be a non-empty JMESPath expression", source=None)
    cached = _cache.get(source)
    if cached is not None:
        return cached
    if "{{" in source or "{%" in source:
        col = min(i for i in (source.find("{{"), source.find("{%")) if i >= 0) + 1
        raise ExpressionError(
            "a selector is plain JMESPath, not a template: remove the {{ }} "
            "(e.g. record.line_items)", 1, col, source,
        )
    try:
        compiled = jmespath.compile(source)
    except jp_errors.ParseError as exc:
        offset = exc.lex_position or 0
        line = source.count("\n", 0, offset) + 1
        col = offset - (source.rfind("\n", 0, offset) + 1) + 1
        raise ExpressionError(f"JMESPath syntax error: {exc.msg}", line, col, source) from None
    except jp_errors.JMESPathError as exc:
        raise ExpressionError(f"JMESPath error: {_short(str(exc))}", 1, 1, source) from None
    except RecursionError:
        raise ExpressionError("JMESPath expression is nested too deeply", 1, 1, source) from None
    selector = Selector(source, compiled)
    if len(_cache) < 4096:
        _cache[source] = selector
    return selector


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
