"""Compile every template, condition and JMESPath selector of a document, at its position.

An error inside a template is moved from its place in the template text onto the YAML line and
column (``Document.text_position`` knows the scalar's style). Each compiled template is kept as
a ``TemplateUse`` so the cross checks can ask which names it reads (``settings.X``, ``steps.X``)
and point at them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from engine.validate.problems import Problem, at
from engine.yamlpos import Document, JsonPath, value_at

Kind = Literal["value", "condition", "selector"]
WHAT = {"value": "template", "condition": "condition", "selector": "JMESPath expression"}


@dataclass(frozen=True)
class TemplateUse:
    """One compiled template: where it is and the dotted names it reads."""

    doc: Document
    path: JsonPath
    references: frozenset[str]


def compile_at(doc: Document, path: JsonPath, kind: Kind, problems: list[Problem]) -> Any:
    """Compile the string at ``path``; on failure add a located problem and return None."""
    from engine import expressions

    source = doc.get(path)
    if not isinstance(source, str):
        return None  # the schema check reports the wrong type
    compile_fn = {
        "value": expressions.compile_value,
        "condition": expressions.compile_condition,
        "selector": expressions.compile_selector,
    }[kind]
    try:
        return compile_fn(source)
    except expressions.ExpressionError as exc:
        line, col = getattr(exc, "line", 1) or 1, getattr(exc, "col", 1) or 1
        message = getattr(exc, "message", None) or str(exc)
        if WHAT[kind].split()[0].lower() not in message.lower():
            message = f"invalid {WHAT[kind]}: {message}"
        problems.append(at(doc, path, message, position=doc.text_position(path, line, col)))
        return None


def use_of(doc: Document, path: JsonPath, compiled: Any) -> TemplateUse | None:
    """The TemplateUse of a compiled value (None for literals and selectors)."""
    if compiled is None or not getattr(compiled, "is_template", True) or not hasattr(compiled, "references"):
        return None
    return TemplateUse(doc, path, frozenset(compiled.references()))


def check_strings(doc: Document, path: JsonPath, problems: list[Problem]) -> list[TemplateUse]:
    """Compile every template string below ``path`` (source options, refs)."""
    uses = []
    for sub in strings_below(doc.data, path):
        use = use_of(doc, sub, compile_at(doc, sub, "value", problems))
        if use:
            uses.append(use)
    return uses


def check_mapping_body(doc: Document, path: JsonPath, problems: list[Problem]) -> tuple[list[TemplateUse], set[JsonPath]]:
    """Compile the templates, conditions and selectors of a mapping body (``vars`` and
    ``fields``) found at ``path``. Returns the uses and the paths that failed to compile."""
    uses: list[TemplateUse] = []
    failed: set[JsonPath] = set()
    body = doc.get(path)
    if not isinstance(body, dict):
        return uses, failed
    if not is_full_body(body):
        _walk_field(doc, path, problems, uses, failed)  # an inline mapping that is just the fields
        return uses, failed
    for section in ("vars", "fields"):
        if isinstance(body.get(section), dict):
            for key in body[section]:
                _walk_field(doc, path + (section, key), problems, uses, failed)
    return uses, failed


def is_full_body(body: dict) -> bool:
    """A mapping with iex, vars or fields at the top is a full mapping; any other inline
    mapping is the target fields themselves (the rule engine.mapping applies)."""
    return any(key in body for key in ("iex", "vars", "fields"))


def _walk_field(doc: Document, path: JsonPath, problems: list[Problem], uses: list[TemplateUse], failed: set[JsonPath]) -> None:
    value = doc.get(path)
    if isinstance(value, str):
        _compile_into(doc, path, "value", problems, uses, failed)
    elif isinstance(value, list):
        for i in range(len(value)):
            _walk_field(doc, path + (i,), problems, uses, failed)
    elif isinstance(value, dict):
        for key, sub in value.items():
            if key == "$when":
                _compile_into(doc, path + (key,), "condition", problems, uses, failed)
            elif key == "$each":
                _compile_into(doc, path + (key,), "selector", problems, uses, failed)
            elif key in ("$as", "$use"):
                continue  # names and paths, not templates
            elif key == "$with" and isinstance(sub, dict):
                for name in sub:
                    _walk_field(doc, path + (key, name), problems, uses, failed)
            else:
                _walk_field(doc, path + (key,), problems, uses, failed)


def _compile_into(doc: Document, path: JsonPath, kind: Kind, problems: list[Problem], uses: list[TemplateUse], failed: set[JsonPath]) -> None:
    before = len(problems)
    compiled = compile_at(doc, path, kind, problems)
    if len(problems) > before:
        failed.add(path)
    use = use_of(doc, path, compiled)
    if use:
        uses.append(use)


def strings_below(data: Any, path: JsonPath) -> Iterator[JsonPath]:
    """Paths of every string at or below ``path``."""
    value = value_at(data, path)
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key in value:
            yield from strings_below(data, path + (key,))
    elif isinstance(value, list):
        for i in range(len(value)):
            yield from strings_below(data, path + (i,))
