"""JMESPath syntax trees turned into nested Python closures, once per selector.

jmespath's TreeInterpreter dispatches every node through a visitor method per evaluation; a
``$each`` over an order's lines visits some forty nodes per record. Compiled to closures, each
node is one plain function call. The semantics are jmespath's own (the comparison helpers are
imported from it); a node this module does not know (``&expr`` references, used by ``sort_by``
and friends) makes ``compile_tree`` return None and the selector keeps using the interpreter.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from jmespath.visitor import _equals, _is_actual_number, _is_comparable

Fn = Callable[[Any], Any]


class _Unsupported(Exception):
    pass


def compile_tree(parsed: dict[str, Any], functions: Any) -> Fn | None:
    """A function ``f(data)`` doing what ``jmespath`` would do with ``parsed``, or None."""
    try:
        return _Compiler(functions).node(parsed)
    except (_Unsupported, RecursionError):
        return None


# jmespath's semantics, one function each, shared with selector_source.py


def is_false(value: Any) -> bool:
    """JMESPath's falsy values: "", [], {}, null and false (not 0)."""
    return value == "" or value == [] or value == {} or value is None or value is False


def field(value: Any, name: str) -> Any:
    try:
        return value.get(name)
    except AttributeError:
        return None


def index(value: Any, position: int) -> Any:
    if not isinstance(value, list):
        return None
    try:
        return value[position]
    except IndexError:
        return None


def flatten(items: Any) -> Any:
    if not isinstance(items, list):
        return None
    merged: list[Any] = []
    for item in items:
        if isinstance(item, list):
            merged.extend(item)
        else:
            merged.append(item)
    return merged


def negate(value: Any) -> bool:
    if _is_actual_number(value) and value == 0:
        return False
    return not value


def _project(items: Any, each: Fn) -> list[Any]:
    """A projection's result: ``each`` of every item, nulls left out."""
    collected = []
    for item in items:
        current = each(item)
        if current is not None:
            collected.append(current)
    return collected


_ORDERING = {"lt": operator.lt, "gt": operator.gt, "lte": operator.le, "gte": operator.ge}


class _Compiler:
    def __init__(self, functions: Any) -> None:
        self.functions = functions

    def node(self, node: dict[str, Any]) -> Fn:
        method = getattr(self, f"_{node['type']}", None)
        if method is None:
            raise _Unsupported(node["type"])
        return method(node)

    def _children(self, node: dict[str, Any]) -> list[Fn]:
        return [self.node(child) for child in node["children"]]

    # -- values ----------------------------------------------------------------------------------

    def _field(self, node: dict[str, Any]) -> Fn:
        name = node["value"]
        return lambda value: value.get(name) if type(value) is dict else field(value, name)

    def _current(self, node: dict[str, Any]) -> Fn:
        return lambda value: value

    _identity = _current

    def _literal(self, node: dict[str, Any]) -> Fn:
        literal = node["value"]
        return lambda value: literal

    def _index(self, node: dict[str, Any]) -> Fn:
        position = node["value"]
        return lambda value: index(value, position)

    def _slice(self, node: dict[str, Any]) -> Fn:
        bounds = slice(*node["children"])
        return lambda value: value[bounds] if isinstance(value, list) else None

    # -- chains ----------------------------------------------------------------------------------

    def _subexpression(self, node: dict[str, Any]) -> Fn:
        steps = self._children(node)
        if len(steps) == 2:
            first, second = steps
            return lambda value: second(first(value))

        def chain(value: Any) -> Any:
            for step in steps:
                value = step(value)
            return value

        return chain

    _index_expression = _pipe = _subexpression

    def _key_val_pair(self, node: dict[str, Any]) -> Fn:
        return self.node(node["children"][0])

    # -- projections -----------------------------------------------------------------------------

    def _projection(self, node: dict[str, Any]) -> Fn:
        base, each = self._children(node)

        def projection(value: Any) -> Any:
            items = base(value)
            return _project(items, each) if isinstance(items, list) else None

        return projection

    def _value_projection(self, node: dict[str, Any]) -> Fn:
        base, each = self._children(node)

        def value_projection(value: Any) -> Any:
            try:
                items = base(value).values()
            except AttributeError:
                return None
            return _project(items, each)

        return value_projection

    def _filter_projection(self, node: dict[str, Any]) -> Fn:
        base, each, condition = self._children(node)

        def filter_projection(value: Any) -> Any:
            items = base(value)
            if not isinstance(items, list):
                return None
            collected = []
            for item in items:
                if not is_false(condition(item)):
                    current = each(item)
                    if current is not None:
                        collected.append(current)
            return collected

        return filter_projection

    def _flatten(self, node: dict[str, Any]) -> Fn:
        base = self.node(node["children"][0])
        return lambda value: flatten(base(value))

    def _multi_select_list(self, node: dict[str, Any]) -> Fn:
        parts = self._children(node)
        return lambda value: None if value is None else [part(value) for part in parts]

    def _multi_select_dict(self, node: dict[str, Any]) -> Fn:
        parts = [(child["value"], self.node(child)) for child in node["children"]]
        return lambda value: None if value is None else {key: part(value) for key, part in parts}

    # -- logic -----------------------------------------------------------------------------------

    def _comparator(self, node: dict[str, Any]) -> Fn:
        left, right = self._children(node)
        kind = node["value"]
        if kind == "eq":
            return lambda value: _equals(left(value), right(value))
        if kind == "ne":
            return lambda value: not _equals(left(value), right(value))
        compare = _ORDERING[kind]

        def ordering(value: Any) -> Any:
            a, b = left(value), right(value)
            if not (_is_comparable(a) and _is_comparable(b)):
                return None
            return compare(a, b)

        return ordering

    def _or_expression(self, node: dict[str, Any]) -> Fn:
        left, right = self._children(node)

        def either(value: Any) -> Any:
            matched = left(value)
            return right(value) if is_false(matched) else matched

        return either

    def _and_expression(self, node: dict[str, Any]) -> Fn:
        left, right = self._children(node)

        def both(value: Any) -> Any:
            matched = left(value)
            return matched if is_false(matched) else right(value)

        return both

    def _not_expression(self, node: dict[str, Any]) -> Fn:
        inner = self.node(node["children"][0])
        return lambda value: negate(inner(value))

    def _function_expression(self, node: dict[str, Any]) -> Fn:
        name = node["value"]
        arguments = self._children(node)     # an &expr argument is _Unsupported
        functions = self.functions
        return lambda value: functions.call_function(name, [arg(value) for arg in arguments])
