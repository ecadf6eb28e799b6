"""JSON in and out without floats: amounts stay ``Decimal`` from request body to response bytes.

``json.dumps`` cannot write a Decimal as a bare number, so responses are serialised here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from starlette.responses import Response

_encode_str = json.JSONEncoder(ensure_ascii=False).encode


def dumps(value: Any) -> str:
    """Serialise JSON-like data; a Decimal becomes a plain number (never exponent notation)."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(_encode_str(str(key)))
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
    elif isinstance(value, str):
        out.append(_encode_str(value))
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif isinstance(value, Decimal):
        out.append(format(value, "f"))
    elif isinstance(value, int):
        out.append(str(value))
    else:
        raise TypeError(f"cannot serialise {type(value).__name__} as JSON")


def loads(text: bytes | str) -> Any:
    """Parse JSON with fractions as Decimal (e-conomic amounts) and integers as int."""
    return json.loads(text, parse_float=Decimal)


class JsonResponse(Response):
    """A JSON response that keeps Decimals exact."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")
