"""The draft document shared by invoices, orders and credit notes: body, reference, checks, totals.

Action inputs are e-conomic's own draft shape plus a few control keys (``book``, ``expected``...).
This module strips the control keys, sets ``references.other`` (the key that finds the document
again after a crash), turns amounts into Decimal, and checks every reference number against the
per-run cache before anything is sent.
"""

from __future__ import annotations

from typing import Any

from engine.connector import ActionContext
from engine.errors import DataError

from connectors.economic.client import to_decimal
from connectors.economic.products import NOT_LOOKED_UP
from connectors.economic.reference import Reference, number_of

CONTROL_KEYS = ("book", "book_with_number", "send_by", "expected", "tolerance", "rounding_product_number",
                "rounding_text", "invoice_number", "amount", "refund_product_number", "vat_included",
                "refund_text")
MAX_REFERENCE = 250  # references.other max length
LINE_NUMBERS = ("quantity", "unitNetPrice", "discountPercentage", "unitCostPrice")


def reference_of(data: dict[str, Any], ctx: ActionContext) -> str:
    """The document's ``references.other``: the input's, else the idempotency key (250 chars)."""
    given = ((data.get("references") or {}).get("other") or "")
    reference = str(given).strip() or ctx.idempotency_key
    if len(reference) > MAX_REFERENCE:
        if given:
            raise DataError(f"references.other has {len(reference)} characters; e-conomic allows {MAX_REFERENCE}",
                            field_path="references.other")
        reference = reference[:MAX_REFERENCE]
    return reference


def draft_body(ref: Reference, data: dict[str, Any], ctx: ActionContext, products: dict[str, Any]) -> dict[str, Any]:
    """The e-conomic document to POST/PUT, checked against the cached reference data."""
    body = prune({k: v for k, v in data.items() if k not in CONTROL_KEYS})
    body["references"] = {**(data.get("references") or {}), "other": reference_of(data, ctx)}
    if body.get("exchangeRate") is not None:
        body["exchangeRate"] = to_decimal(body["exchangeRate"])
    body["lines"] = [_line(line, i, products) for i, line in enumerate(data.get("lines") or [])]
    check_references(ref, body)
    return body


def prune(value: Any) -> Any:
    """Without None values: e-conomic refuses null on write (omit a property to leave it empty),
    while mappings produce None for what a record does not have."""
    if isinstance(value, dict):
        return {k: prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def _line(line: dict[str, Any], index: int, products: dict[str, Any]) -> dict[str, Any]:
    out = dict(line)
    for name in LINE_NUMBERS:
        if out.get(name) is not None:
            try:
                out[name] = to_decimal(out[name])
            except ArithmeticError:
                raise DataError(f"{out[name]!r} is not a number", field_path=f"lines[{index}].{name}") from None
    number = number_of(out.get("product"), "productNumber")
    if number is not None:
        out["product"] = {"productNumber": str(number)}
        known = products.get(str(number), NOT_LOOKED_UP)
        if known is None:  # looked up earlier in this run and not found
            raise DataError(f"product {number} does not exist in e-conomic", field_path=f"lines[{index}].product")
        if not out.get("description") and isinstance(known, dict) and known.get("name"):
            out["description"] = known["name"]  # e-conomic requires a description with a product
    return out


def check_references(ref: Reference, body: dict[str, Any]) -> None:
    """Unknown layout, payment terms, currency, VAT zone or unit: a DataError before any POST."""
    checks = [
        ("layouts", body.get("layout"), "layoutNumber", "layout.layoutNumber"),
        ("payment_terms", body.get("paymentTerms"), "paymentTermsNumber", "paymentTerms.paymentTermsNumber"),
        ("vat_zones", (body.get("recipient") or {}).get("vatZone"), "vatZoneNumber",
         "recipient.vatZone.vatZoneNumber"),
    ]
    for kind, obj, key, path in checks:
        value = number_of(obj, key)
        if value is not None:
            ref.require(kind, value, path)
    if body.get("currency"):
        ref.require("currencies", body["currency"], "currency")
    terms = ref.get("payment_terms", number_of(body.get("paymentTerms"), "paymentTermsNumber"))
    if terms and terms.get("paymentTermsType") == "dueDate" and not body.get("dueDate"):
        raise DataError("payment terms of type dueDate need the invoice's dueDate", field_path="dueDate")
    for i, line in enumerate(body.get("lines") or []):
        unit = number_of(line.get("unit"), "unitNumber")
        if unit is not None:
            ref.require("units", unit, f"lines[{i}].unit.unitNumber")


def amounts(document: dict[str, Any]) -> dict[str, Any]:
    """The totals e-conomic computed on a draft or booked document, as Decimal."""
    return {
        "netAmount": to_decimal(document.get("netAmount")),
        "vatAmount": to_decimal(document.get("vatAmount")),
        "grossAmount": to_decimal(document.get("grossAmount")),
    }
