"""``/customers`` with contacts, delivery locations, their invoices and the invoice template."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from starlette.routing import Route

from connectors.economic.sandbox.collections import create_meta, envelope
from connectors.economic.sandbox.errors import ValidationErrors, error, not_found
from connectors.economic.sandbox.links import with_links
from connectors.economic.sandbox.routes_invoices import BOOKED_FIELDS, DRAFT_FIELDS, render_booked, render_draft
from connectors.economic.sandbox.routing import Ctx, Reply, body_object, check_number, created, resource
from connectors.economic.sandbox.validation import add, check_document, known_only

Doc = dict[str, Any]

FIELDS = {"address": "string", "balance": "number", "barred": "bool", "city": "string",
          "corporateIdentificationNumber": "string", "country": "string", "creditLimit": "number", "currency": "string",
          "customerNumber": "int", "ean": "string", "email": "string", "lastUpdated": "datetime", "name": "string",
          "publicEntryNumber": "string", "telephoneAndFaxNumber": "string", "vatNumber": "string", "website": "string",
          "zip": "string", "customerGroup.customerGroupNumber": "int", "vatZone.vatZoneNumber": "int",
          "paymentTerms.paymentTermsNumber": "int"}
CONTACT_FIELDS = {"customerContactNumber": "int", "name": "string", "email": "string", "phone": "string"}
LOCATION_FIELDS = {"deliveryLocationNumber": "int", "address": "string", "city": "string", "postalCode": "string",
                   "country": "string"}


def render(ctx: Ctx, doc: Doc) -> Doc:
    number = doc["customerNumber"]
    out = with_links(doc, ctx.links, f"/customers/{number}")
    base = f"/customers/{number}"
    balance = ctx.store.customer_balance.get(number)
    out["balance"] = balance if balance is not None else Decimal("0.00")
    today = ctx.store.today().isoformat()
    out["dueAmount"] = sum((e["remainderInBaseCurrency"] for e in ctx.store.ledger.lookup("customer.customerNumber", number) or []
                            if "remainder" in e and e.get("dueDate", today) <= today), Decimal("0.00"))
    out["contacts"] = ctx.links.url(f"{base}/contacts")
    out["deliveryLocations"] = ctx.links.url(f"{base}/delivery-locations")
    out["invoices"] = {"drafts": ctx.links.url(f"{base}/invoices/drafts"), "booked": ctx.links.url(f"{base}/invoices/booked"),
                       "self": ctx.links.url(f"{base}/invoices")}
    out["templates"] = {"invoice": ctx.links.url(f"{base}/templates/invoice"),
                        "invoiceLine": ctx.links.url(f"{base}/templates/invoiceline"), "self": ctx.links.url(f"{base}/templates")}
    out["totals"] = {"drafts": ctx.links.url(f"{base}/totals/drafts"), "booked": ctx.links.url(f"{base}/totals/booked"),
                     "self": ctx.links.url(f"{base}/totals")}
    return out


def _customer(ctx: Ctx) -> Doc:
    found = ctx.store.customers.get(ctx.arg("number"))
    if found is None:
        raise not_found(f"Customer {ctx.arg('number')}")
    return found


def _validated(ctx: Ctx, number_in_path: int | None) -> Doc:
    doc = known_only(copy.deepcopy(body_object(ctx, "customer")), "customer")
    errs = ValidationErrors()
    check_document(ctx.store, doc, "customer", errs)
    number = doc.get("customerNumber", number_in_path)
    if number is not None:
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 999_999_999:
            add(errs, ("customerNumber",), "E04360", number, low=1, high=999999999)
        else:
            check_number(errs, "customerNumber", number, number_in_path, ctx.store.customers)
    errs.raise_if_any()
    doc["customerNumber"] = number if number is not None else ctx.store.take_customer_number()
    doc["lastUpdated"] = ctx.store.now()
    return doc


def list_customers(ctx: Ctx) -> Doc:
    return envelope(ctx.links, "/customers", ctx.params, ctx.store.customers, FIELDS, lambda d: render(ctx, d),
                    create_meta(ctx.links, "/customers", "Create a new customer"))


def create_customer(ctx: Ctx) -> Reply:
    return created(render(ctx, ctx.store.customers.put(_validated(ctx, None))))


def get_customer(ctx: Ctx) -> Doc:
    return render(ctx, _customer(ctx))


def put_customer(ctx: Ctx) -> Doc:
    number = ctx.arg("number")
    doc = _validated(ctx, number)  # PUT replaces the whole document (or creates at that number)
    return render(ctx, ctx.store.customers.put(doc))


def delete_customer(ctx: Ctx) -> Reply:
    customer = _customer(ctx)
    number = customer["customerNumber"]
    if ctx.store.ledger.lookup("customer.customerNumber", number) or ctx.store.drafts.lookup("customer.customerNumber", number):
        raise error(400, f"Customer {number} has invoices or entries and cannot be deleted.", "Bar the customer instead (barred: true).")
    ctx.store.customers.delete(number)
    return Reply(None, 204)


def customer_drafts(ctx: Ctx) -> Doc:
    number = _customer(ctx)["customerNumber"]
    docs = ctx.store.drafts.lookup("customer.customerNumber", number) or []
    return envelope(ctx.links, f"/customers/{number}/invoices/drafts", ctx.params, docs, DRAFT_FIELDS,
                    lambda d: render_draft(ctx, d, full=False))


def customer_booked(ctx: Ctx) -> Doc:
    number = _customer(ctx)["customerNumber"]
    docs = ctx.store.booked.lookup("customer.customerNumber", number) or []
    return envelope(ctx.links, f"/customers/{number}/invoices/booked", ctx.params, docs, BOOKED_FIELDS,
                    lambda d: render_booked(ctx, d, full=False))


def invoice_template(ctx: Ctx) -> Doc:
    """A pre-filled draft-invoice document for the customer (POST it to /invoices/drafts)."""
    customer = _customer(ctx)
    recipient = {k: customer[k] for k in ("name", "address", "zip", "city", "country", "ean", "publicEntryNumber") if k in customer}
    recipient["vatZone"] = dict(ctx.store.vat_zones.get(customer["vatZone"]["vatZoneNumber"]))
    terms = ctx.store.payment_terms.get(customer["paymentTerms"]["paymentTermsNumber"])
    doc = {"customer": {"customerNumber": customer["customerNumber"]}, "currency": customer["currency"],
           "date": ctx.store.today().isoformat(),
           "paymentTerms": {k: terms[k] for k in ("paymentTermsNumber", "daysOfCredit", "name", "paymentTermsType")},
           "layout": {"layoutNumber": (customer.get("layout") or {}).get("layoutNumber", 19)}, "recipient": recipient}
    out = with_links(doc, ctx.links, f"/customers/{customer['customerNumber']}/templates/invoice")
    out.pop("self")
    return out


def _sub_routes(kind: str, table: str, key: str, counter: str, fields: dict[str, str]) -> list[Route]:
    """Contacts and delivery locations: numbered per agreement, listed per customer."""
    def render_sub(ctx: Ctx, doc: Doc) -> Doc:
        c = doc["customer"]["customerNumber"]
        return with_links(doc, ctx.links, f"/customers/{c}/{kind}/{doc[key]}", customer=c)

    def find(ctx: Ctx) -> Doc:
        customer = _customer(ctx)["customerNumber"]
        found = getattr(ctx.store, table).get((customer, ctx.arg("sub")))
        if found is None:
            raise not_found(f"{kind} {ctx.arg('sub')} of customer {customer}")
        return found

    def validated(ctx: Ctx, customer: int, number: int) -> Doc:
        doc = {k: copy.deepcopy(v) for k, v in body_object(ctx, kind).items() if k != "self"}
        errs = ValidationErrors()
        check_document(ctx.store, doc, "contact" if kind == "contacts" else "deliveryLocation", errs)
        errs.raise_if_any()
        doc.update({key: number, "customer": {"customerNumber": customer}, "_key": (customer, number)})
        return doc

    def list_sub(ctx: Ctx) -> Doc:
        customer = _customer(ctx)["customerNumber"]
        docs = getattr(ctx.store, table).lookup("customer.customerNumber", customer) or []
        return envelope(ctx.links, f"/customers/{customer}/{kind}", ctx.params, docs, fields, lambda d: render_sub(ctx, d))

    def create_sub(ctx: Ctx) -> Reply:
        customer = _customer(ctx)["customerNumber"]
        doc = getattr(ctx.store, table).put(validated(ctx, customer, ctx.store.take(counter)))
        return created(render_sub(ctx, doc))

    def put_sub(ctx: Ctx) -> Doc:
        existing = find(ctx)
        doc = validated(ctx, existing["customer"]["customerNumber"], existing[key])
        return render_sub(ctx, getattr(ctx.store, table).put(doc))

    def delete_sub(ctx: Ctx) -> Reply:
        getattr(ctx.store, table).delete(find(ctx)["_key"])
        return Reply(None, 204)

    base = f"/customers/{{number:int}}/{kind}"
    return [resource(base, get=list_sub, post=create_sub),
            resource(f"{base}/{{sub:int}}", get=lambda ctx: render_sub(ctx, find(ctx)), put=put_sub, delete=delete_sub)]


def routes() -> list[Route]:
    return [
        resource("/customers", get=list_customers, post=create_customer),
        resource("/customers/{number:int}", get=get_customer, put=put_customer, delete=delete_customer),
        resource("/customers/{number:int}/invoices/drafts", get=customer_drafts),
        resource("/customers/{number:int}/invoices/booked", get=customer_booked),
        resource("/customers/{number:int}/templates/invoice", get=invoice_template),
        *_sub_routes("contacts", "contacts", "customerContactNumber", "next_contact", CONTACT_FIELDS),
        *_sub_routes("delivery-locations", "delivery_locations", "deliveryLocationNumber", "next_delivery_location", LOCATION_FIELDS),
    ]
