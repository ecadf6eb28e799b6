"""``/orders`` (experimental in e-conomic): drafts, sent and archived orders, and the
upgrade instructions that turn an order into a draft-invoice body (reference §6.13).

POSTing the upgrade-instructions body (it carries ``orderNumber``) to /invoices/drafts creates
the invoice draft and archives the sent order. DELETE answers 204, then 404 on repeat.
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.routing import Route

from connectors.economic.sandbox.collections import create_meta, envelope
from connectors.economic.sandbox.documents import prepare
from connectors.economic.sandbox.errors import error, not_found
from connectors.economic.sandbox.links import with_links
from connectors.economic.sandbox.routes_invoices import DRAFT_FIELDS
from connectors.economic.sandbox.routing import Ctx, Reply, resource

Doc = dict[str, Any]
FIELDS = {**{k: v for k, v in DRAFT_FIELDS.items() if k != "draftInvoiceNumber"}, "orderNumber": "int"}
INTERNAL = ("_vatRate", "_vatAmount")


def render(ctx: Ctx, state: str, doc: Doc, full: bool = True) -> Doc:
    base = f"/orders/{state}/{doc['orderNumber']}"
    out = with_links({k: v for k, v in doc.items() if full or k != "lines"}, ctx.links, base)
    if state == "drafts":
        out["templates"] = {"upgradeInstructions": ctx.links.url(f"{base}/templates/upgrade-instructions/draftInvoice"),
                            "self": ctx.links.url(f"{base}/templates")}
    return out


def _order(ctx: Ctx, state: str) -> Doc:
    found = ctx.store.orders[state].get(ctx.arg("number"))
    if found is None:
        raise not_found(f"Order {ctx.arg('number')} ({state})")
    return found


def _list(state: str) -> Any:
    def handler(ctx: Ctx) -> Doc:
        meta = create_meta(ctx.links, f"/orders/{state}", "Create a new order") if state != "archived" else None
        return envelope(ctx.links, f"/orders/{state}", ctx.params, ctx.store.orders[state], FIELDS,
                        lambda d: render(ctx, state, d, full=False), meta)
    return handler


def _save(ctx: Ctx, state: str, doc: Doc, number: int) -> Doc:
    doc["orderNumber"] = number
    ctx.store.orders[state].put(doc)
    ctx.store.set_product_refs(f"order:{number}", doc["lines"])
    return doc


def create_draft(ctx: Ctx) -> Reply:
    """POST /orders/drafts: a new order, or (with the number of a sent order) moving it back."""
    number = ctx.body.get("orderNumber") if isinstance(ctx.body, dict) else None
    doc = prepare(ctx.store, ctx.body)
    if isinstance(number, int) and number in ctx.store.orders["sent"]:
        ctx.store.orders["sent"].delete(number)
    else:
        number = ctx.store.take("next_order")
    out = render(ctx, "drafts", _save(ctx, "drafts", doc, number))
    return Reply(out, 201, {"Location": out["self"]})


def put_draft(ctx: Ctx) -> Doc:
    number = _order(ctx, "drafts")["orderNumber"]
    return render(ctx, "drafts", _save(ctx, "drafts", prepare(ctx.store, ctx.body), number))


def mark_sent(ctx: Ctx) -> Reply:
    """POST /orders/sent with the full order: the draft becomes a sent order."""
    number = ctx.body.get("orderNumber") if isinstance(ctx.body, dict) else None
    draft = ctx.store.orders["drafts"].get(number)
    if draft is None:
        raise error(400, f"Order {number} is not a draft order.", "POST the full draft order (with its orderNumber).")
    ctx.store.orders["drafts"].delete(number)
    ctx.store.orders["sent"].put(draft)
    out = render(ctx, "sent", draft)
    return Reply(out, 201, {"Location": out["self"]})


def delete(state: str) -> Any:
    def handler(ctx: Ctx) -> Reply:
        number = _order(ctx, state)["orderNumber"]
        ctx.store.orders[state].delete(number)
        ctx.store.drop_product_refs(f"order:{number}")
        return Reply(None, 204)
    return handler


def upgrade_instructions(ctx: Ctx) -> Doc:
    """A draft-invoice body for this order (POST it to /invoices/drafts)."""
    order = _order(ctx, "drafts")
    body = {k: copy.deepcopy(v) for k, v in order.items() if k not in ("netAmount", "grossAmount", "vatAmount")}
    for line in body.get("lines", []):
        for key in INTERNAL:
            line.pop(key, None)
    out = with_links(body, ctx.links, f"/orders/drafts/{order['orderNumber']}/templates/upgrade-instructions/draftInvoice")
    out.pop("self")
    return out


def orders_root(ctx: Ctx) -> Doc:
    return {"drafts": ctx.links.url("/orders/drafts"), "sent": ctx.links.url("/orders/sent"),
            "archived": ctx.links.url("/orders/archived"), "self": ctx.links.url("/orders")}


def routes() -> list[Route]:
    return [
        resource("/orders", get=orders_root),
        resource("/orders/drafts", get=_list("drafts"), post=create_draft),
        resource("/orders/drafts/{number:int}", get=lambda ctx: render(ctx, "drafts", _order(ctx, "drafts")),
                 put=put_draft, delete=delete("drafts")),
        resource("/orders/drafts/{number:int}/templates/upgrade-instructions/draftInvoice", get=upgrade_instructions),
        resource("/orders/sent", get=_list("sent"), post=mark_sent),
        resource("/orders/sent/{number:int}", get=lambda ctx: render(ctx, "sent", _order(ctx, "sent")), delete=delete("sent")),
        resource("/orders/archived", get=_list("archived")),
        resource("/orders/archived/{number:int}", get=lambda ctx: render(ctx, "archived", _order(ctx, "archived"))),
    ]
