"""Customer settings: the object schema built from a recipe's ``settings`` and defaults.

Shared by validation (instance files) and ``engine.recipe.apply_settings`` so that both accept
exactly the same settings. A setting may be one of the schemas iex ships (``SHIPPED``, e.g.
``$ref: https://iex.dev/schemas/paymatch-settings.json``); it is embedded, never fetched.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError


#: JSON Schemas iex ships that a recipe setting may name with ``$ref`` (by ``$id``), so a
#: customer's settings for an engine feature are checked in full by ``iex validate``.
SHIPPED: dict[str, Path] = {
    "https://iex.dev/schemas/paymatch-settings.json": Path(__file__).parents[1] / "paymatch" / "settings.schema.json",
}


@cache
def _shipped_text(ref: str) -> str:
    return SHIPPED[ref].read_text(encoding="utf-8")


def with_shipped(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every shipped schema it names by ``$ref`` embedded under ``$defs`` (an
    embedded resource keeps its ``$id``, so the ``$ref`` and the shipped schema's own ``#/...``
    references resolve without fetching anything)."""
    refs = sorted(_refs(schema) & set(SHIPPED))
    if not refs:
        return schema
    out = dict(schema)
    defs = dict(out.get("$defs") or {})
    for index, ref in enumerate(refs):
        defs[f"iex_shipped_{index}"] = json.loads(_shipped_text(ref))
    out["$defs"] = defs
    return out


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def declared(settings_decl: Any) -> dict[str, Any]:
    """The declared settings by name (empty when the declaration is malformed)."""
    props = settings_decl.get("properties") if isinstance(settings_decl, dict) else None
    return {k: v for k, v in props.items() if isinstance(v, dict)} if isinstance(props, dict) else {}


def customer_schema(settings_decl: Any) -> dict[str, Any] | None:
    """The JSON Schema customer settings must satisfy: the declared properties, nothing else.
    None when the recipe's declaration is itself not a valid schema (reported on the recipe)."""
    required = settings_decl.get("required", []) if isinstance(settings_decl, dict) else []
    schema = with_shipped({
        "type": "object",
        "properties": declared(settings_decl),
        "required": required if isinstance(required, list) else [],
        "additionalProperties": False,
    })
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return None
    return schema


def with_defaults(settings_decl: Any, values: Any) -> dict[str, Any]:
    """``values`` with every missing setting's default filled in (defaults are copied, so a
    list default is never shared between integrations)."""
    out = dict(values) if isinstance(values, dict) else {}
    for name, prop in declared(settings_decl).items():
        if name not in out and "default" in prop:
            out[name] = copy.deepcopy(prop["default"])
    return out
