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


def dumps(value: Any) -> str:
    """Serialise JSON; a ``Decimal`` becomes a JSON number with its exact digits."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None or isinstance(value, (bool, str)):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        out.append(_number(value))
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot serialise {type(value).__name__} as JSON")


def _number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError("JSON has no NaN or Infinity")
    text = format(value, "f")
    return text
