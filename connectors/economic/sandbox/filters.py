"""e-conomic's ``filter`` and ``sort`` query parameters (reference §5).

Grammar (a small recursive-descent parser; ``$and:`` binds tighter than ``$or:``, parentheses
group — the docs only say parentheses control affinity, so the usual precedence is assumed)::

    or_expr   := and_expr ("$or:" and_expr)*
    and_expr  := primary ("$and:" primary)*
    primary   := "(" or_expr ")" | predicate
    predicate := property operator value
    operator  := $eq: $ne: $gt: $gte: $lt: $lte: $like: $in: $nin:
    value     := scalar | "[" scalar ("," scalar)* "]"        (lists only after $in:/$nin:)
    scalar    := ( char | "$$" | "$(" | "$)" | "$*" | "$," | "$[" | "$]" | "*" )* | "$null:"

Strings compare case-insensitively; ``$like:`` treats unescaped ``*`` as a wildcard and means
"contains" without one; ``$in:``/``$nin:`` take at most 200 values and only on numeric
properties; only the properties a resource declares filterable may be used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.economic.sandbox.table import Table, get_path

OPERATORS = ("$eq:", "$ne:", "$gte:", "$gt:", "$lte:", "$lt:", "$like:", "$in:", "$nin:")
NUMERIC = ("int", "number")
MAX_IN_VALUES = 200
_ESCAPABLE = "$()*,[]"
_WILDCARD = object()


class FilterError(ValueError):
    """A filter or sort the API refuses (answered with 400)."""


@dataclass
class Pred:
    field: str
    op: str
    value: Any              # Decimal | str | bool | None | list | re.Pattern (for $like)


@dataclass
class Group:
    kind: str               # "and" | "or"
    items: list[Any]


class _Parser:
    def __init__(self, text: str, fields: dict[str, str]) -> None:
        self.text = text
        self.pos = 0
        self.fields = fields

    def parse(self) -> Pred | Group:
        if not self.text:
            raise FilterError("The filter is empty.")
        node = self.or_expr()
        if self.pos < len(self.text):
            raise self.error(f"unexpected {self.text[self.pos]!r}")
        return node

    def error(self, what: str) -> FilterError:
        return FilterError(f"Invalid filter at position {self.pos}: {what}.")

    def at(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def or_expr(self) -> Pred | Group:
        items = [self.and_expr()]
        while self.at("$or:"):
            self.pos += 4
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Group("or", items)

    def and_expr(self) -> Pred | Group:
        items = [self.primary()]
        while self.at("$and:"):
            self.pos += 5
            items.append(self.primary())
        return items[0] if len(items) == 1 else Group("and", items)

    def primary(self) -> Pred | Group:
        if self.at("("):
            self.pos += 1
            node = self.or_expr()
            if not self.at(")"):
                raise self.error("missing ')'")
            self.pos += 1
            return node
        return self.predicate()

    def predicate(self) -> Pred:
        match = re.compile(r"[A-Za-z0-9_.]+").match(self.text, self.pos)
        if not match:
            raise self.error("expected a property name")
        field = match.group(0)
        self.pos = match.end()
        if field not in self.fields:
            raise FilterError(f"Filtering on property '{field}' is not allowed. Filterable properties: "
                              f"{', '.join(sorted(self.fields))}.")
        op = next((o for o in OPERATORS if self.at(o)), None)
        if op is None:
            raise self.error(f"expected an operator ($eq:, $ne:, $gt:, $gte:, $lt:, $lte:, $like:, $in:, $nin:) after '{field}'")
        self.pos += len(op)
        kind = self.fields[field]
        if kind == "bool" and op not in ("$eq:", "$ne:"):
            raise FilterError(f"The operator {op} cannot be used on the boolean property '{field}'; use $eq: or $ne:.")
        if op in ("$in:", "$nin:"):
            if kind not in NUMERIC:
                raise FilterError(f"The operator {op} is only allowed on numeric properties; '{field}' is not numeric.")
            return Pred(field, op[:-1], self.in_list(field, kind))
        parts = self.scalar(in_list=False)
        if parts is None:
            if op not in ("$eq:", "$ne:"):
                raise FilterError(f"$null: can only be used with $eq: and $ne: (property '{field}').")
            return Pred(field, op[:-1], None)
        if op == "$like:":
            return Pred(field, "$like", _like_pattern(parts))
        return Pred(field, op[:-1], _typed(field, kind, _text(parts)))

    def in_list(self, field: str, kind: str) -> list[Any]:
        if not self.at("["):
            raise self.error("expected '[' to start the list")
        self.pos += 1
        values: list[Any] = []
        while True:
            parts = self.scalar(in_list=True)
            values.append(None if parts is None else _typed(field, kind, _text(parts)))
            if self.at(","):
                self.pos += 1
                continue
            if self.at("]"):
                self.pos += 1
                break
            raise self.error("missing ']' at the end of the list")
        if len(values) > MAX_IN_VALUES:
            raise FilterError(f"The list after $in:/$nin: has {len(values)} values; at most {MAX_IN_VALUES} are allowed.")
        return values

    def scalar(self, in_list: bool) -> list[Any] | None:
        """The parts of one value (text pieces and wildcard markers), or None for ``$null:``."""
        if self.at("$null:"):
            self.pos += 6
            return None
        parts: list[Any] = []
        text = self.text
        while self.pos < len(text):
            if self.at("$and:") or self.at("$or:"):
                break
            char = text[self.pos]
            if char == ")" or (in_list and char in ",]"):
                break
            if char == "$":
                nxt = text[self.pos + 1: self.pos + 2]
                if not nxt or nxt not in _ESCAPABLE:
                    raise self.error("'$' must be escaped as '$$' (or start $and:, $or:, $null:)")
                parts.append(nxt)
                self.pos += 2
                continue
            if char in "([" or (not in_list and char in ",]"):
                raise self.error(f"'{char}' must be escaped as '${char}'")
            parts.append(_WILDCARD if char == "*" else char)
            self.pos += 1
        return parts


def _text(parts: list[Any]) -> str:
    return "".join("*" if p is _WILDCARD else p for p in parts)


def _like_pattern(parts: list[Any]) -> re.Pattern[str]:
    if _WILDCARD not in parts:
        parts = [_WILDCARD, *parts, _WILDCARD]
    regex = "".join(".*" if p is _WILDCARD else re.escape(p) for p in parts)
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


def _typed(field: str, kind: str, text: str) -> Any:
    if kind in NUMERIC:
        try:
            return Decimal(text)
        except InvalidOperation:
            raise FilterError(f"The value '{text}' is not a number; property '{field}' is numeric.") from None
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            raise FilterError(f"The value '{text}' is not true or false; property '{field}' is boolean.")
        return text.lower() == "true"
    return text.lower()


def parse_filter(text: str, fields: dict[str, str]) -> Pred | Group:
    """Parse a ``filter`` value against a resource's filterable properties (path -> type)."""
    return _Parser(text, fields).parse()


