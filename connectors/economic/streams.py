"""Streams read from e-conomic: booked invoices (PayMatch, reporting) and stock levels (shop sync).

Both page with ``nextPage`` over a filter on their cursor field (``$gte``, so a record stamped
in the same second/day as the last one read is not lost) and skip what the cursor already
passed, comparing (cursor field, key) so that ties are ordered too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.connector import Record

from connectors.economic.client import EconomicApi, filter_gte

INVOICE_STATUSES = {"all": "/invoices/booked", "unpaid": "/invoices/unpaid", "paid": "/invoices/paid"}


def booked_invoices(api: EconomicApi, state: dict[str, Any] | None, options: dict[str, Any]) -> Iterator[Record]:
    """Booked invoices oldest first; key the booked number, cursor ``{date, bookedInvoiceNumber}``."""
    state = state or {}
    since = state.get("date") or options.get("from_date")
    last = (str(state.get("date") or ""), int(state.get("bookedInvoiceNumber") or 0))
    path = INVOICE_STATUSES[options.get("status", "all")]
    filter = filter_gte("date", str(since)) if since else None
    for item in api.iterate(path, filter=filter, sort="date,bookedInvoiceNumber"):
        number = int(item["bookedInvoiceNumber"])
        position = (str(item.get("date")), number)
        if state and position <= last:
            continue
        yield Record(key=str(number), data=item, cursor={"date": position[0], "bookedInvoiceNumber": number})


def stock_levels(api: EconomicApi, state: dict[str, Any] | None, options: dict[str, Any]) -> Iterator[Record]:
    """Products with inventory numbers changed since the cursor; key the product number."""
    state = state or {}
    since = state.get("lastUpdated")
    last = (str(since or ""), str(state.get("productNumber") or ""))
    filter = filter_gte("lastUpdated", str(since)) if since else None
    for item in api.iterate("/products", filter=filter, sort="lastUpdated,productNumber"):
        inventory = item.get("inventory")
        if not isinstance(inventory, dict):
            continue  # no inventory module, or a service product: nothing to sync
        number = str(item["productNumber"])
        position = (str(item.get("lastUpdated") or ""), number)
        if since and position <= last:
            continue
        data = {
            "productNumber": number,
            "name": item.get("name"),
            "inStock": inventory.get("inStock"),
            "available": inventory.get("available"),
            "barred": bool(item.get("barred", False)),
            "lastUpdated": item.get("lastUpdated"),
        }
        yield Record(key=number, data=data, cursor={"lastUpdated": position[0], "productNumber": number})
