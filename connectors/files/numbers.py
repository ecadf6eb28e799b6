"""Numbers in files: plain (``1234.50``) or Danish (``1.234,50``) notation, always Decimal."""

from __future__ import annotations

import re
from decimal import Decimal

_PLAIN = re.compile(r"[+-]?\d+(\.\d+)?")
# With decimal comma, "." may only group thousands ("1.234.567,5"); "12.50" is refused as
# ambiguous rather than silently read as 1250.
_COMMA = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?")


def parse_number(text: str, *, decimal_comma: bool) -> Decimal | None:
    """The Decimal in ``text`` (None for an empty cell). Raises ValueError saying why not."""
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    if not value:
        return None
    if decimal_comma:
        if not _COMMA.fullmatch(value):
            raise ValueError(f"{text!r} is not a number in decimal-comma notation (like 1.234,50)")
        return Decimal(value.replace(".", "").replace(",", "."))
    if not _PLAIN.fullmatch(value):
        raise ValueError(f"{text!r} is not a number (like 1234.50)")
    return Decimal(value)


def format_number(value: Decimal, *, decimal_comma: bool) -> str:
    """Decimal as file text, without thousands separators."""
    text = format(value, "f")
    return text.replace(".", ",") if decimal_comma else text
