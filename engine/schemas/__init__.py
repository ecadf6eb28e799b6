"""The JSON Schemas of iex's three file kinds, bundled so that each stands alone.

The source files may refer to each other (``mapping.schema.json#/$defs/body``); ``load`` copies
the referred definitions into the referring schema so neither jsonschema nor an editor has to
fetch anything.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

KINDS = ("instance", "recipe", "mapping")


def _raw(kind: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(f"{kind}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _bundled(kind: str) -> str:
    schema = _raw(kind)
    defs = schema.setdefault("$defs", {})
    for other in KINDS:
        prefix = f"{other}.schema.json#/$defs/"
        if other == kind or prefix not in json.dumps(schema):
            continue
        for name, body in _raw(other).get("$defs", {}).items():
            defs[f"{other}_{name}"] = _rewrite(body, "#/$defs/", f"#/$defs/{other}_")
        schema = _rewrite(schema, prefix, f"#/$defs/{other}_")
    return json.dumps(schema)


def _rewrite(node: Any, old: str, new: str) -> Any:
    """Replace the ``old`` prefix of every ``$ref`` below ``node``."""
    if isinstance(node, dict):
        out = {k: _rewrite(v, old, new) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(old):
            out["$ref"] = new + ref[len(old):]
        return out
    if isinstance(node, list):
        return [_rewrite(v, old, new) for v in node]
    return node


def load(kind: str) -> dict[str, Any]:
    """The self-contained schema of ``kind`` ("instance", "recipe" or "mapping"); a fresh copy."""
    if kind not in KINDS:
        raise ValueError(f"unknown schema {kind!r}; known: {', '.join(KINDS)}")
    return copy.deepcopy(json.loads(_bundled(kind)))
