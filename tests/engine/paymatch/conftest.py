"""Shared pieces of the PayMatch tests: fixture files, settings, and a journal that records."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from engine.paymatch import invoices, load_format, load_report, parse_settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "paymatch"

SETTINGS: dict[str, Any] = {
    "format": "stripe_itemized",
    "journal": {"number": 3},
    "accounts": {"bank": 5820, "clearing": 5830, "fees": 7220, "errors": 7290, "suspense": 5850,
                 "chargebacks": 5840},
    "rules": [
        {"by": "transaction_id", "tolerance": {"absolute": Decimal("0.50")}},
        {"by": "order_ref", "tolerance": {"absolute": Decimal("0.50")}},
        {"by": "amount_date", "tolerance": {"absolute": 0}, "date_window_days": 3, "mode": "review"},
    ],
}


def settings(**changes: Any) -> Any:
    data = copy.deepcopy(SETTINGS)
    data.update(changes)
    return parse_settings(data)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


def load_fixture(con: duckdb.DuckDBPyConnection, name: str, fmt: str | None = None, **kw: Any) -> Any:
    return load_report(con, FIXTURES / name, load_format(fmt or name.rsplit(".", 1)[0]), **kw)


def fixture_invoices() -> list[invoices.InvoicePayment]:
    return invoices.read_csv_file(FIXTURES / "invoices.csv")


class RecordingJournal:
    """Stands in for e-conomic's journal: keeps what was posted, can fail once, can be asked."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.posts: list[dict[str, Any]] = []
        self.fail = fail
        self.present: set[str] = set()
        self.booked = 0

    def post(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        if self.fail is not None:
            error, self.fail = self.fail, None
            raise error
        self.posts.append(data)
        self.present.update(v["reference"] for v in data["vouchers"])
        return {"posted": len(data["vouchers"])}

    def find(self, data: dict[str, Any], key: str) -> dict[str, Any] | None:
        refs = [v["reference"] for v in data["vouchers"]]
        return {"found": refs} if all(r in self.present for r in refs) else None

    def book(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        self.booked += 1
        return {"booked": True}

    def vouchers(self) -> list[dict[str, Any]]:
        return [v for data in self.posts for v in data["vouchers"]]


class Kit:
    """The helpers above, handed to tests as the ``kit`` fixture (test modules cannot import
    conftest under pytest's importlib mode)."""

    FIXTURES = FIXTURES
    SETTINGS = SETTINGS
    settings = staticmethod(settings)
    load_fixture = staticmethod(load_fixture)
    fixture_invoices = staticmethod(fixture_invoices)
    RecordingJournal = RecordingJournal


@pytest.fixture
def kit() -> type[Kit]:
    return Kit
