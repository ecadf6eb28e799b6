"""The booked_invoices stream: oldest first, keyed by booked number, resumable from its cursor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any


from connectors.economic.connector import EconomicConnector
from connectors.economic.testing import context



def book(eco: EconomicConnector, reference: str, day: dt.date, price: str = "100.00") -> int:
    data = {"date": day.isoformat(), "currency": "DKK", "customer": {"customerNumber": 1},
            "paymentTerms": {"paymentTermsNumber": 1}, "layout": {"layoutNumber": 19},
            "recipient": {"name": "Tøj & Co", "vatZone": {"vatZoneNumber": 1}}, "references": {"other": reference},
            "book": True, "lines": [{"product": {"productNumber": "100"}, "description": "T", "quantity": D("1"),
                                     "unitNetPrice": D(price)}]}
    return eco.create_invoice(data, context(reference))["bookedInvoiceNumber"]


def test_booked_invoices_are_read_in_booking_order_and_resumed_from_the_cursor(eco: EconomicConnector) -> None:
    today = dt.date.today()
    first = book(eco, "a", today)
    second = book(eco, "b", today - dt.timedelta(days=1))
    records = list(eco.read("booked_invoices", None, {}))
    assert [r.key for r in records] == [str(first), str(second)]
    assert records[0].data["references"]["other"] == "a" and records[0].data["remainder"] == D("125.00")
    assert records[1].cursor == {"date": (today - dt.timedelta(days=1)).isoformat(), "bookedInvoiceNumber": second}

    # booked after the last read but dated earlier: a date cursor would never see it
    backdated = book(eco, "c", today - dt.timedelta(days=5))
    again = list(eco.read("booked_invoices", records[-1].cursor, {}))
    assert [r.key for r in again] == [str(backdated)]
    assert list(eco.read("booked_invoices", again[-1].cursor, {})) == []


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


def test_stock_levels_of_products_with_inventory_since_the_cursor(eco: EconomicConnector, economic_sandbox: Any) -> None:
    # The sandbox accepts inventory numbers on write, which stands in for stock moved in e-conomic.
    from connectors.economic.testing import Probe
    probe = Probe(economic_sandbox.url)
    for number, stock in (("SOK-1", D("5")), ("SOK-2", D("0"))):
        probe.post("/products", {"productNumber": number, "name": "Sok", "productGroup": {"productGroupNumber": 1},
                                 "inventory": {"inStock": stock, "available": stock}})
    records = list(eco.read("stock_levels", None, {}))
    assert [(r.key, r.data["inStock"]) for r in records] == [("SOK-1", D("5")), ("SOK-2", D("0"))]  # seeded ones have none
    cursor = records[-1].cursor
    # sold one after the read (possibly within the same second as the cursor: read again all the same)
    probe.put("/products/SOK-1", {"productNumber": "SOK-1", "name": "Sok", "productGroup": {"productGroupNumber": 1},
                                  "inventory": {"inStock": D("4"), "available": D("4")}})
    later = list(eco.read("stock_levels", cursor, {}))
    assert ("SOK-1", D("4")) in [(r.key, r.data["inStock"]) for r in later]
    probe.close()
