"""Query parameters the way the WordPress REST API validates them.

A bad parameter is a 400 ``rest_invalid_param`` whose ``data.params`` names each offending
parameter, e.g. ``{"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"}``.
Lists come as a comma-separated string or as repeated ``name[]=`` parameters; booleans accept
``true/false/1/0``; dates are ISO 8601 (a date alone means midnight).
"""

from __future__ import annotations

from datetime import datetime

from starlette.datastructures import QueryParams

from connectors.woocommerce.sandbox.store import ShopError

MAX_PER_PAGE = 100   # WordPress core's collection params: 'maximum' => 100


def invalid(name: str, reason: str) -> ShopError:
    return ShopError(400, "rest_invalid_param", f"Invalid parameter(s): {name}", {name: reason})


def integer(query: QueryParams, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name, f"{name} is not of type integer.") from None
    if minimum is not None and maximum is not None and not minimum <= value <= maximum:
        raise invalid(name, f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)")
    if minimum is not None and value < minimum:
        raise invalid(name, f"{name} must be greater than or equal to {minimum}")
    return value


def boolean(query: QueryParams, name: str, default: bool = False) -> bool:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise invalid(name, f"{name} is not of type boolean.")


def strings(query: QueryParams, name: str) -> list[str] | None:
    """``name=a,b`` or ``name[]=a&name[]=b``; None when absent."""
    values = query.getlist(f"{name}[]") or query.getlist(name)
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def choices(query: QueryParams, name: str, allowed: tuple[str, ...]) -> list[str] | None:
    values = strings(query, name)
    for index, value in enumerate(values or []):
        if value not in allowed:
            raise invalid(name, f"{name}[{index}] is not one of {', '.join(allowed)}.")
    return values


def choice(query: QueryParams, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = query.get(name) or default
    if value not in allowed:
        raise invalid(name, f"{name} is not one of {', '.join(allowed)}.")
    return value


def integers(query: QueryParams, name: str) -> list[int] | None:
    values = strings(query, name)
    if values is None:
        return None
    try:
        return [int(v) for v in values]
    except ValueError:
        raise invalid(name, f"{name}[0] is not of type integer.") from None


def date(query: QueryParams, name: str) -> datetime | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return datetime.fromisoformat(raw.replace(" ", "T"))
    except ValueError:
        raise invalid(name, "Invalid date.") from None
