"""Credit notes: a draft invoice with negative quantities, linked to the booked invoice it credits.

e-conomic has no credit-note resource and no link field (economic-api §6.12): a credit note is a
draft with negative totals, booked the normal way. We copy customer, currency, layout, payment
terms and recipient from the credited invoice, say "Kreditnota for faktura N" in the notes and
keep the refund's key in ``references.other`` (the finder's handle). Negative quantity with a
positive price is the usual practice (the reference marks it unsure); the sandbox does the same.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine.connector import ActionContext
from engine.errors import DataError, HeldError

from connectors.economic import documents
from connectors.economic.client import CENT, EconomicApi, to_decimal
from connectors.economic.errors import NotFoundError
from connectors.economic.invoices import Kind, complete, resume
from connectors.economic.reference import Reference, number_of

CREDIT_NOTE = Kind("refund total", -1)
HEADER_KEYS = {"customer": "customerNumber", "paymentTerms": "paymentTermsNumber", "layout": "layoutNumber"}


def create_credit_note(api: EconomicApi, ref: Reference, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    original = credited_invoice(api, data)
    body = _body(ref, data, ctx, original, api)
    draft = api.post("/invoices/drafts", body)
    done = complete(api, data, body, body if api.dry_run else draft, CREDIT_NOTE)
    return {**done, "credited_invoice": original["bookedInvoiceNumber"]}


def find_credit_note(api: EconomicApi, ref: Reference, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any] | None:
    """After a crash: the booked credit note with the refund's reference, or its draft resumed."""
    original = credited_invoice(api, data)
    found = resume(api, data, documents.reference_of(data, ctx),
                   lambda: _body(ref, data, ctx, original, api), CREDIT_NOTE)
    return None if found is None else {**found, "credited_invoice": original["bookedInvoiceNumber"]}


def credited_invoice(api: EconomicApi, data: dict[str, Any]) -> dict[str, Any]:
    """The booked invoice being credited; HeldError while the source has not got one yet."""
    number = data.get("invoice_number")
    if number in (None, ""):
        raise HeldError("the refund waits for its order's booked invoice (no invoice number yet)",
                        field_path="invoice_number")
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise DataError(f"invoice number {number!r} is not a number", field_path="invoice_number") from None
    cache = api.bucket("booked_invoices")
    if number not in cache:
        try:
            cache[number] = api.get(f"/invoices/booked/{number}")
        except NotFoundError:
            raise DataError(f"booked invoice {number} does not exist in e-conomic, so it cannot be credited",
                            field_path="invoice_number") from None
    return cache[number]


def _body(ref: Reference, data: dict[str, Any], ctx: ActionContext, original: dict[str, Any],
          api: EconomicApi) -> dict[str, Any]:
    number = original["bookedInvoiceNumber"]
    document = dict(data)
    for key, id_key in HEADER_KEYS.items():
        if not document.get(key) and number_of(original.get(key), id_key) is not None:
            document[key] = {id_key: number_of(original[key], id_key)}
    document.setdefault("currency", original.get("currency"))
    if document["currency"] == original.get("currency") and original.get("exchangeRate") is not None:
        document.setdefault("exchangeRate", original["exchangeRate"])  # credit at the invoice's rate
    document.setdefault("date", dt.date.today().isoformat())
    if not document.get("recipient"):
        document["recipient"] = _recipient(original.get("recipient") or {})
    terms = ref.get("payment_terms", number_of(document.get("paymentTerms"), "paymentTermsNumber"))
    if terms and terms.get("paymentTermsType") == "dueDate":
        document.setdefault("dueDate", document["date"])
    document["notes"] = _notes(data.get("notes") or {}, number)
    document["lines"] = _lines(data, original)
    return documents.draft_body(ref, document, ctx, api.bucket("products"))


def _recipient(recipient: dict[str, Any]) -> dict[str, Any]:
    """The original recipient without e-conomic's links (vatZone and attention by number)."""
    out = {k: v for k, v in recipient.items() if k not in ("self", "vatZone", "attention")}
    zone = number_of(recipient.get("vatZone"), "vatZoneNumber")
    if zone is not None:
        out["vatZone"] = {"vatZoneNumber": zone}
    attention = number_of(recipient.get("attention"), "customerContactNumber")
    if attention is not None:
        out["attention"] = {"customerContactNumber": attention}
    return out


def _notes(notes: dict[str, Any], invoice_number: int) -> dict[str, Any]:
    mention = f"Kreditnota for faktura {invoice_number}"
    out = dict(notes)
    if not out.get("heading"):
        out["heading"] = mention
    elif str(invoice_number) not in str(out["heading"]):
        out["textLine1"] = f"{mention}\n{out['textLine1']}" if out.get("textLine1") else mention
    return out


def _lines(data: dict[str, Any], original: dict[str, Any]) -> list[dict[str, Any]]:
    has_lines, has_amount = bool(data.get("lines")), data.get("amount") is not None
    if has_lines == has_amount:
        raise DataError("a credit note needs either lines or an amount (not both, not neither)", field_path="lines")
    if has_lines:
        out = []
        for i, line in enumerate(data["lines"]):
            quantity = to_decimal(line.get("quantity"))
            if quantity is None or quantity < 0:
                raise DataError("credit note quantities are given positive; iex makes them negative",
                                field_path=f"lines[{i}].quantity")
            out.append({**line, "quantity": -quantity})
        return out
    return [_amount_line(data, original)]


def _amount_line(data: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
    product = data.get("refund_product_number")
    if not product:
        raise DataError("an amount-only refund needs the refund product number setting", field_path="refund_product_number")
    amount = abs(to_decimal(data["amount"]) or Decimal(0))
    net = amount
    if data.get("vat_included", True):
        rate = invoice_vat_rate(original)
        net = (amount * 100 / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    return {
        "product": {"productNumber": str(product)},
        "description": data.get("refund_text") or f"Refusion, faktura {original['bookedInvoiceNumber']}",
        "quantity": Decimal(-1),
        "unitNetPrice": net,
    }


def invoice_vat_rate(invoice: dict[str, Any]) -> Decimal:
    """The VAT rate (percent) of a booked invoice: its lines' rate when they share one, else the
    overall ratio VAT/net (a mixed invoice is refunded proportionally)."""
    rates = {to_decimal(line.get("vatRate")) for line in invoice.get("lines") or []
             if line.get("vatRate") is not None and (to_decimal(line.get("totalNetAmount")) or 0) != 0}
    if len(rates) == 1:
        return rates.pop()
    net, vat = to_decimal(invoice.get("netAmount")), to_decimal(invoice.get("vatAmount"))
    if not net:
        return Decimal(0)
    return vat * 100 / net if vat is not None else Decimal(0)