def matches(node: Pred | Group, doc: dict[str, Any], fields: dict[str, str]) -> bool:
    if isinstance(node, Group):
        results = (matches(item, doc, fields) for item in node.items)
        return all(results) if node.kind == "and" else any(results)
    value = get_path(doc, node.field)
    kind = fields[node.field]
    if kind == "bool" and value is None:
        value = False                      # booleans are omitted when false
    if node.op in ("$in", "$nin"):
        hit = (None in node.value) if value is None else _number(value) in {v for v in node.value if v is not None}
        return hit if node.op == "$in" else not hit
    if node.value is None:
        return (value is None) if node.op == "$eq" else (value is not None)
    if node.op == "$like":
        return value is not None and node.value.fullmatch(str(value)) is not None
    if value is None:
        return node.op == "$ne"
    left = _number(value) if kind in NUMERIC else (value if kind == "bool" else str(value).lower())
    right = node.value
    if node.op == "$eq":
        return left == right
    if node.op == "$ne":
        return left != right
    return {"$gt": left > right, "$gte": left >= right, "$lt": left < right, "$lte": left <= right}[node.op]


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError, ValueError):
        return None


def candidates(table: Table, node: Pred | Group | None) -> list[dict[str, Any]]:
    """The documents to test: from an index when the filter pins an indexed property with
    ``$eq:`` (alone or inside an ``$and:``), else the whole table."""
    probes = [node] if isinstance(node, Pred) else (node.items if isinstance(node, Group) and node.kind == "and" else [])
    for probe in probes:
        if isinstance(probe, Pred) and probe.op == "$eq" and probe.value is not None:
            found = table.lookup(probe.field, probe.value)
            if found is not None:
                return found
    return list(table)


def sort_docs(docs: list[dict[str, Any]], sort: str, fields: dict[str, str]) -> list[dict[str, Any]]:
    """Apply ``sort=-name,age`` / ``~name`` (alphabetic even for numbers); strings case-insensitive."""
    keys = []
    for raw in sort.split(","):
        descending = raw.startswith("-")
        name = raw.lstrip("-~")
        alphabetic = "~" in raw[:2]
        if name not in fields:
            raise FilterError(f"Sorting on property '{name}' is not allowed. Sortable properties: {', '.join(sorted(fields))}.")
        keys.append((name, descending, alphabetic))
    out = list(docs)
    for name, descending, alphabetic in reversed(keys):
        kind = fields[name]
        present = [d for d in out if get_path(d, name) is not None]
        absent = [d for d in out if get_path(d, name) is None]

        def key(doc: dict[str, Any], name: str = name, kind: str = kind) -> Any:
            value = get_path(doc, name)
            if kind in NUMERIC and not alphabetic:
                return _number(value)
            return str(value).lower()
        present.sort(key=key, reverse=descending)
        out = (present + absent) if descending else (absent + present)
    return out
