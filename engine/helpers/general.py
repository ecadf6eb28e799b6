"""The few general helpers mappings really need: text, whole numbers, first non-empty value, and
``fail`` to refuse a record on purpose."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from jinja2 import Undefined

from engine.errors import DataError


def _is_missing(value: Any) -> bool:
    # Jinja's Undefined (a missing last attribute) counts as missing; comparing it would raise.
    if isinstance(value, Undefined):
        return True
    return value is None or (isinstance(value, str) and value == "")


def coalesce(*values: Any) -> Any:
    """The first value that is neither None, "" nor undefined (webshops send "" for empty
    fields); None when there is none."""
    for value in values:
        if not _is_missing(value):
            return value
    return None


def lookup(entries: Any, key: Any, key_field: str = "key", value_field: str = "value") -> Any:
    """The value of the first entry whose ``key_field`` is ``key``, None when there is none:
    WooCommerce ``meta_data`` (``lookup(record.meta_data, 'vat_number')``), Shopify
    ``note_attributes`` (``key_field='name'``) and other lists of key/value pairs."""
    if entries is None or isinstance(entries, Undefined):
        return None
    if not isinstance(entries, list | tuple):
        raise DataError(f"lookup needs a list of entries, not {type(entries).__name__}")
    for entry in entries:
        if isinstance(entry, dict) and entry.get(key_field) == key:
            return entry.get(value_field)
    return None


def first(values: Any) -> Any:
    """The first item of a list, None for an empty list or None."""
    if values is None:
        return None
    for value in values:
        return value
    return None


def to_str(value: Any) -> str:
    """Text for an API: None is "", a Decimal is written without exponent (1E+2 -> "100"),
    True/False are "true"/"false"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value.adjusted()) > 100:
            raise DataError(f"to_str(): {value} cannot be written as a plain number")
        return format(value, "f")
    if isinstance(value, float):
        raise DataError("to_str(): floats are not allowed for money; use money(...)")
    if not isinstance(value, str | int | dt.date):
        raise DataError(f"to_str(): expected a single value, got {type(value).__name__}")
    return str(value)


def to_int(value: Any) -> int:
    """A whole number from an int, an integral Decimal ("3.0" is 3) or digits; "3.5" is refused
    instead of being cut to 3."""
    if isinstance(value, bool):
        raise DataError("to_int(): expected a number, got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise DataError("to_int(): floats are not allowed; pass a string or Decimal")
    if isinstance(value, str | Decimal):
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except ArithmeticError:
            number = None
        if number is not None and number.is_finite() and number.adjusted() < 30:
            if number == number.to_integral_value():
                return int(number)
            raise DataError(f"to_int(): {number} is not a whole number")
    shown = value if isinstance(value, str) and len(value) <= 40 else type(value).__name__
    raise DataError(f"to_int(): {shown!r} is not a whole number")


def truncate_to(value: Any, length: int) -> Any:
    """Cut text to at most ``length`` characters (e-conomic field limits); None stays None."""
    if value is None:
        return None
    return to_str(value)[: max(int(length), 0)]


def digits(value: Any) -> str:
    """Only the digits: "+45 12 34-56 78" -> "4512345678"."""
    return re.sub(r"\D", "", to_str(value))


def fail(message: Any) -> Any:
    """Refuse the record: a DataError with the mapping's own words. The template runtime adds the
    path of the field being evaluated (``lines[2].quantity``), so the record is dead-lettered with
    it and the customer is told what to fix. Use it in a conditional:
    ``{{ line.quantity if line.quantity > 0 else fail('quantity must be positive') }}``."""
    text = to_str(message).strip() if not isinstance(message, Undefined) else ""
    raise DataError(text[:500] or "the mapping refused this record")
