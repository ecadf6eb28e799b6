"""Connector lookups for validation: found, or a located problem naming what is installed."""

from __future__ import annotations

from typing import Any

from engine import registry
from engine.connector import Connector
from engine.errors import IexError
from engine.validate.problems import Problem, at
from engine.validate.suggest import did_you_mean
from engine.yamlpos import Document, JsonPath


def find(doc: Document, path: JsonPath, problems: list[Problem]) -> type[Connector] | None:
    """The connector class named by the string at ``path``, or None (with a problem)."""
    name = doc.get(path)
    if not isinstance(name, str):
        return None
    try:
        return registry.get(name)
    except IexError as exc:
        try:
            installed = list(registry.connectors())
        except Exception:  # noqa: BLE001 - the registry itself is broken; say so once below
            installed = []
        problems.append(at(doc, path, exc.message, suggestion=did_you_mean(name, installed)))
    except Exception as exc:  # noqa: BLE001 - a plugin that raises while loading
        problems.append(at(doc, path, f"connector {name!r} failed to load: {type(exc).__name__}"))
    return None


def settings_schema(cls: type[Connector]) -> dict[str, Any]:
    schema = getattr(cls, "settings_schema", None)
    return schema if isinstance(schema, dict) else {"type": "object"}


def secret_fields(cls: type[Connector]) -> set[str]:
    props = settings_schema(cls).get("properties", {})
    return {k for k, v in props.items() if isinstance(v, dict) and v.get("x-secret")} if isinstance(props, dict) else set()


def relaxed_schema(cls: type[Connector], *, references: set[str] = frozenset(), drop_required: bool = False) -> dict[str, Any]:
    """The connector's settings schema with secret fields (and the fields named in
    ``references``) accepting any string: the value behind a ``${env:..}`` reference is checked
    when it is resolved, not here."""
    schema = dict(settings_schema(cls))
    props = dict(schema.get("properties", {})) if isinstance(schema.get("properties"), dict) else {}
    for name in (secret_fields(cls) | set(references)) & set(props):
        description = props[name].get("description", "") if isinstance(props[name], dict) else ""
        props[name] = {"type": "string", "description": description}
    schema["properties"] = props
    if drop_required:
        schema.pop("required", None)
    return schema
