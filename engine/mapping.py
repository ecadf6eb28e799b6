"""Mapping files: compile once (collecting every problem), evaluate per record.

A mapping turns the context (``record``, ``settings``, ``steps``, ``key``, ...) into the input
of an action. Keys starting with ``$`` are directives (docs/ARCHITECTURE.md, "Mapping file"):

* ``$each`` (JMESPath) + ``$as`` (default ``item``) + ``$fields``: one entry per selected item,
  with ``loop`` (index0, index, first, last, length) available;
* ``$when``: the field is left out when the condition is false;
* ``$value`` + ``$default``: the default is used when the value is None or the last name in the
  value is missing (``record.meta.ean`` without ``ean``);
* ``$use`` (a mapping file, relative to this one) + ``$with`` (extra names): the other file's
  fields; it sees the top-level context plus the ``$with`` names, not this file's vars. Extra
  target fields next to ``$use`` are added to (and override) the used fields.

A document with a top-level ``iex``, ``vars`` or ``fields`` key is a full mapping file;
any other dict (an inline mapping in a recipe) is the ``fields`` themselves.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from engine.errors import IexError, IexSystemError, Location
from engine.expressions import (
    Compiled,
    ExpressionError,
    Selector,
    compile_condition,
    compile_selector,
    compile_value,
)
from engine.expressions.sandbox import ENV

DocPath = tuple[Any, ...]
DIRECTIVES = ("$each", "$as", "$fields", "$when", "$value", "$default", "$use", "$with")
TOP_LEVEL = ("iex", "description", "vars", "fields")
RESERVED_NAMES = frozenset({"record", "settings", "steps", "key", "run", "loop", "vars"})
MAX_OUTPUT_NODES = 200_000     # values in one mapping's output
_OMIT = object()


class MappingProblem(NamedTuple):
    path: DocPath          # inside the document, e.g. ("fields", "lines", "$fields", "unitNetPrice")
    message: str
    line: int              # inside the template text (1 if not applicable)
    col: int


class MappingError(IexSystemError):
    """Every problem found while compiling a mapping (a technician fixes the mapping)."""

    def __init__(self, problems: list[MappingProblem], origin: str = "<inline>") -> None:
        self.problems = problems
        self.origin = origin
        lines = [f"{origin}: {len(problems)} problem{'s' if len(problems) != 1 else ''} in the mapping"]
        for p in problems:
            where = _dotted(p.path) or "(document)"
            pos = f" (template {p.line}:{p.col})" if (p.line, p.col) != (1, 1) else ""
            lines.append(f"  {where}{pos}: {p.message}")
        super().__init__("\n".join(lines), location=Location(file=origin))

    def __str__(self) -> str:
        return self.message


# ---------------------------------------------------------------- compiled nodes

@dataclass
class _Scope:
    names: dict[str, Any]     # what templates see
    root: dict[str, Any]      # the caller's context, for $use


class _Node:
    when: Compiled | None = None

    def run(self, scope: _Scope, path: str) -> Any:
        if self.when is not None and not self.when.evaluate(scope.names, field_path=path):
            return _OMIT
        return self.produce(scope, path)

    def produce(self, scope: _Scope, path: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def compiled(self) -> list[Compiled | Selector]:
        return [self.when] if self.when is not None else []


@dataclass
class _Value(_Node):
    value: Compiled
    missing_ok: bool = False

    def produce(self, scope: _Scope, path: str) -> Any:
        return self.value.evaluate(scope.names, field_path=path or None, missing_ok=self.missing_ok)

    def compiled(self) -> list[Compiled | Selector]:
        return [*super().compiled(), self.value]


@dataclass
class _Object(_Node):
    fields: list[tuple[str, _Node]]
    when: Compiled | None = None

    def produce(self, scope: _Scope, path: str) -> Any:
        out: dict[str, Any] = {}
        for name, node in self.fields:
            value = node.run(scope, _join(path, name))
            if value is not _OMIT:
                out[name] = value
        return out

    def compiled(self) -> list[Compiled | Selector]:
        return [*super().compiled(), *(c for _, n in self.fields for c in n.compiled())]


@dataclass
class _List(_Node):
    items: list[_Node]

    def produce(self, scope: _Scope, path: str) -> Any:
        out = []
        for index, node in enumerate(self.items):
            value = node.run(scope, f"{path}[{index}]")
            if value is not _OMIT:
                out.append(value)
        return out

    def compiled(self) -> list[Compiled | Selector]:
        return [*super().compiled(), *(c for n in self.items for c in n.compiled())]


@dataclass
class _Each(_Node):
    selector: Selector
    name: str
    body: _Node
    when: Compiled | None = None

    def produce(self, scope: _Scope, path: str) -> Any:
        try:
            items = self.selector.search(scope.names)
        except IexError as exc:
            exc.field_path = path or None
            raise
        if items is None:
            return []
        if not isinstance(items, list):
            from engine.errors import DataError

            raise DataError(f"$each {self.selector.source!r} selected a {type(items).__name__}, "
                            "not a list", field_path=path or None)
        out = []
        for index, item in enumerate(items):
            loop = {"index0": index, "index": index + 1, "first": index == 0,
                    "last": index == len(items) - 1, "length": len(items)}
            inner = _Scope({**scope.names, self.name: item, "loop": loop}, scope.root)
            value = self.body.run(inner, f"{path}[{index}]")
            if value is not _OMIT:
                out.append(value)
        return out

    def compiled(self) -> list[Compiled | Selector]:
        return [*super().compiled(), self.selector, *self.body.compiled()]


@dataclass
class _Choice(_Node):
    value: _Node
    default: _Node | None
    when: Compiled | None = None

    def produce(self, scope: _Scope, path: str) -> Any:
        value = self.value.run(scope, path)
        if (value is None or value is _OMIT) and self.default is not None:
            value = self.default.run(scope, path)
        return value

    def compiled(self) -> list[Compiled | Selector]:
        extra = self.default.compiled() if self.default is not None else []
        return [*super().compiled(), *self.value.compiled(), *extra]


@dataclass
class _Use(_Node):
    mapping: Mapping
    with_names: list[tuple[str, _Node]]
    extra: _Object
    when: Compiled | None = None

    def produce(self, scope: _Scope, path: str) -> Any:
        names = dict(scope.root)
        for name, node in self.with_names:
            value = node.run(scope, _join(path, f"$with.{name}"))
            names[name] = None if value is _OMIT else value
        out = self.mapping._run(_Scope(names, scope.root), path)
        out.update(self.extra.produce(scope, path))
        return out

    def compiled(self) -> list[Compiled | Selector]:
        return [*super().compiled(), *self.mapping._all_compiled(),
                *(c for _, n in self.with_names for c in n.compiled()), *self.extra.compiled()]


# ---------------------------------------------------------------- the mapping


@dataclass
class Mapping:
    """A compiled mapping. ``evaluate(context)`` gives plain JSON-able data (Decimal for money)."""

    origin: str
    _vars: list[tuple[str, _Node]] = field(default_factory=list, repr=False)
    _fields: _Object = field(default_factory=lambda: _Object([]), repr=False)

    def evaluate(self, context: dict[str, Any]) -> dict[str, Any]:
        """Evaluate on one record's context. Errors are DataError/IexSystemError with the field
        path (``lines[2].unitNetPrice``) and this mapping's file."""
        result = self._run(_Scope(dict(context), dict(context)), "")
        return _plain(result, "", [MAX_OUTPUT_NODES], self.origin)

    def references(self) -> set[str]:
        """Dotted names read from the context by every template and selector (including used
        files and mapping-local names such as vars, the $as name and loop)."""
        refs: set[str] = set()
        for item in self._all_compiled():
            refs |= item.references()
        return refs

    def _run(self, scope: _Scope, path: str) -> dict[str, Any]:
        try:
            names = scope.names
            for name, node in self._vars:
                value = node.run(_Scope(names, scope.root), _join("vars", name))
                names = {**names, name: None if value is _OMIT else value}
            return self._fields.produce(_Scope(names, scope.root), path)
        except IexError as exc:
            if exc.location is None:
                exc.location = Location(file=self.origin)
            raise

    def _all_compiled(self) -> list[Compiled | Selector]:
        return [*(c for _, n in self._vars for c in n.compiled()), *self._fields.compiled()]


