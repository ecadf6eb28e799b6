"""Compiled mapping nodes and their evaluation: objects, lists, $each, $value/$default, $use."""

from __future__ import annotations

import datetime as dt
import decimal
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.errors import DataError, IexError, IexSystemError, Location
from engine.expressions import Compiled, Selector, limits
from engine.expressions.runtime import DECIMAL_CONTEXT
from engine.expressions.sandbox import ENV

MAX_OUTPUT_NODES = 200_000     # values in one mapping's output
OMIT = object()                # a field whose $when was false
_NOT_GENERATED = object()
_HELPER_NAMES = frozenset(ENV.globals)
# Evaluate every record both ways and fail on any difference (the test suite sets it).
CROSSCHECK = os.environ.get("IEX_CROSSCHECK_MAPPINGS") == "1"


@dataclass
class Scope:
    names: dict[str, Any]     # what templates see
    root: dict[str, Any]      # the caller's context, for $use


class Node:
    when: Compiled | None = None

    def run(self, scope: Scope, path: str) -> Any:
        if self.when is not None and not self.when.evaluate(scope.names, field_path=path):
            return OMIT
        return self.produce(scope, path)

    def produce(self, scope: Scope, path: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def compiled(self) -> list[Compiled | Selector]:
        return [self.when] if self.when is not None else []


@dataclass
class ValueNode(Node):
    value: Compiled
    missing_ok: bool = False

    def produce(self, scope: Scope, path: str) -> Any:
        return self.value.evaluate(scope.names, field_path=path or None, missing_ok=self.missing_ok)

    def compiled(self) -> list[Compiled | Selector]:
        return [*super().compiled(), self.value]


@dataclass
class ObjectNode(Node):
    fields: list[tuple[str, Node]]
    when: Compiled | None = None

    def produce(self, scope: Scope, path: str) -> Any:
        out: dict[str, Any] = {}
        for name, node in self.fields:
            value = node.run(scope, join_path(path, name))
            if value is not OMIT:
                out[name] = value
        return out

    def compiled(self) -> list[Compiled | Selector]:
        return [*super().compiled(), *(c for _, n in self.fields for c in n.compiled())]


@dataclass
class ListNode(Node):
    items: list[Node]

    def produce(self, scope: Scope, path: str) -> Any:
        out = []
        for index, node in enumerate(self.items):
            value = node.run(scope, f"{path}[{index}]")
            if value is not OMIT:
                out.append(value)
        return out

    def compiled(self) -> list[Compiled | Selector]:
        return [*super().compiled(), *(c for n in self.items for c in n.compiled())]


@dataclass
class EachNode(Node):
    selector: Selector
    name: str
    body: Node
    when: Compiled | None = None

    def produce(self, scope: Scope, path: str) -> Any:
        try:
            items = self.selector.search(scope.names)
        except IexError as exc:
            exc.field_path = path or None
            raise
        if items is None:
            return []
        if not isinstance(items, list):
            raise DataError(f"$each {self.selector.source!r} selected a {type(items).__name__}, "
                            "not a list", field_path=path or None)
        out = []
        for index, item in enumerate(items):
            loop = {"index0": index, "index": index + 1, "first": index == 0,
                    "last": index == len(items) - 1, "length": len(items)}
            inner = Scope({**scope.names, self.name: item, "loop": loop}, scope.root)
            value = self.body.run(inner, f"{path}[{index}]")
            if value is not OMIT:
                out.append(value)
        return out

    def compiled(self) -> list[Compiled | Selector]:
        return [*super().compiled(), self.selector, *self.body.compiled()]


@dataclass
class ChoiceNode(Node):
    value: Node
    default: Node | None
    when: Compiled | None = None

    def produce(self, scope: Scope, path: str) -> Any:
        value = self.value.run(scope, path)
        if (value is None or value is OMIT) and self.default is not None:
            value = self.default.run(scope, path)
        return value

    def compiled(self) -> list[Compiled | Selector]:
        extra = self.default.compiled() if self.default is not None else []
        return [*super().compiled(), *self.value.compiled(), *extra]


@dataclass
class UseNode(Node):
    mapping: Mapping
    with_names: list[tuple[str, Node]]
    extra: ObjectNode
    when: Compiled | None = None

    def produce(self, scope: Scope, path: str) -> Any:
        names = dict(scope.root)
        for name, node in self.with_names:
            value = node.run(scope, join_path(path, f"$with.{name}"))
            names[name] = None if value is OMIT else value
        out = self.mapping._run(Scope(names, scope.root), path)
        out.update(self.extra.produce(scope, path))
        return out

    def compiled(self) -> list[Compiled | Selector]:
        return [*super().compiled(), *self.mapping._all_compiled(),
                *(c for _, n in self.with_names for c in n.compiled()), *self.extra.compiled()]


class Explained(Exception):
    """A template failed in generated code and its ordinary evaluation gave this error."""

    def __init__(self, error: IexError) -> None:
        super().__init__(str(error))
        self.error = error


class Fallback(Exception):
    """Generated code cannot say what went wrong; evaluate the record through the tree."""


@dataclass
class Mapping:
    """A compiled mapping. ``evaluate(context)`` gives plain JSON-able data (Decimal for money)."""

    origin: str
    variables: list[tuple[str, Node]] = field(default_factory=list, repr=False)
    fields: Node = field(default_factory=lambda: ObjectNode([]), repr=False)   # ObjectNode, or UseNode

    _generated: Any = field(default=_NOT_GENERATED, repr=False, compare=False)

    def evaluate(self, context: dict[str, Any]) -> dict[str, Any]:
        """Evaluate on one record's context. Errors are DataError/IexSystemError with the field
        path (``lines[2].unitNetPrice``) and this mapping's file.

        The mapping runs as generated Python (codegen.py). Where a template fails there, its
        ordinary evaluation gives the located error (``Explained``); anything else that fails
        makes the node tree evaluate the record, which gives the answer or the error."""
        fast = self._generated if self._generated is not _NOT_GENERATED else self._fast()
        if fast is None or not _HELPER_NAMES.isdisjoint(context):
            # generated code binds helper names (money, ...) directly; a context key with a
            # helper's name (never given by the runner) would shadow it: the tree handles that
            return self.evaluate_tree(context)
        try:
            result: Any = _run_fast(fast, context)
        except Explained as explained:
            result = explained.error
        except Exception:  # noqa: BLE001 - the tree gives the answer or the error
            result = _NOT_GENERATED
        if CROSSCHECK:
            _crosscheck(self, context, result)
        if result is _NOT_GENERATED:
            return self.evaluate_tree(context)
        if isinstance(result, IexError):
            raise result
        return result

    def evaluate_tree(self, context: dict[str, Any]) -> dict[str, Any]:
        """Evaluate through the node tree, one template at a time (the reference path)."""
        result = self._run(Scope(dict(context), dict(context)), "")
        return plain(result, "", [MAX_OUTPUT_NODES], self.origin)

    def _fast(self) -> Any:
        if self._generated is _NOT_GENERATED:
            from engine.mapping.codegen import generate

            self._generated = generate(self)
        return self._generated

    def references(self) -> set[str]:
        """Dotted names read from the context by every template and selector (including used
        files and mapping-local names such as vars, the $as name and loop)."""
        refs: set[str] = set()
        for item in self._all_compiled():
            refs |= item.references()
        return refs

    def _run(self, scope: Scope, path: str) -> dict[str, Any]:
        try:
            names = scope.names
            computed: dict[str, Any] = {}
            for name, node in self.variables:
                value = node.run(Scope(names, scope.root), join_path("vars", name))
                computed[name] = None if value is OMIT else value
                # a var is readable by its name and as vars.NAME
                names = {**names, name: computed[name], "vars": dict(computed)}
            return self.fields.produce(Scope(names, scope.root), path)
        except IexError as exc:
            if exc.location is None:
                exc.location = Location(file=self.origin)
            raise

    def _all_compiled(self) -> list[Compiled | Selector]:
        return [*(c for _, n in self.variables for c in n.compiled()), *self.fields.compiled()]


def plain(value: Any, path: str, budget: list[int], origin: str, depth: int = 1) -> Any:
    """JSON-able output: dict/list/str/int/bool/None/Decimal; dates as ISO text."""
    budget[0] -= 1
    if budget[0] < 0:
        raise IexSystemError(f"the mapping output has more than {MAX_OUTPUT_NODES} values",
                             field_path=path or None, location=Location(file=origin))
    if depth > limits.MAX_DEPTH:
        raise IexSystemError(f"the value nests deeper than {limits.MAX_DEPTH} levels",
                             field_path=path or None, location=Location(file=origin))
    if value is None or isinstance(value, bool | int | str | Decimal):
        return value if type(value) in (bool, int, str, Decimal) or value is None else _exact_type(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # a float from a source that skipped parse_float=Decimal
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v, join_path(path, str(k)), budget, origin, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, f"{path}[{i}]", budget, origin, depth + 1) for i, v in enumerate(value)]
    raise DataError(f"a {type(value).__name__} cannot be part of the mapping output",
                    field_path=path or None, location=Location(file=origin))


