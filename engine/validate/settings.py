"""Customer settings: the object schema built from a recipe's ``settings`` and defaults.

Shared by validation (instance files) and ``engine.recipe.apply_settings`` so that both accept
exactly the same settings.
"""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError


def declared(settings_decl: Any) -> dict[str, Any]:
    """The declared settings by name (empty when the declaration is malformed)."""
    props = settings_decl.get("properties") if isinstance(settings_decl, dict) else None
    return {k: v for k, v in props.items() if isinstance(v, dict)} if isinstance(props, dict) else {}


def customer_schema(settings_decl: Any) -> dict[str, Any] | None:
    """The JSON Schema customer settings must satisfy: the declared properties, nothing else.
    None when the recipe's declaration is itself not a valid schema (reported on the recipe)."""
    required = settings_decl.get("required", []) if isinstance(settings_decl, dict) else []
    schema = {
        "type": "object",
        "properties": declared(settings_decl),
        "required": required if isinstance(required, list) else [],
        "additionalProperties": False,
    }
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
