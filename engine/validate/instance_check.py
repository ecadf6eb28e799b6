"""Instance files: each integration's recipe, the customer's settings against the recipe's
settings schema, and connection settings against the connector's schema, with secrets only as
references. Nothing is resolved here: a missing environment variable is a warning."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import schemas, secrets
from engine.http import scheme_problem
from engine.validate import plugins, schema_check
from engine.validate.problems import Problem, at
from engine.validate.session import file_problem
from engine.validate.settings import customer_schema, with_defaults
from engine.validate.suggest import did_you_mean
from engine.yamlpos import Document, JsonPath

if TYPE_CHECKING:
    from engine.validate.session import RecipeInfo, Session

PLACEHOLDER = "${env:_}"


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def check_instance(session: Session, path: Path, doc: Document) -> None:
    session.problems.extend(schema_check.check(doc, schemas.load("instance")))
    for name, integration in _dict(_dict(doc.data).get("integrations")).items():
        if isinstance(integration, dict):
            _integration(session, path.parent, doc, name, integration)


def _integration(session: Session, base_dir: Path, doc: Document, name: str, integration: dict) -> None:
    base: JsonPath = ("integrations", name)
    recipe_ref = integration.get("recipe")
    if not isinstance(recipe_ref, str) or not recipe_ref:
        return
    target = base_dir / recipe_ref
    problem = file_problem(target, recipe_ref, "recipe file")
    if problem is not None:
        session.problems.append(at(doc, base + ("recipe",), problem))
        return
    info = session.recipe(target)
    if info is None:
        return
    _settings(doc, base, integration, info, session.problems)
    _connections(doc, base, integration, info, base_dir, session.problems)


def _settings(doc: Document, base: JsonPath, integration: dict, info: RecipeInfo, problems: list[Problem]) -> None:
    schema = customer_schema(info.settings_decl)
    values = integration.get("settings", {})
    if schema is None or not isinstance(values, dict):
        return
    merged = with_defaults(info.settings_decl, values)
    problems.extend(schema_check.check(doc, schema, base=base + ("settings",), instance=merged, what="setting"))


def _connections(doc: Document, base: JsonPath, integration: dict, info: RecipeInfo, base_dir: Path, problems: list[Problem]) -> None:
    given = _dict(integration.get("connections"))
    for name in given:
        if name not in info.connections:
            problems.append(at(doc, base + ("connections", name), f"recipe {info.doc.name} has no connection {name!r} "
                               f"(it has: {', '.join(info.connections) or 'none'})", key=True,
                               suggestion=did_you_mean(name, info.connections)))
    for name, cls in info.connections.items():
        if name not in given and info.doc.get(("connections", name, "optional")) is True:
            continue  # an optional connection the customer does not use
        if cls is not None:
            _connection(doc, base + ("connections", name), _dict(given.get(name)), info, name, cls, base_dir, problems)


def _connection(doc: Document, path: JsonPath, given: dict, info: RecipeInfo, name: str, cls: Any,
                base_dir: Path, problems: list[Problem]) -> None:
    """Recipe defaults overlaid by the instance must satisfy the connector's settings schema;
    secret fields must be references, and a literal is refused without being repeated."""
    merged = {**_dict(info.doc.get(("connections", name, "settings"))), **given}
    secret = plugins.secret_fields(cls)
    for key in sorted(secret & set(merged)):
        if not secrets.is_reference(merged[key]):
            if key in given:
                problems.append(at(doc, path + (key,), f"{key!r} is a secret: write a reference such as ${{env:NAME}} or "
                                   "${file:path} here instead of the value itself"))
            merged[key] = PLACEHOLDER  # the schema check must never see (or print) a literal secret
    references = {k for k, v in given.items() if secrets.is_reference(v)}
    for key in sorted(references):
        if given[key] != PLACEHOLDER:
            _reference_exists(doc, path + (key,), given[key], base_dir, problems)
    hidden = frozenset(path + (k,) for k in secret)
    schema = plugins.relaxed_schema(cls, references=references)
    schema_problems = schema_check.check(doc, schema, base=path, instance=merged, hidden=hidden, what="setting")
    problems.extend(schema_problems)
    reported = {problem.path for problem in schema_problems}
    for problem in _url_schemes(doc, path, given, info.doc, ("connections", name, "settings"), merged):
        if problem.path not in reported:  # a value the schema refuses already ("shop.example")
            problems.append(problem)


URL_SETTINGS = ("url", "base_url")


def _url_schemes(doc: Document, path: JsonPath, given: dict, recipe: Document, defaults: JsonPath,
                 merged: dict) -> list[Problem]:
    """A connection URL must pass the HTTP client's scheme rule (https, plain http on loopback
    only); said where the URL is written (the instance, else the recipe's default)."""
    found = []
    for key in URL_SETTINGS:
        url = merged.get(key)
        if not isinstance(url, str) or secrets.is_reference(url):
            continue  # a reference is checked when it is resolved, at run time
        problem = scheme_problem(url)
        if problem is not None:
            found.append(at(doc, path + (key,), problem) if key in given else at(recipe, defaults + (key,), problem))
    return found


def _reference_exists(doc: Document, path: JsonPath, reference: str, base_dir: Path, problems: list[Problem]) -> None:
    """Warn (not fail: CI has no secrets) when a reference cannot be resolved on this machine."""
    match = secrets.REFERENCE.match(reference)
    if not match:
        return
    kind, target = match.groups()
    if kind == "env" and target not in os.environ:
        problems.append(at(doc, path, f"environment variable {target} is not set", severity="warning"))
    elif kind == "file":
        problem = file_problem(base_dir / target, target, "secret file")  # an absolute target stays as it is
        if problem is not None:
            problems.append(at(doc, path, problem, severity="warning"))
