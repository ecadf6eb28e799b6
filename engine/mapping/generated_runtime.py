"""What generated mapping code calls while it runs (codegen.py writes the calls): output
values made plain, ``$each`` results checked, and the way back to the tree's own errors."""

from __future__ import annotations

from typing import Any

from engine.errors import IexError, Location
from engine.expressions import Compiled
from engine.mapping.nodes import (
    OMIT,
    PLAIN_TYPES,
    Explained,
    Fallback,
    join_path,
    plain_fast,
)


def path_text(path: Any) -> str:
    """``((('', 'lines'), 2), 'quantity')`` -> ``lines[2].quantity``."""
    if isinstance(path, str):
        return path
    parent, part = path
    if isinstance(part, int):
        return f"{path_text(parent)}[{part}]"
    return join_path(path_text(parent), part)


def leaf(value: Any, budget: list[int], depth: int) -> Any:
    """An output value as ``plain`` makes it (a container is copied and counted)."""
    if type(value) in PLAIN_TYPES:
        return value
    return plain_fast(value, budget, depth)


def var(value: Any) -> Any:
    """A var or ``$with`` value whose $when was false is None."""
    return None if value is OMIT else value


def each_list(items: Any) -> list[Any]:
    """What a ``$each`` selector gave: a list, [] for null; anything else is the tree's error."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise Fallback                    # the tree gives the located error
    return items


def explain(compiled: Compiled, ctx: dict[str, Any], frame: dict[str, Any],
             spec: tuple[tuple[str, Any], ...], path: Any, value: bool, missing_ok: bool,
             origin: str) -> None:
    """A template raised in generated code: evaluate it the ordinary way, with the names the
    tree would give it (``spec`` names the locals holding them), which raises the error the
    tree raises there, with the location the tree's Mapping._run adds."""
    field_path: str | None = path_text(path)
    if value:
        field_path = field_path or None
    names = dict(ctx)
    for name, local in spec:
        names[name] = {var: frame[source] for var, source in local} if isinstance(local, tuple) \
            else frame[local]
    try:
        compiled.evaluate(names, field_path=field_path, missing_ok=missing_ok)
    except IexError as exc:
        if exc.location is None:
            exc.location = Location(file=origin)
        raise Explained(exc) from None
    raise Fallback
