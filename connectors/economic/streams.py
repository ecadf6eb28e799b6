"""Streams read from e-conomic: booked invoices (PayMatch, reporting) and stock levels (shop sync).

Booked invoices follow their number, not their date: a number is taken at booking, so an invoice
booked today with yesterday's date still comes after the cursor (a date cursor would skip it).
Stock levels follow ``lastUpdated`` (whole seconds): products stamped in the cursor's second are
read again on the next run, because one updated later in that same second must not be lost; a
repeated stock level is harmless to write twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.connector import Record

from connectors.economic.client import EconomicApi, filter_gte

INVOICE_STATUSES = {"all": "/invoices/booked", "unpaid": "/invoices/unpaid", "paid": "/invoices/paid"}


def booked_invoices(api: EconomicApi, state: dict[str, Any] | None, options: dict[str, Any]) -> Iterator[Record]:
    """Booked invoices in booking order; key the booked number, cursor ``{date, bookedInvoiceNumber}``."""
    conditions = []
    if state and state.get("bookedInvoiceNumber") is not None:
        conditions.append(f"bookedInvoiceNumber$gt:{int(state['bookedInvoiceNumber'])}")
    if options.get("from_date"):
        conditions.append(filter_gte("date", str(options["from_date"])))
    path = INVOICE_STATUSES[options.get("status", "all")]
    for item in api.iterate(path, filter="$and:".join(conditions) or None, sort="bookedInvoiceNumber"):
        number = int(item["bookedInvoiceNumber"])
        yield Record(key=str(number), data=item, cursor={"date": item.get("date"), "bookedInvoiceNumber": number})


def stock_levels(api: EconomicApi, state: dict[str, Any] | None, options: dict[str, Any]) -> Iterator[Record]:
    """Products with inventory numbers changed since the cursor; key the product number."""
    since = (state or {}).get("lastUpdated")
    filter = filter_gte("lastUpdated", str(since)) if since else None
    for item in api.iterate("/products", filter=filter, sort="lastUpdated,productNumber"):
        inventory = item.get("inventory")
        if not isinstance(inventory, dict):
            continue  # no inventory module, or a service product: nothing to sync
        number = str(item["productNumber"])
        data = {
            "productNumber": number,
            "name": item.get("name"),
            "inStock": inventory.get("inStock"),
            "available": inventory.get("available"),
            "barred": bool(item.get("barred", False)),
            "lastUpdated": item.get("lastUpdated"),
        }
        yield Record(key=number, data=data, cursor={"lastUpdated": item.get("lastUpdated") or since})
