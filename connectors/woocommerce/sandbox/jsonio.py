"""JSON in and out of the sandbox with exact decimals.

WooCommerce prints money as decimal strings, but some fields are JSON numbers
(`line_items[].price`, `tax_lines[].rate_percent`). The sandbox keeps those as ``Decimal`` and
must print them as numbers with their exact text, which the standard encoder cannot do, so this
module has its own small encoder.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def loads(text: str | bytes) -> Any:
    """Parse JSON with fractions as ``Decimal`` (never float)."""
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Serialise JSON; a ``Decimal`` becomes a JSON number with its exact digits. ``indent``
    pretty-prints (for fixture files)."""
    parts: list[str] = []
    _write(value, parts, indent, 0)
    return "".join(parts)


def _write(value: Any, out: list[str], indent: int | None, depth: int) -> None:
    if value is None or isinstance(value, (bool, str)):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        out.append(_number(value))
    elif isinstance(value, (dict, list, tuple)):
        pairs = list(value.items()) if isinstance(value, dict) else [(None, item) for item in value]
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        if not pairs:
            out.append(opening + closing)
            return
        inner = "" if indent is None else "\n" + " " * (indent * (depth + 1))
        out.append(opening)
        for index, (key, item) in enumerate(pairs):
            out.append(("," if index else "") + inner)
            if key is not None:
                out.append(json.dumps(str(key), ensure_ascii=False) + (": " if indent is not None else ":"))
            _write(item, out, indent, depth + 1)
        out.append(("" if indent is None else "\n" + " " * (indent * depth)) + closing)
    else:
        raise TypeError(f"cannot serialise {type(value).__name__} as JSON")


def _number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError("JSON has no NaN or Infinity")
    text = format(value, "f")
    return text
