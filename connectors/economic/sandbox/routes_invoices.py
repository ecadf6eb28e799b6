"""``/invoices``: drafts (create, replace, delete, PDF, booking instructions), booking, booked
invoices (immutable) and the paid / unpaid / overdue / not-due / sent views."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from connectors.economic.sandbox.booking import book
from connectors.economic.sandbox.collections import create_meta, envelope, select
from connectors.economic.sandbox.documents import prepare
from connectors.economic.sandbox.errors import not_found
from connectors.economic.sandbox.links import with_links
from connectors.economic.sandbox.pdf import invoice_pdf
from connectors.economic.sandbox.routing import Ctx, Reply, resource

Doc = dict[str, Any]

_COMMON = {"currency": "string", "customer.customerNumber": "int", "date": "date", "dueDate": "date",
           "delivery.address": "string", "delivery.city": "string", "delivery.country": "string", "delivery.zip": "string",
           "delivery.deliveryDate": "date", "deliveryLocation.deliveryLocationNumber": "int", "notes.heading": "string",
           "notes.textLine1": "string", "notes.textLine2": "string", "paymentTerms.paymentTermsNumber": "int",
           "recipient.name": "string", "recipient.address": "string", "recipient.city": "string",
           "recipient.country": "string", "recipient.zip": "string", "recipient.ean": "string",
           "recipient.vatZone.vatZoneNumber": "int", "references.other": "string",
           "references.salesPerson.employeeNumber": "int", "layout.layoutNumber": "int",
           "netAmount": "number", "grossAmount": "number", "vatAmount": "number"}
DRAFT_FIELDS = {**_COMMON, "draftInvoiceNumber": "int"}
BOOKED_FIELDS = {**_COMMON, "bookedInvoiceNumber": "int", "orderNumber": "int", "remainder": "number",
                 "remainderInBaseCurrency": "number"}


def render_draft(ctx: Ctx, doc: Doc, full: bool = True) -> Doc:
    number = doc["draftInvoiceNumber"]
    base = f"/invoices/drafts/{number}"
    out = with_links({k: v for k, v in doc.items() if full or k != "lines"}, ctx.links, base)
    out["pdf"] = {"download": ctx.links.url(f"{base}/pdf")}
    out["templates"] = {"bookingInstructions": ctx.links.url(f"{base}/templates/booking-instructions"),
                        "self": ctx.links.url(f"{base}/templates")}
    return out


def render_booked(ctx: Ctx, doc: Doc, full: bool = True) -> Doc:
    number = doc["bookedInvoiceNumber"]
    base = f"/invoices/booked/{number}"
    out = with_links({k: v for k, v in doc.items() if full or k != "lines"}, ctx.links, base)
    out["pdf"] = {"download": ctx.links.url(f"{base}/pdf")}
    if doc.get("_sent"):
        out["sent"] = ctx.links.url(f"/invoices/sent/{number}")
    return out


def invoices_root(ctx: Ctx) -> Doc:
    names = {"drafts": "drafts", "booked": "booked", "paid": "paid", "unpaid": "unpaid", "overdue": "overdue",
             "notDue": "not-due", "sent": "sent"}
    out = {key: ctx.links.url(f"/invoices/{path}") for key, path in names.items()}
    out["self"] = ctx.links.url("/invoices")
    return out


# -- drafts ----------------------------------------------------------------------------------
def _draft(ctx: Ctx) -> Doc:
    found = ctx.store.drafts.get(ctx.arg("number"))
    if found is None:
        # also what a booked draft answers: once booked it no longer exists as a draft
        raise not_found(f"Draft invoice {ctx.arg('number')}")
    return found


def _store_draft(ctx: Ctx, doc: Doc, number: int) -> Doc:
    doc["draftInvoiceNumber"] = number
    order = doc.pop("_fromOrder", None)
    ctx.store.drafts.put(doc)
    ctx.store.set_product_refs(f"draft:{number}", doc["lines"])
    for state in ("drafts", "sent"):
        if order is not None and order in ctx.store.orders[state]:
            # an upgraded order is archived once its invoice draft exists
            ctx.store.orders["archived"].put(ctx.store.orders[state].delete(order))
    return doc


def list_drafts(ctx: Ctx) -> Doc:
    return envelope(ctx.links, "/invoices/drafts", ctx.params, ctx.store.drafts, DRAFT_FIELDS,
                    lambda d: render_draft(ctx, d, full=False), create_meta(ctx.links, "/invoices/drafts", "Create a new draft invoice"))


def create_draft(ctx: Ctx) -> Reply:
    order = ctx.body.get("orderNumber") if isinstance(ctx.body, dict) else None
    doc = prepare(ctx.store, ctx.body)
    if isinstance(order, int) and not isinstance(order, bool):
        doc["_fromOrder"] = order
    doc = _store_draft(ctx, doc, ctx.store.take("next_draft"))
    out = render_draft(ctx, doc)
    return Reply(out, 201, {"Location": out["self"]})


def put_draft(ctx: Ctx) -> Doc:
    number = _draft(ctx)["draftInvoiceNumber"]
    return render_draft(ctx, _store_draft(ctx, prepare(ctx.store, ctx.body), number))


def _delete_drafts(ctx: Ctx, drafts: list[Doc]) -> Doc:
    items = []
    for draft in drafts:
        number = draft["draftInvoiceNumber"]
        ctx.store.drafts.delete(number)
        ctx.store.drop_product_refs(f"draft:{number}")
        items.append({"draftInvoiceNumber": number, "self": ctx.links.url(f"/invoices/drafts/{number}")})
    message = "Deleted invoice." if len(items) == 1 else f"Deleted {len(items)} invoices."
    return {"message": message, "deletedCount": len(items), "deletedItems": items}


def delete_draft(ctx: Ctx) -> Doc:
    return _delete_drafts(ctx, [_draft(ctx)])


def delete_all_drafts(ctx: Ctx) -> Doc:
    """DELETE /invoices/drafts honours ``filter`` (reference §5)."""
    docs, _ = select(ctx.store.drafts, ctx.params, DRAFT_FIELDS)
    return _delete_drafts(ctx, docs)


def draft_templates(ctx: Ctx) -> Doc:
    base = f"/invoices/drafts/{_draft(ctx)['draftInvoiceNumber']}/templates"
    return {"bookingInstructions": ctx.links.url(f"{base}/booking-instructions"), "self": ctx.links.url(base)}


def booking_instructions(ctx: Ctx) -> Doc:
    """The exact body to POST to /invoices/booked for this draft."""
    number = _draft(ctx)["draftInvoiceNumber"]
    return {"draftInvoice": {"draftInvoiceNumber": number, "self": ctx.links.url(f"/invoices/drafts/{number}")},
            "self": ctx.links.url(f"/invoices/drafts/{number}/templates/booking-instructions")}


# -- booked ----------------------------------------------------------------------------------
def _booked(ctx: Ctx) -> Doc:
    found = ctx.store.booked.get(ctx.arg("number"))
    if found is None:
        raise not_found(f"Booked invoice {ctx.arg('number')}")
    return found


def book_draft(ctx: Ctx) -> Reply:
    out = render_booked(ctx, book(ctx.store, ctx.body))
    return Reply(out, ctx.store.options.book_status_code, {"Location": out["self"]})


def book_with_number(ctx: Ctx) -> Reply:
    """PUT /invoices/booked/{n}: book a draft with that number (a booked invoice is never replaced)."""
    out = render_booked(ctx, book(ctx.store, ctx.body, number_in_path=ctx.arg("number")))
    return Reply(out, ctx.store.options.book_status_code, {"Location": out["self"]})


def list_booked(ctx: Ctx) -> Doc:
    return envelope(ctx.links, "/invoices/booked", ctx.params, ctx.store.booked, BOOKED_FIELDS,
                    lambda d: render_booked(ctx, d, full=False), create_meta(ctx.links, "/invoices/booked", "Book a draft invoice"))


def _view(path: str, keep: Any) -> Any:
    def handler(ctx: Ctx) -> Doc:
        today = ctx.store.today().isoformat()
        docs = [d for d in ctx.store.booked if keep(d, today)]
        return envelope(ctx.links, path, ctx.params, docs, BOOKED_FIELDS, lambda d: render_booked(ctx, d, full=False))
    return handler


VIEWS = {
    "/invoices/paid": lambda d, today: d["remainder"] == 0,
    "/invoices/unpaid": lambda d, today: d["remainder"] != 0,
    "/invoices/overdue": lambda d, today: d["remainder"] != 0 and d["dueDate"] < today,
    "/invoices/not-due": lambda d, today: d["remainder"] != 0 and d["dueDate"] >= today,
    "/invoices/sent": lambda d, today: bool(d.get("_sent")),
}


def routes() -> list[Route]:
    out = [
        resource("/invoices", get=invoices_root),
        resource("/invoices/drafts", get=list_drafts, post=create_draft, delete=delete_all_drafts),
        resource("/invoices/drafts/{number:int}", get=lambda ctx: render_draft(ctx, _draft(ctx)), put=put_draft, delete=delete_draft),
        resource("/invoices/drafts/{number:int}/pdf", get=lambda ctx: invoice_pdf(f"Kladde {ctx.arg('number')}", _draft(ctx))),
        resource("/invoices/drafts/{number:int}/templates", get=draft_templates),
        resource("/invoices/drafts/{number:int}/templates/booking-instructions", get=booking_instructions),
        resource("/invoices/booked", get=list_booked, post=book_draft),
        resource("/invoices/booked/{number:int}", get=lambda ctx: render_booked(ctx, _booked(ctx)), put=book_with_number),
        resource("/invoices/booked/{number:int}/pdf", get=lambda ctx: invoice_pdf(f"Faktura {ctx.arg('number')}", _booked(ctx))),
    ]
    out += [resource(path, get=_view(path, keep)) for path, keep in VIEWS.items()]
    out.append(resource("/invoices/sent/{number:int}", get=lambda ctx: render_booked(ctx, _booked(ctx))))
    return out
