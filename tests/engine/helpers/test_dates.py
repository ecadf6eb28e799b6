"""Date helpers: ISO in, dates out, no clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from engine.errors import DataError
from engine import helpers
from engine.helpers.dates import add_days, date, datetime, days_between, format_date


def test_date_from_iso_text() -> None:
    assert date("2024-03-05") == dt.date(2024, 3, 5)
    assert date("2024-03-05T23:30:00+01:00") == dt.date(2024, 3, 5)  # as written, not moved to UTC
    assert date("2024-03-05T10:00:00Z") == dt.date(2024, 3, 5)
    assert date(dt.datetime(2024, 1, 2, 3, 4)) == dt.date(2024, 1, 2)
    with pytest.raises(DataError, match="ISO date"):
        date("05/03/2024")


def test_datetime_keeps_the_offset() -> None:
    moment = datetime("2024-03-05T10:00:00+01:00")
    assert moment.utcoffset() == dt.timedelta(hours=1)
    assert datetime("2024-03-05") == dt.datetime(2024, 3, 5)


def test_format_add_and_between() -> None:
    assert format_date("2024-03-05", "%d.%m.%Y") == "05.03.2024"
    assert add_days("2024-02-28", 2) == dt.date(2024, 3, 1)
    assert add_days("2024-03-01", Decimal("-1")) == dt.date(2024, 2, 29)
    assert days_between("2024-01-01", "2024-03-01") == 60
    assert days_between("2024-03-01", "2024-01-01") == -60


def test_format_date_refuses_widths_and_unknown_directives() -> None:
    for fmt in ("%1000000d", "%-d", "%", "%Q"):
        with pytest.raises(DataError, match="unsupported format"):
            format_date("2024-03-05", fmt)


def test_no_clock_in_the_helper_set() -> None:
    assert "now" not in helpers.GLOBALS and "today" not in helpers.GLOBALS
