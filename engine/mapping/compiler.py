"""Compiling mapping documents: every problem collected, then one MappingError."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine import yamlpos
from engine.expressions import (
    Compiled,
    ExpressionError,
    compile_condition,
    compile_selector,
    compile_value,
)
from engine.expressions.sandbox import ENV
from engine.mapping.errors import DocPath, MappingError, MappingProblem, dotted
from engine.mapping.nodes import (
    ChoiceNode,
    EachNode,
    ListNode,
    Mapping,
    Node,
    ObjectNode,
    UseNode,
    ValueNode,
    is_directive,
)

DIRECTIVES = ("$each", "$as", "$fields", "$when", "$value", "$default", "$use", "$with")
TOP_LEVEL = ("iex", "description", "vars", "fields")
RESERVED_NAMES = frozenset({"record", "settings", "steps", "key", "run", "loop", "vars"})


def load_mapping(path: Path) -> Mapping:
    """Read and compile a mapping file (YAML, safe loader)."""
    path = Path(path)
    return _Compiler(stack=(path.resolve(),)).load(path)


def compile_mapping(doc: Any, *, origin: str = "<inline>", base_dir: Path | None = None) -> Mapping:
    """Compile a mapping document. Collects every problem, then raises MappingError. ``origin``
    names it in errors; ``base_dir`` resolves ``$use`` paths (the directory of its file)."""
    origin_path = (base_dir / Path(origin).name).resolve() if base_dir is not None else None
    return _Compiler(stack=(origin_path,) if origin_path else ()).compile(doc, origin, base_dir)


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
            doc = yamlpos.load(text, name=str(path)).data
        except yamlpos.YamlError as exc:
            problems = [MappingProblem((), f"YAML error: {i.message}", i.line, i.col) for i in exc.issues]
            raise MappingError(problems, str(path)) from None
        return self.compile(doc, str(path), path.parent)

    def compile(self, doc: Any, origin: str, base_dir: Path | None) -> Mapping:
        self.base_dir = base_dir
        mapping = Mapping(origin)
        if not isinstance(doc, dict):
            self.problem((), "a mapping must be a YAML mapping (key: value lines)")
        elif any(key in doc for key in ("iex", "vars", "fields")):
            self._top_level(doc, mapping)
        else:
            mapping.fields = self.fields(doc, ("fields",))
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
            mapping.variables.append((str(name), self.node(value, path)))
        if "fields" not in doc:
            self.problem(("fields",), "a mapping needs fields: the target fields to produce")
        elif not isinstance(doc["fields"], dict):
            self.problem(("fields",), "fields must be a mapping of target field: value")
        else:
            mapping.fields = self.fields(doc["fields"], ("fields",))

    def fields(self, value: dict, path: DocPath) -> Node:
        """The target fields. ``$use`` (with ``$with``) may stand here: the used file's fields,
        with the fields written next to it added or overriding. Other directives make no sense
        for the whole output and are refused, never silently ignored."""
        directives = [k for k in value if is_directive(k)]
        for key in directives:
            if key not in DIRECTIVES:
                self.problem((*path, key), f"unknown directive {key}{_suggest(key, DIRECTIVES)}")
            elif key not in ("$use", "$with"):
                self.problem((*path, key), f"{key} cannot apply to the whole fields; only $use (with $with) "
                                           "can stand at the top of fields")
        if "$use" in value:
            return self._use(value, path, None)
        if "$with" in value:
            self.problem((*path, "$with"), "$with only works together with $use")
        return self.object(value, path, None)

    def problem(self, path: DocPath, message: str, line: int = 1, col: int = 1) -> None:
        self.problems.append(MappingProblem(tuple(path), message, line, col))

    def expression(self, compile_fn: Callable[[Any], Any], source: Any, path: DocPath) -> Any:
        try:
            return compile_fn(source)
        except ExpressionError as exc:
            self.problem(path, exc.message, exc.line, exc.col)
            return None

    def node(self, value: Any, path: DocPath) -> Node:
        if isinstance(value, dict):
            return self.directive(value, path) if any(is_directive(k) for k in value) \
                else self.object(value, path, None)
        if isinstance(value, list):
            return ListNode([self.node(item, (*path, i)) for i, item in enumerate(value)])
        compiled = self.expression(compile_value, value, path)
        return ValueNode(compiled or compile_value(None))

    def object(self, value: dict, path: DocPath, when: Compiled | None) -> ObjectNode:
        fields = []
        for key, item in value.items():
            if not isinstance(key, str):
                self.problem((*path, key), f"a field name must be text, not {key!r}")
                continue
            if is_directive(key):
                continue
            fields.append((key, self.node(item, (*path, key))))
        return ObjectNode(fields, when)

    def directive(self, value: dict, path: DocPath) -> Node:
        for key in value:
            if is_directive(key) and key not in DIRECTIVES:
                self.problem((*path, key), f"unknown directive {key}{_suggest(key, DIRECTIVES)}")
        when = None
        if "$when" in value:
            when = self.expression(compile_condition, value["$when"], (*path, "$when"))
        plain = [k for k in value if not is_directive(k)]
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
            if has_default and isinstance(inner, ValueNode):
                inner.missing_ok = True
            default = self.node(value["$default"], (*path, "$default")) if has_default else None
            return ChoiceNode(inner, default, when)
        if "$use" in value:
            return self._use(value, path, when)
        return self.object(value, path, when)

    def _each(self, value: dict, path: DocPath, when: Compiled | None) -> Node:
        selector = self.expression(compile_selector, value["$each"], (*path, "$each"))
        name = value.get("$as", "item")
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") \
                or name in ENV.globals or name in RESERVED_NAMES:
            self.problem((*path, "$as"), f"$as must be a free plain name like line, not {name!r}")
            name = "item"
        if "$fields" not in value:
            self.problem(path, "$each needs $fields: what to produce for each item")
            body: Node = ObjectNode([])
        else:
            body = self.node(value["$fields"], (*path, "$fields"))
        return EachNode(selector or compile_selector("@"), name, body, when)

    def _use(self, value: dict, path: DocPath, when: Compiled | None) -> Node:
        target = value["$use"]
        with_names: list[tuple[str, Node]] = []
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
        return UseNode(used or Mapping(str(target)), with_names, extra, when)

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
                where = dotted(p.path)
                self.problem(path, f"in {target}{': ' + where if where else ''}: {p.message}", p.line, p.col)
            return None
        self.cache[resolved] = mapping
        return mapping


def _suggest(word: str, options: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {close[0]}?)" if close else ""
