"""Date helpers. There is no ``now()``: time comes from the context (``run.started``), so a
mapping gives the same output for the same input."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from engine.errors import DataError

# strftime directives allowed in format_date: no widths or flags (glibc pads "%1000000d").
_FORMAT = re.compile(r"%[aAbBdHIjmMpSUwWyYzZ%]|[^%]")


def date(value: Any) -> dt.date:
    """A date from "2024-03-05", "2024-03-05T10:00:00+01:00" (the date as written, not moved to
    UTC), a date or a datetime."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return datetime(value).date()


def datetime(value: Any) -> dt.datetime:
    """A datetime from an ISO 8601 string ("Z" and offsets allowed; a plain date is midnight)."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    shown = value if isinstance(value, str) and len(value) <= 40 else type(value).__name__
    raise DataError(f"expected an ISO date like 2024-03-05 or 2024-03-05T10:00:00, got {shown!r}")


def format_date(value: Any, fmt: str = "%Y-%m-%d") -> str:
    """Format a date with strftime directives (%Y-%m-%d, %d.%m.%Y, ...); widths are refused."""
    if not isinstance(fmt, str) or len(fmt) > 100 or "".join(_FORMAT.findall(fmt)) != fmt:
        raise DataError(f"format_date(): unsupported format {str(fmt)[:40]!r}")
    moment = value if isinstance(value, dt.date) else datetime(value)
    return moment.strftime(fmt)


def add_days(value: Any, days: Any) -> dt.date:
    """``value`` plus ``days`` (negative goes back); a datetime stays a datetime."""
    moment = value if isinstance(value, dt.date) else date(value)
    count = _whole(days, "add_days()")
    try:
        return moment + dt.timedelta(days=count)
    except OverflowError:
        raise DataError(f"add_days(): {count} days is out of range") from None


def days_between(start: Any, end: Any) -> int:
    """Whole days from ``start`` to ``end`` (negative when end is earlier)."""
    return (date(end) - date(start)).days


def _whole(value: Any, who: str) -> int:
    """A small whole number from an int, an integral Decimal or a digit string."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, Decimal | str):
        try:
            amount = Decimal(value)
        except ArithmeticError:
            amount = None
        if amount is not None and amount.is_finite() and amount.adjusted() < 9:
            if amount == amount.to_integral_value():
                number = int(amount)
    if number is None:
        raise DataError(f"{who}: expected a whole number, got {type(value).__name__}")
    if abs(number) > 1_000_000:
        raise DataError(f"{who}: {number} is out of range")
    return number
