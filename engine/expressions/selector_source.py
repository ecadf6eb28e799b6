"""A JMESPath selector as one Python expression, for generated mapping code (``$each``).

selector_code.py turns a selector into closures, one call per node; inside a generated mapping
function the selector can be plain Python instead, with its root names read straight from the
function's locals (``order.line_items`` is ``v_order['line_items']``, not a lookup in a names
dict built for the occasion). The semantics are jmespath's, as in selector_code.py; a node this
module does not know raises ``Untranslatable`` and the caller uses the compiled selector.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jmespath.visitor import _equals, _is_comparable

from engine.expressions.pycode import Namespace, Untranslatable
from engine.expressions.selector_code import field, flatten, index, is_false, negate


class _Root:
    """The value a selector starts from: the names dict, which is only built if needed."""


ROOT = _Root()


def _values(value: Any) -> Any:
    try:
        return list(value.values())
    except AttributeError:
        return None


_ORDER = {"lt": "<", "gt": ">", "lte": "<=", "gte": ">="}
_COLLECTED = ("projection", "filter_projection", "value_projection")    # a list without nulls, or null

RUNTIME = {"_jp_false": is_false, "_jp_field": field, "_jp_flatten": flatten, "_jp_not": negate,
           "_jp_index": index, "_jp_values": _values, "_jp_equals": _equals,
           "_jp_comparable": _is_comparable}


class SelectorSource:
    """Translates a parsed selector. ``root_name(name)`` gives the source of a top-level name
    (a local, or a read of the context); ``names_dict()`` the whole names dict, for the rare
    selector that uses the root itself (``@``, ``*``)."""

    def __init__(self, namespace: Namespace, functions: Any, root_name: Callable[[str], str],
                 names_dict: Callable[[], str]) -> None:
        self.ns = namespace
        self.ns.values.update(RUNTIME)
        self.functions = self.ns.name_for(functions, "JF")
        self.root_name = root_name
        self.names_dict = names_dict

    def source(self, parsed: dict[str, Any]) -> str:
        return self.node(parsed, ROOT)

    def node(self, node: dict[str, Any], value: Any) -> str:
        method = getattr(self, f"_{node['type']}", None)
        if method is None:
            raise Untranslatable(f"selector node {node['type']}")
        return method(node, value)

    def _value(self, value: Any) -> str:
        """The current value as source (the names dict if it is still the root)."""
        return f"({self.names_dict()})" if value is ROOT else value

    def _temp(self, prefix: str) -> str:
        return self.ns.fresh(prefix)

    # -- values ----------------------------------------------------------------------------------

    def _field(self, node: dict[str, Any], value: Any) -> str:
        name = node["value"]
        if value is ROOT:
            return self.root_name(name)
        bound, current = self._bind(value)
        return f"({current}.get({name!r}) if type({bound}) is dict else _jp_field({current}, {name!r}))"

    def _current(self, node: dict[str, Any], value: Any) -> str:
        return self._value(value)

    _identity = _current

    def _literal(self, node: dict[str, Any], value: Any) -> str:
        literal = node["value"]
        if isinstance(literal, str | int | bool | type(None)):
            return repr(literal)
        return self.ns.name_for(literal, "JL")

    def _index(self, node: dict[str, Any], value: Any) -> str:
        return f"_jp_index({self._value(value)}, {node['value']!r})"

    def _slice(self, node: dict[str, Any], value: Any) -> str:
        temp = self._temp("_jv")
        bounds = ", ".join(repr(part) for part in node["children"])
        return f"({temp}[slice({bounds})] if isinstance({temp} := {self._value(value)}, list) else None)"

    # -- chains ----------------------------------------------------------------------------------

    def _subexpression(self, node: dict[str, Any], value: Any) -> str:
        for child in node["children"]:
            value = self.node(child, value)
        return self._value(value)

    _index_expression = _pipe = _subexpression

    def _key_val_pair(self, node: dict[str, Any], value: Any) -> str:
        return self.node(node["children"][0], value)

    # -- projections -----------------------------------------------------------------------------

    def _collect(self, items: str, each: dict[str, Any], condition: dict[str, Any] | None = None,
                 flat: bool = False) -> str:
        """A projection's list: ``each`` of every item, nulls left out; with ``flat`` the items
        of ``items`` that are lists count with their items (``x[]`` projected in one go)."""
        item, result = self._temp("_ji"), self._temp("_jx")
        loop = f"for {item} in {items}"
        if flat:
            part = self._temp("_jp")
            loop = f"for {part} in {items} for {item} in ({part} if isinstance({part}, list) else ({part},))"
        if each["type"] in ("identity", "current"):
            keep = f"{item} is not None"
            result = item
        else:
            keep = f"({result} := {self.node(each, item)}) is not None"
        if condition is not None:
            test = self.node(condition, item)
            # a comparison gives True, False or None: its truth is what is_false would say
            keep = f"{test} and {keep}" if condition["type"] == "comparator" else f"not _jp_false({test}) and {keep}"
        return f"[{result} {loop} if {keep}]"

    def _projection(self, node: dict[str, Any], value: Any) -> str:
        base, each = node["children"]
        items = self._temp("_jb")
        flat = base["type"] == "flatten"      # x[].each: flatten and projection in one
        if flat:
            base = base["children"][0]
            if base["type"] == "multi_select_list" and value is ROOT and each["type"] == "identity" \
                    and all(child["type"] in _COLLECTED for child in base["children"]):
                # [a[], b[?c]][]: lists without nulls, or null; the list itself is never null
                part, item = self._temp("_jp"), self._temp("_ji")
                parts = ", ".join(self.node(child, ROOT) for child in base["children"])
                # (named outside the comprehension: Python refuses := in its iterable)
                return (f"([{item} for {part} in {items} if {part} is not None for {item} in {part}] "
                        f"if ({items} := ({parts},)) else None)")
        return (f"({self._collect(items, each, flat=flat)} if isinstance({items} := {self.node(base, value)}, list) "
                f"else None)")

    def _value_projection(self, node: dict[str, Any], value: Any) -> str:
        base, each = node["children"]
        items = self._temp("_jb")
        return (f"({self._collect(items, each)} if ({items} := _jp_values({self.node(base, value)})) "
                f"is not None else None)")

    def _filter_projection(self, node: dict[str, Any], value: Any) -> str:
        base, each, condition = node["children"]
        items = self._temp("_jb")
        return (f"({self._collect(items, each, condition)} if isinstance({items} := {self.node(base, value)}, list) "
                f"else None)")

    def _flatten(self, node: dict[str, Any], value: Any) -> str:
        return f"_jp_flatten({self.node(node['children'][0], value)})"

    def _bind(self, value: Any) -> tuple[str, Any]:
        """(binding, current): the source that names the current value (where it is first read)
        and its name; a name already is one, and the root needs none (top-level names are read
        directly) and is never null."""
        if value is ROOT:
            return "None", ROOT
        if value.isidentifier():
            return value, value
        current = self._temp("_jv")
        return f"({current} := {value})", current

    def _multi_select_list(self, node: dict[str, Any], value: Any) -> str:
        bound, current = self._bind(value)
        parts = ", ".join(self.node(child, current) for child in node["children"])
        return f"(None if {bound} is None else [{parts}])" if current is not ROOT else f"[{parts}]"

    def _multi_select_dict(self, node: dict[str, Any], value: Any) -> str:
        bound, current = self._bind(value)
        parts = ", ".join(f"{child['value']!r}: {self.node(child, current)}" for child in node["children"])
        return f"(None if {bound} is None else {{{parts}}})" if current is not ROOT else f"{{{parts}}}"

    # -- logic -----------------------------------------------------------------------------------

    def _comparator(self, node: dict[str, Any], value: Any) -> str:
        bound, current = self._bind(value)
        left_node, right_node = node["children"]
        left, right = self.node(left_node, current), self.node(right_node, current)
        kind = node["value"]
        if kind in ("eq", "ne"):
            # against a text or null literal jmespath's equality is Python's (no 0/False case)
            plain = any(child["type"] == "literal" and isinstance(child["value"], str | type(None))
                        for child in (left_node, right_node))
            test = f"({left} {'==' if kind == 'eq' else '!='} {right})" if plain \
                else f"{'' if kind == 'eq' else 'not '}_jp_equals({left}, {right})"
            return test if bound == current else f"({bound}, {test})[1]"
        a, b = self._temp("_ja"), self._temp("_jb")
        return (f"({bound}, ({a} {_ORDER[kind]} {b} if _jp_comparable({a} := {left}) & "
                f"_jp_comparable({b} := {right}) else None))[1]")

    def _or_expression(self, node: dict[str, Any], value: Any) -> str:
        (bound, current), matched = self._bind(value), self._temp("_jm")
        left, right = (self.node(child, current) for child in node["children"])
        return f"({right} if ({bound}, _jp_false({matched} := {left}))[1] else {matched})"

    def _and_expression(self, node: dict[str, Any], value: Any) -> str:
        (bound, current), matched = self._bind(value), self._temp("_jm")
        left, right = (self.node(child, current) for child in node["children"])
        return f"({matched} if ({bound}, _jp_false({matched} := {left}))[1] else {right})"

    def _not_expression(self, node: dict[str, Any], value: Any) -> str:
        return f"_jp_not({self.node(node['children'][0], value)})"

    def _function_expression(self, node: dict[str, Any], value: Any) -> str:
        if any(child["type"] == "expref" for child in node["children"]):
            raise Untranslatable("selector function with an &expression")
        bound, current = self._bind(value)
        args = ", ".join(self.node(child, current) for child in node["children"])
        return f"({bound}, {self.functions}.call_function({node['value']!r}, [{args}]))[1]"