PLAIN_TYPES = frozenset({bool, int, str, Decimal, type(None)})


class _NotPlain(Exception):
    """plain_fast met something only ``plain`` can explain (it gives the located error)."""


def plain_fast(value: Any, budget: list[int], depth: int) -> Any:
    """``plain`` without field paths, for the generated path: a plain dict or list is copied
    with its scalar values counted in one step; anything unusual raises (or goes to ``plain``)
    and the tree then gives the located error."""
    if depth > limits.MAX_DEPTH:
        raise _NotPlain
    kind = type(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                key = str(key)
            out[key] = item if type(item) in PLAIN_TYPES else plain_fast(item, budget, depth + 1)
    elif kind is list:
        out = [item if type(item) in PLAIN_TYPES else plain_fast(item, budget, depth + 1)
               for item in value]
    elif kind in PLAIN_TYPES:
        budget[0] -= 1
        return value
    else:
        return plain(value, "", budget, "", depth)      # the rare kinds: one implementation
    budget[0] -= 1 + sum(1 for item in out.values() if type(item) in PLAIN_TYPES) \
        if kind is dict else 1 + sum(1 for item in out if type(item) in PLAIN_TYPES)
    if budget[0] < 0:
        raise _NotPlain
    return out


def _run_fast(function: Any, context: dict[str, Any]) -> dict[str, Any]:
    token = limits.start_clock()
    try:
        with decimal.localcontext(DECIMAL_CONTEXT):
            budget = [MAX_OUTPUT_NODES]
            result = function(context, "", 1, budget)
            if budget[0] < 0:
                raise _NotPlain
            return result
    finally:
        limits.stop_clock(token)


def _crosscheck(mapping: Mapping, context: dict[str, Any], fast: Any) -> None:
    """Both paths must give the same output, or the same error (class, text, path, file)."""
    try:
        tree: Any = mapping.evaluate_tree(context)
    except IexError as exc:
        tree = exc
    if fast is _NOT_GENERATED:
        return
    if isinstance(tree, IexError) or isinstance(fast, IexError):
        same = type(fast) is type(tree) and str(fast) == str(tree) \
            and getattr(fast, "field_path", None) == tree.field_path \
            and getattr(fast, "location", None) == tree.location
    else:
        same = fast == tree and _types(fast) == _types(tree)
    if not same:
        raise AssertionError(f"{mapping.origin}: generated code gave {fast!r}, the tree {tree!r}")


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


def _exact_type(value: Any) -> Any:
    for kind in (bool, int, str, Decimal):
        if isinstance(value, kind):
            return kind(value)
    return value


def is_directive(key: Any) -> bool:
    return isinstance(key, str) and key.startswith("$")


def join_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
