"""JSON Schema validation whose errors read as plain words at a file position.

jsonschema's own messages dump whole instances and every ``oneOf`` branch. Here each error
becomes one short sentence ("expected a number, got string 'abc'") at the line of the offending
value (or key, for an unknown key), and for ``oneOf``/``anyOf`` only the branch the value was
evidently meant for is reported.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.validate.problems import Problem, at
from engine.validate.suggest import did_you_mean
from engine.yamlpos import Document, JsonPath

TYPE_WORDS = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "object": "a mapping (key: value)",
    "array": "a list",
    "null": "null",
}
HIDDEN = "(hidden)"
_FROM_DOC: Any = object()


def check(
    doc: Document,
    schema: dict[str, Any],
    *,
    base: JsonPath = (),
    instance: Any = _FROM_DOC,
    hidden: frozenset[JsonPath] = frozenset(),
    what: str = "value",
) -> list[Problem]:
    """Validate ``instance`` (default: the document's data at ``base``) against ``schema``.
    Values at ``hidden`` paths (secrets) are never quoted in messages."""
    if instance is _FROM_DOC:
        instance = doc.get(base)
    validator = Draft202012Validator(schema)
    problems: list[Problem] = []
    for error in validator.iter_errors(instance):
        problems.extend(_Translator(doc, base, hidden, what).translate(error))
    return problems


def describe(value: Any) -> str:
    """A value as a short phrase: "string 'abc'", "number 5", "a list"."""
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"string {text!r}"
    if isinstance(value, (int, Decimal)):
        return f"number {value}"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _expected_types(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(TYPE_WORDS.get(t, t) for t in names)


class _Translator:
    def __init__(self, doc: Document, base: JsonPath, hidden: frozenset[JsonPath], what: str) -> None:
        self.doc, self.base, self.hidden, self.what = doc, base, hidden, what

    def path_of(self, error: ValidationError) -> JsonPath:
        return self.base + tuple(error.absolute_path)

    def show(self, path: JsonPath, value: Any) -> str:
        return HIDDEN if path in self.hidden else describe(value)

    def translate(self, error: ValidationError) -> list[Problem]:
        path = self.path_of(error)
        kind = error.validator
        schema = error.schema if isinstance(error.schema, dict) else {}
        value = error.instance
        if "propertyNames" in error.relative_schema_path:
            return self._bad_name(error, path, schema)
        if kind in ("oneOf", "anyOf"):
            return self._alternatives(error, path)
        if kind == "additionalProperties":
            return self._unknown_keys(path, value, schema)
        if kind == "required":
            missing = [k for k in error.validator_value if isinstance(value, dict) and k not in value]
            return [at(self.doc, path + (k,), f"missing required key {k!r}") for k in missing]
        if kind == "dependentRequired":
            return self._dependencies(path, value, error.validator_value)
        if kind == "type":
            message = f"expected {_expected_types(error.validator_value)}, got {self.show(path, value)}"
            if error.validator_value == "string" and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                message += " (put it in quotes)"
            return [at(self.doc, path, message)]
        if kind == "enum":
            options = ", ".join(_literal(v) for v in error.validator_value)
            hidden = path in self.hidden
            got = HIDDEN if hidden else _literal(value) if not isinstance(value, (dict, list)) else describe(value)
            suggestion = None if hidden else did_you_mean(value, error.validator_value)
            return [at(self.doc, path, f"expected one of {options}; got {got}", suggestion=suggestion)]
        if kind == "const":
            return [at(self.doc, path, f"expected {_literal(error.validator_value)}, got {self.show(path, value)}")]
        if kind == "pattern":
            why = schema.get("patternErrorMessage") or f"must match the pattern {error.validator_value}"
            shown = HIDDEN if path in self.hidden else _literal(value)
            return [at(self.doc, path, f"invalid value {shown}: {why}")]
        return [at(self.doc, path, self._simple(kind, error, path))]

    def _simple(self, kind: str, error: ValidationError, path: JsonPath) -> str:
        limit = error.validator_value
        got = self.show(path, error.instance)
        messages = {
            "minLength": "must not be empty" if limit == 1 else f"must be at least {limit} characters long",
            "maxLength": f"must be at most {limit} characters long",
            "minimum": f"must be at least {limit}, got {got}",
            "maximum": f"must be at most {limit}, got {got}",
            "exclusiveMinimum": f"must be more than {limit}, got {got}",
            "exclusiveMaximum": f"must be less than {limit}, got {got}",
            "minItems": f"needs at least {limit} item{'s' if limit != 1 else ''}",
            "maxItems": f"allows at most {limit} item{'s' if limit != 1 else ''}",
            "minProperties": f"needs at least {limit} entr{'ies' if limit != 1 else 'y'}",
            "maxProperties": f"allows at most {limit} entr{'ies' if limit != 1 else 'y'}",
            "uniqueItems": "items must all differ",
            "format": f"expected a valid {limit}, got {got}",
            "multipleOf": f"must be a multiple of {limit}, got {got}",
        }
        if kind in messages:
            return messages[kind]
        schema = error.schema if isinstance(error.schema, dict) else {}
        if schema.get("errorMessage"):
            return str(schema["errorMessage"])
        if path in self.hidden:
            return f"this {self.what} is not valid ({kind})"
        return f"this {self.what} is not valid: {error.message[:200]}"

    def _bad_name(self, error: ValidationError, path: JsonPath, schema: dict) -> list[Problem]:
        name = error.instance
        why = schema.get("patternErrorMessage") or error.message
        return [at(self.doc, path + (str(name),), f"invalid name {name!r}: {why}", key=True)]

    def _unknown_keys(self, path: JsonPath, value: Any, schema: dict) -> list[Problem]:
        import re

        if not isinstance(value, dict):
            return []
        allowed = list(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        problems = []
        for key in value:
            if key in allowed or any(p.search(key) for p in patterns):
                continue
            word = "directive" if key.startswith("$") and any(a.startswith("$") for a in allowed) else "key"
            where = f"; allowed: {', '.join(allowed)}" if allowed and len(allowed) <= 12 else ""
            suggestion = did_you_mean(key, allowed)
            problems.append(
                at(self.doc, path + (key,), f"unknown {word} {key!r}" + ("" if suggestion else where), key=True, suggestion=suggestion)
            )
        return problems

    def _dependencies(self, path: JsonPath, value: Any, rules: dict) -> list[Problem]:
        problems = []
        for key, needs in rules.items():
            if not isinstance(value, dict) or key not in value:
                continue
            for need in needs:
                if need not in value:
                    problems.append(at(self.doc, path + (key,), f"{key!r} needs {need!r} next to it", key=True))
        return problems

    def _alternatives(self, error: ValidationError, path: JsonPath) -> list[Problem]:
        """Report the branch the value was meant for: the branches whose type fits, then the one
        with the fewest errors. If no branch's type fits, name what was expected."""
        branches: dict[int, list[ValidationError]] = defaultdict(list)
        for sub in error.context or ():
            branches[sub.relative_schema_path[0]].append(sub)
        if not branches:
            return [at(self.doc, path, f"this {self.what} fits more than one alternative; make it unambiguous")]
        labels: list[str] = []
        fitting: list[int] = []
        for index in range(len(error.validator_value)):
            wrong_type = [e for e in branches.get(index, []) if e.validator == "type" and not e.relative_path]
            if wrong_type:
                sub_schema = wrong_type[0].schema if isinstance(wrong_type[0].schema, dict) else {}
                labels.append(sub_schema.get("title") or _expected_types(wrong_type[0].validator_value))
            else:
                fitting.append(index)
        if any(not branches.get(i) for i in fitting):
            return [at(self.doc, path, f"this {self.what} fits more than one alternative; make it unambiguous")]
        if not fitting:
            message = f"expected {' or '.join(labels)}, got {self.show(path, error.instance)}"
            return [at(self.doc, path, message)]
        best = min(fitting, key=lambda i: (len(branches[i]), -max(len(e.absolute_path) for e in branches[i])))
        problems: list[Problem] = []
        for sub in branches[best]:
            problems.extend(self.translate(sub))
        return problems
