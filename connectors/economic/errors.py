"""e-conomic error bodies turned into iex errors with field paths.

e-conomic's 400 body mirrors the request: ``{"errors": {"lines": [{"arrayIndex": 0,
"unitNetPrice": {"errors": [{"errorCode": "E04740", "message": ...}]}}]}}``. We flatten that to
``lines[0].unitNetPrice`` so the customer sees which field of which record to fix. 401/403 never
reach this module: the shared HTTP client turns them into ConfigError.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from engine.errors import DataError, IexError
from engine.secrets import mask

MAX_VALUE_CHARS = 60


class NotFoundError(DataError):
    """e-conomic answered 404: callers that look something up catch it; elsewhere it is the
    customer's data (a number that does not exist)."""


def flatten(errors: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Every leaf error of an e-conomic ``errors`` tree as ``{path, message, errorCode, value}``."""
    found: list[dict[str, Any]] = []
    if isinstance(errors, list):
        for position, item in enumerate(errors):
            if not isinstance(item, dict):
                continue
            if "property" in item and "message" in item:  # OpenAPI services: ProblemDetails.errors
                found.append({"path": _join(prefix, str(item["property"])), "message": str(item["message"]).strip(),
                              "errorCode": item.get("errorCode"), "value": None})
                continue
            index = item.get("arrayIndex", position)
            rest = {k: v for k, v in item.items() if k != "arrayIndex"}
            found += flatten(rest, f"{prefix}[{index}]")
        return found
    if not isinstance(errors, dict):
        return found
    for name, value in errors.items():
        if name == "errors" and isinstance(value, list):
            for leaf in value:
                if isinstance(leaf, dict):
                    found.append({
                        "path": prefix or "$",
                        "message": str(leaf.get("message", "")).strip(),
                        "errorCode": leaf.get("errorCode"),
                        "value": leaf.get("value"),
                    })
            continue
        child = f"{prefix}.{name}" if prefix else name
        found += flatten(value, child)
    return found


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _describe(leaf: dict[str, Any]) -> str:
    text = f"{leaf['path']}: {leaf['message'] or 'invalid'}"
    if leaf.get("errorCode"):
        text += f" ({leaf['errorCode']})"
    value = leaf.get("value")
    if value is not None and len(str(value)) <= MAX_VALUE_CHARS:
        text += f" [value {value}]"
    return text


def parse_error(response: Any) -> IexError | None:
    """The error_parser handed to the HTTP client for 4xx answers other than 401/403/429."""
    try:
        body = json.loads(response.text, parse_float=Decimal) if response.text else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {"errors": body} if isinstance(body, list) else {}
    path = urlsplit(str(getattr(response, "url", ""))).path
    where = f"{getattr(response, 'method', '')} {path}".strip()
    status = response.status
    leaves = flatten(body.get("errors"))
    summary = str(body.get("message") or body.get("detail") or body.get("title") or "").strip()
    hint = str(body.get("developerHint") or "").strip()
    details = {"status": status, "errors": leaves, "logId": body.get("logId")}
    if status == 404:
        return NotFoundError(mask(f"e-conomic has no {path} (HTTP 404)"), details=details)
    if leaves:
        text = "; ".join(_describe(leaf) for leaf in leaves)
        return DataError(
            mask(f"e-conomic refused {where} (HTTP {status}): {text}"),
            field_path=leaves[0]["path"],
            details=details,
        )
    text = summary or "no reason given"
    if hint and hint not in text:
        text += f" ({hint})"
    return DataError(mask(f"e-conomic refused {where} (HTTP {status}): {text}"), details=details)


def with_context(error: DataError, context: str, *, field_path: str | None = None) -> DataError:
    """The same error with a sentence added (e.g. which draft was left behind), and optionally
    its field path renamed to the action input's."""
    return type(error)(f"{error.message}; {context}", location=error.location,
                       field_path=field_path or error.field_path, details=error.details)
