"""Orders: the invoice draft body sent to ``/orders/drafts`` instead (customers who transfer
orders rather than invoices). No booking and no rounding line: an order is not a ledger entry;
it becomes an invoice in e-conomic's own flow.
"""

from __future__ import annotations

from typing import Any

from engine.connector import ActionContext

from connectors.economic import documents
from connectors.economic.client import EconomicApi, filter_eq
from engine.errors import DataError
from connectors.economic.reference import Reference

# An order leaves /orders/drafts when it is sent (/orders/sent) and later archived; the finder
# looks in all three. ``references.other`` is filterable on orders in the sandbox, as on invoices
# (e-conomic documents the same reference block for orders; filterability is assumed).
ORDER_COLLECTIONS = ("/orders/drafts", "/orders/sent", "/orders/archived")


def create_order(api: EconomicApi, ref: Reference, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    body = documents.draft_body(ref, data, ctx, api.bucket("products"))
    order = api.post("/orders/drafts", body)
    return result(body if api.dry_run else order)


def find_order(api: EconomicApi, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any] | None:
    """After a crash: the order carrying this record's reference, wherever it is now."""
    reference = documents.reference_of(data, ctx)
    for path in ORDER_COLLECTIONS:
        try:
            found = api.first(path, filter=filter_eq("references.other", reference), sort="orderNumber")
        except DataError:  # a collection that cannot be filtered on this agreement: look further
            continue
        if found is not None:
            return result(found)
    return None


def result(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "orderNumber": order.get("orderNumber"),
        **documents.amounts(order),
        "currency": order.get("currency"),
        "customerNumber": (order.get("customer") or {}).get("customerNumber"),
        "reference": (order.get("references") or {}).get("other"),
    }
