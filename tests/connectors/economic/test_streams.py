"""The booked_invoices stream: oldest first, keyed by booked number, resumable from its cursor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal as D
from typing import Any

import pytest

from connectors.economic.connector import EconomicConnector
from connectors.economic.testing import context, sandbox_connector


@pytest.fixture
def eco(economic_sandbox: Any) -> Iterator[EconomicConnector]:
    connector = sandbox_connector(economic_sandbox.url)
    yield connector
    connector.close()


def book(eco: EconomicConnector, reference: str, day: dt.date, price: str = "100.00") -> int:
    data = {"date": day.isoformat(), "currency": "DKK", "customer": {"customerNumber": 1},
            "paymentTerms": {"paymentTermsNumber": 1}, "layout": {"layoutNumber": 19},
            "recipient": {"name": "Tøj & Co", "vatZone": {"vatZoneNumber": 1}}, "references": {"other": reference},
            "book": True, "lines": [{"product": {"productNumber": "100"}, "description": "T", "quantity": D("1"),
                                     "unitNetPrice": D(price)}]}
    return eco.create_invoice(data, context(reference))["bookedInvoiceNumber"]


def test_booked_invoices_are_read_in_order_and_resumed_from_the_cursor(eco: EconomicConnector) -> None:
    today = dt.date.today()
    yesterday = today - dt.timedelta(days=1)
    late = book(eco, "a", today)
    early = book(eco, "b", yesterday)
    records = list(eco.read("booked_invoices", None, {}))
    assert [r.key for r in records] == [str(early), str(late)]  # by date, then number
    assert records[0].data["references"]["other"] == "b" and records[0].data["remainder"] == D("125.00")
    assert records[1].cursor == {"date": today.isoformat(), "bookedInvoiceNumber": late}

    newest = book(eco, "c", today)
    again = list(eco.read("booked_invoices", records[-1].cursor, {}))
    assert [r.key for r in again] == [str(newest)]


def test_from_date_limits_the_first_read(eco: EconomicConnector) -> None:
    today = dt.date.today()
    book(eco, "old", today - dt.timedelta(days=3))
    recent = book(eco, "new", today)
    records = list(eco.read("booked_invoices", None, {"from_date": today.isoformat()}))
    assert [r.key for r in records] == [str(recent)]


def test_paging_follows_next_page(eco: EconomicConnector) -> None:
    numbers = [book(eco, f"p{i}", dt.date.today()) for i in range(5)]
    from connectors.economic.client import EconomicApi
    seen = [item["bookedInvoiceNumber"] for item in EconomicApi.iterate(eco.api, "/invoices/booked", pagesize=2)]
    assert sorted(seen) == numbers
