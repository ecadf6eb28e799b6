"""JSON text with Decimals written exactly (``12.50``, never ``12.5`` through a float)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any


def dumps(value: Any, indent: int | None = None) -> str:
    """Like json.dumps, but Decimals are written as the exact number, dates as ISO strings."""
    parts: list[str] = []
    _write(value, parts, indent, 0)
    return "".join(parts)


def _write(value: Any, out: list[str], indent: int | None, level: int) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as JSON")
        out.append(format(value, "f") if abs(value.adjusted()) <= 100 else str(value))
    elif isinstance(value, dt.date):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, float):
        raise ValueError("floats are not allowed for money; use money(...)")
    elif isinstance(value, dict):
        items = list(value.items())
        if not items:
            out.append("{}")
            return
        out.append("{")
        for i, (key, item) in enumerate(items):
            out.append(("," if i else "") + _newline(indent, level + 1))
            out.append(json.dumps(str(key), ensure_ascii=False) + (": " if indent is not None else ":"))
            _write(item, out, indent, level + 1)
        out.append(_newline(indent, level) + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        out.append("[")
        for i, item in enumerate(value):
            out.append(("," if i else "") + _newline(indent, level + 1))
            _write(item, out, indent, level + 1)
        out.append(_newline(indent, level) + "]")
    else:
        raise ValueError(f"a {type(value).__name__} cannot be written as JSON")


def _newline(indent: int | None, level: int) -> str:
    return "" if indent is None else "\n" + " " * (indent * level)
