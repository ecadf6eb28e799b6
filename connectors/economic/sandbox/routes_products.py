"""``/products``: string product numbers (1-25 characters) whose self links use e-conomic's
encoding (``_6_`` for ``/`` ...); a product used on any draft, booked invoice or order cannot be
deleted."""

from __future__ import annotations

import copy
from typing import Any

from starlette.routing import Route

from connectors.economic.sandbox.collections import create_meta, envelope
from connectors.economic.sandbox.errors import ValidationErrors, error, not_found
from connectors.economic.sandbox.links import decode_id, encode_id, with_links
from connectors.economic.sandbox.routes_invoices import BOOKED_FIELDS, DRAFT_FIELDS, render_booked, render_draft
from connectors.economic.sandbox.routing import Ctx, Reply, body_object, check_number, created, resource
from connectors.economic.sandbox.validation import check_document, known_only

Doc = dict[str, Any]

FIELDS = {"barCode": "string", "barred": "bool", "costPrice": "number",
          "departmentalDistribution.departmentalDistributionNumber": "int", "description": "string",
          "lastUpdated": "datetime", "name": "string", "productGroup.productGroupNumber": "int", "productNumber": "string",
          "recommendedPrice": "number", "salesPrice": "number", "unit.unitNumber": "int",
          "inventory.available": "number", "inventory.inStock": "number"}


def render(ctx: Ctx, doc: Doc) -> Doc:
    path = f"/products/{encode_id(doc['productNumber'])}"
    out = with_links(doc, ctx.links, path)
    group = ctx.store.product_groups.get(doc["productGroup"]["productGroupNumber"])
    if group is not None:
        out["productGroup"]["name"] = group["name"]
    unit = ctx.store.units.get((doc.get("unit") or {}).get("unitNumber"))
    if unit is not None:
        out["unit"]["name"] = unit["name"]
    out["invoices"] = {"drafts": ctx.links.url(f"{path}/invoices/drafts"), "booked": ctx.links.url(f"{path}/invoices/booked")}
    out["pricing"] = {"currencySpecificSalesPrices": ctx.links.url(f"{path}/pricing/currency-specific-sales-prices")}
    return out


def _number_from_path(ctx: Ctx) -> str:
    return decode_id(ctx.arg("number"))


def _product(ctx: Ctx) -> Doc:
    number = _number_from_path(ctx)
    found = ctx.store.products.get(number)
    if found is None:
        raise not_found(f"Product '{number}'")
    return found


def _validated(ctx: Ctx, number_in_path: str | None) -> Doc:
    doc = known_only(copy.deepcopy(body_object(ctx, "product")), "product")
    if isinstance(doc.get("productNumber"), int) and not isinstance(doc["productNumber"], bool):
        doc["productNumber"] = str(doc["productNumber"])  # a JSON number is read into the string key
    if number_in_path is not None and doc.get("productNumber") is None:
        doc["productNumber"] = number_in_path
    errs = ValidationErrors()
    check_document(ctx.store, doc, "product", errs)
    number = doc.get("productNumber")
    if isinstance(number, str):
        check_number(errs, "productNumber", number, number_in_path, ctx.store.products)
    errs.raise_if_any()
    doc["lastUpdated"] = ctx.store.now()
    return doc


def list_products(ctx: Ctx) -> Doc:
    return envelope(ctx.links, "/products", ctx.params, ctx.store.products, FIELDS, lambda d: render(ctx, d),
                    create_meta(ctx.links, "/products", "Create a new product"))


def create_product(ctx: Ctx) -> Reply:
    return created(render(ctx, ctx.store.products.put(_validated(ctx, None))))


def put_product(ctx: Ctx) -> Doc:
    return render(ctx, ctx.store.products.put(_validated(ctx, _number_from_path(ctx))))


def delete_product(ctx: Ctx) -> Reply:
    product = _product(ctx)
    number = product["productNumber"]
    if ctx.store.product_in_use(number):
        raise error(400, f"Product '{number}' is in use on invoices or orders and cannot be deleted.",
                    "Bar the product instead (barred: true).")
    ctx.store.products.delete(number)
    return Reply(None, 204)


def product_invoices(kind: str) -> Any:
    """``/products/{n}/invoices/drafts|booked``: the documents using the product."""
    def handler(ctx: Ctx) -> Doc:
        number = _product(ctx)["productNumber"]
        prefix = "draft:" if kind == "drafts" else "booked:"
        table = ctx.store.drafts if kind == "drafts" else ctx.store.booked
        docs = [table.get(int(owner[len(prefix):])) for owner in ctx.store.product_refs.get(number, ()) if owner.startswith(prefix)]
        docs = sorted((d for d in docs if d is not None), key=lambda d: d[table.key_field])
        render = (lambda d: render_draft(ctx, d, full=False)) if kind == "drafts" else (lambda d: render_booked(ctx, d, full=False))
        return envelope(ctx.links, f"/products/{encode_id(number)}/invoices/{kind}", ctx.params, docs,
                        DRAFT_FIELDS if kind == "drafts" else BOOKED_FIELDS, render)
    return handler


def routes() -> list[Route]:
    return [
        resource("/products", get=list_products, post=create_product),
        resource("/products/{number}", get=lambda ctx: render(ctx, _product(ctx)), put=put_product, delete=delete_product),
        resource("/products/{number}/invoices/drafts", get=product_invoices("drafts")),
        resource("/products/{number}/invoices/booked", get=product_invoices("booked")),
    ]