def load_mapping(path: Path) -> Mapping:
    """Read and compile a mapping file (YAML, safe loader)."""
    path = Path(path)
    return _Compiler(stack=(path.resolve(),)).load(path)


def compile_mapping(doc: Any, *, origin: str = "<inline>", base_dir: Path | None = None) -> Mapping:
    """Compile a mapping document. Collects every problem, then raises MappingError. ``origin``
    names it in errors; ``base_dir`` resolves ``$use`` paths (the directory of its file)."""
    origin_path = (base_dir / Path(origin).name).resolve() if base_dir is not None else None
    return _Compiler(stack=(origin_path,) if origin_path else ()).compile(doc, origin, base_dir)


# ---------------------------------------------------------------- compiler


class _Compiler:
    """One compilation: the problem list and the files being compiled (to find $use cycles)."""

    def __init__(self, stack: tuple[Path, ...], cache: dict[Path, Mapping] | None = None) -> None:
        self.stack = stack
        self.cache = cache if cache is not None else {}
        self.problems: list[MappingProblem] = []
        self.base_dir: Path | None = None

    def load(self, path: Path) -> Mapping:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise MappingError([MappingProblem((), f"cannot read the mapping file: {exc.strerror}", 1, 1)],
                               str(path)) from None
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            reason = getattr(exc, "problem", None) or "invalid YAML"
            raise MappingError([MappingProblem((), f"YAML error: {reason}", line, col)], str(path)) from None
        return self.compile(doc, str(path), path.parent)

    def compile(self, doc: Any, origin: str, base_dir: Path | None) -> Mapping:
        self.base_dir = base_dir
        mapping = Mapping(origin)
        if not isinstance(doc, dict):
            self.problem((), "a mapping must be a YAML mapping (key: value lines)")
        elif any(key in doc for key in ("iex", "vars", "fields")):
            self._top_level(doc, mapping)
        else:
            mapping._fields = self.object(doc, ("fields",), None)
        if self.problems:
            raise MappingError(self.problems, origin)
        return mapping

    def _top_level(self, doc: dict, mapping: Mapping) -> None:
        for key in doc:
            if key not in TOP_LEVEL:
                self.problem((key,), f"unknown top-level key {key!r}{_suggest(key, TOP_LEVEL)}")
        if "iex" in doc and doc["iex"] != 1:
            self.problem(("iex",), "iex must be 1 (the mapping format version)")
        variables = doc.get("vars") or {}
        if not isinstance(variables, dict):
            self.problem(("vars",), "vars must be a mapping of name: value")
            variables = {}
        for name, value in variables.items():
            path = ("vars", name)
            if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
                self.problem(path, f"a var name must be a plain name like net_total, not {name!r}")
            elif name in RESERVED_NAMES or name in ENV.globals:
                self.problem(path, f"the var name {name!r} is taken by the context or a helper")
            mapping._vars.append((str(name), self.node(value, path)))
        if "fields" not in doc:
            self.problem(("fields",), "a mapping needs fields: the target fields to produce")
        elif not isinstance(doc["fields"], dict):
            self.problem(("fields",), "fields must be a mapping of target field: value")
        else:
            mapping._fields = self.object(doc["fields"], ("fields",), None)

    def problem(self, path: DocPath, message: str, line: int = 1, col: int = 1) -> None:
        self.problems.append(MappingProblem(tuple(path), message, line, col))

    def expression(self, compile_fn: Callable[[Any], Any], source: Any, path: DocPath) -> Any:
        try:
            return compile_fn(source)
        except ExpressionError as exc:
            self.problem(path, exc.message, exc.line, exc.col)
            return None

    def node(self, value: Any, path: DocPath) -> _Node:
        if isinstance(value, dict):
            return self.directive(value, path) if any(_is_directive(k) for k in value) \
                else self.object(value, path, None)
        if isinstance(value, list):
            return _List([self.node(item, (*path, i)) for i, item in enumerate(value)])
        compiled = self.expression(compile_value, value, path)
        return _Value(compiled or compile_value(None))

    def object(self, value: dict, path: DocPath, when: Compiled | None) -> _Object:
        fields = []
        for key, item in value.items():
            if not isinstance(key, str):
                self.problem((*path, key), f"a field name must be text, not {key!r}")
                continue
            if _is_directive(key):
                continue
            fields.append((key, self.node(item, (*path, key))))
        return _Object(fields, when)

    def directive(self, value: dict, path: DocPath) -> _Node:
        for key in value:
            if _is_directive(key) and key not in DIRECTIVES:
                self.problem((*path, key), f"unknown directive {key}{_suggest(key, DIRECTIVES)}")
        when = None
        if "$when" in value:
            when = self.expression(compile_condition, value["$when"], (*path, "$when"))
        plain = [k for k in value if not _is_directive(k)]
        kinds = [k for k in ("$each", "$value", "$use") if k in value]
        if len(kinds) > 1:
            self.problem(path, f"use only one of {', '.join(kinds)} in one field")
        for key, needs in (("$as", "$each"), ("$fields", "$each"), ("$default", "$value"),
                           ("$with", "$use")):
            if key in value and needs not in value:
                self.problem((*path, key), f"{key} only works together with {needs}")
        if "$each" in value:
            if plain:
                self.problem((*path, plain[0]), "the fields of each item go under $fields")
            return self._each(value, path, when)
        if "$value" in value:
            if plain:
                self.problem((*path, plain[0]), "a field with $value cannot also have fields")
            has_default = "$default" in value
            inner = self.node(value["$value"], (*path, "$value"))
            if has_default and isinstance(inner, _Value):
                inner.missing_ok = True
            default = self.node(value["$default"], (*path, "$default")) if has_default else None
            return _Choice(inner, default, when)
        if "$use" in value:
            return self._use(value, path, when)
        return self.object(value, path, when)

    def _each(self, value: dict, path: DocPath, when: Compiled | None) -> _Node:
        selector = self.expression(compile_selector, value["$each"], (*path, "$each"))
        name = value.get("$as", "item")
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") \
                or name in ENV.globals or name in RESERVED_NAMES:
            self.problem((*path, "$as"), f"$as must be a free plain name like line, not {name!r}")
            name = "item"
        if "$fields" not in value:
            self.problem(path, "$each needs $fields: what to produce for each item")
            body: _Node = _Object([])
        else:
            body = self.node(value["$fields"], (*path, "$fields"))
        return _Each(selector or compile_selector("@"), name, body, when)

    def _use(self, value: dict, path: DocPath, when: Compiled | None) -> _Node:
        target = value["$use"]
        with_names: list[tuple[str, _Node]] = []
        extra = self.object(value, path, None)
        raw_with = value.get("$with") or {}
        if not isinstance(raw_with, dict):
            self.problem((*path, "$with"), "$with must be a mapping of name: value")
            raw_with = {}
        for name, item in raw_with.items():
            if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
                self.problem((*path, "$with", name), f"a $with name must be a plain name, not {name!r}")
                continue
            with_names.append((name, self.node(item, (*path, "$with", name))))
        used = self._load_used(target, (*path, "$use"))
        return _Use(used or Mapping(str(target)), with_names, extra, when)

    def _load_used(self, target: Any, path: DocPath) -> Mapping | None:
        if not isinstance(target, str) or not target.strip():
            self.problem(path, "$use must be the path of a mapping file, e.g. ./recipient.yaml")
            return None
        if self.base_dir is None:
            self.problem(path, "$use needs the mapping's own location to resolve relative paths")
            return None
        resolved = (self.base_dir / target).resolve()
        if resolved in self.stack:
            chain = " -> ".join(p.name for p in (*self.stack, resolved))
            self.problem(path, f"$use cycle: {chain}")
            return None
        if resolved in self.cache:
            return self.cache[resolved]
        if not resolved.is_file():
            self.problem(path, f"$use: no mapping file {target} (looked in {self.base_dir})")
            return None
        sub = _Compiler(stack=(*self.stack, resolved), cache=self.cache)
        try:
            mapping = sub.load(resolved)
        except MappingError as exc:
            for p in exc.problems:
                where = _dotted(p.path)
                self.problem(path, f"in {target}{': ' + where if where else ''}: {p.message}", p.line, p.col)
            return None
        self.cache[resolved] = mapping
        return mapping


# ---------------------------------------------------------------- helpers


def _plain(value: Any, path: str, budget: list[int], origin: str) -> Any:
    """JSON-able output: dict/list/str/int/bool/None/Decimal; dates as ISO text."""
    budget[0] -= 1
    if budget[0] < 0:
        raise IexSystemError(f"the mapping output has more than {MAX_OUTPUT_NODES} values",
                             field_path=path or None, location=Location(file=origin))
    if value is None or isinstance(value, bool | int | str | Decimal):
        return value if type(value) in (bool, int, str, Decimal) or value is None else _base(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # a float from a source that skipped parse_float=Decimal
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v, _join(path, str(k)), budget, origin) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, f"{path}[{i}]", budget, origin) for i, v in enumerate(value)]
    from engine.errors import DataError

    raise DataError(f"a {type(value).__name__} cannot be part of the mapping output",
                    field_path=path or None, location=Location(file=origin))


def _base(value: Any) -> Any:
    for kind in (bool, int, str, Decimal):
        if isinstance(value, kind):
            return kind(value)
    return value


def _is_directive(key: Any) -> bool:
    return isinstance(key, str) and key.startswith("$")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _dotted(path: DocPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _suggest(word: str, options: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {close[0]}?)" if close else ""
