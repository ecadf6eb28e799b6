"""Invoices: POST a draft, validate its totals, book it; update unbooked drafts; resume after a crash.

Exactly once: every draft carries ``references.other`` (the source's key). After a crash the
finder searches booked invoices, then drafts, by that reference; a draft that exists but was not
booked is resumed (validated and booked) rather than created again.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from engine.connector import ActionContext
from engine.errors import DataError

from connectors.economic import documents, totals
from connectors.economic.client import EconomicApi, filter_eq, to_decimal
from connectors.economic.errors import NotFoundError, with_context
from connectors.economic.reference import Reference

SEND_BY = ("none", "ean")


class Kind:
    """What differs between an invoice and a credit note: the words, and the sign of totals."""

    def __init__(self, what: str, sign: int) -> None:
        self.what = what      # the source total's name in messages
        self.sign = sign      # +1 invoice, -1 credit note (e-conomic's totals are negative)

    def expected(self, data: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
        exp = data.get("expected") or {}
        gross, vat = to_decimal(exp.get("gross")), to_decimal(exp.get("vat"))
        if self.sign < 0:  # inputs give refunds as positive amounts, as the shop shows them
            gross = -abs(gross) if gross is not None else None
            vat = -abs(vat) if vat is not None else None
        return gross, vat


INVOICE = Kind("order total", 1)


def create_invoice(api: EconomicApi, ref: Reference, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    body = documents.draft_body(ref, data, ctx, api.bucket("products"))
    previous = ctx.previous
    if previous and previous.get("booked"):
        # A booked invoice cannot change; a credit note handles the difference.
        return {**previous, "changed_after_booking": True}
    if previous and previous.get("draftInvoiceNumber") is not None:
        draft = _put_draft(api, previous["draftInvoiceNumber"], body)
        if draft is not None:
            return complete(api, data, body, draft, INVOICE)
        found = find_booked(api, body["references"]["other"])
        if found is not None:  # booked by hand in e-conomic meanwhile
            return {**result(found, booked=True, rounding=None), "changed_after_booking": True}
    draft = api.post("/invoices/drafts", body)
    return complete(api, data, body, _echoed(api, body, draft), INVOICE)


def find_invoice(api: EconomicApi, ref: Reference, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any] | None:
    """After a crash: the booked invoice with this reference, or its draft resumed (validated and
    booked as asked) so that no second draft is created."""
    return resume(api, data, documents.reference_of(data, ctx),
                  lambda: documents.draft_body(ref, data, ctx, api.bucket("products")), INVOICE)


def resume(api: EconomicApi, data: dict[str, Any], reference: str, build_body: Callable[[], dict[str, Any]],
           kind: Kind) -> dict[str, Any] | None:
    """The booked document with this reference, or its draft completed; None when neither exists."""
    booked = find_booked(api, reference)
    if booked is not None:
        return result(booked, booked=True, rounding=totals.rounding_amount_in(data, booked))
    listed = api.first("/invoices/drafts", filter=filter_eq("references.other", reference), sort="draftInvoiceNumber")
    if listed is None:
        return None
    draft = api.get(f"/invoices/drafts/{listed['draftInvoiceNumber']}")
    return complete(api, data, build_body(), draft, kind)


def find_booked(api: EconomicApi, reference: str) -> dict[str, Any] | None:
    return api.first("/invoices/booked", filter=filter_eq("references.other", reference), sort="bookedInvoiceNumber")


def complete(api: EconomicApi, data: dict[str, Any], body: dict[str, Any], draft: dict[str, Any], kind: Kind) -> dict[str, Any]:
    """Validate a draft's totals (not in plan mode: there are none) and book it if asked."""
    number = draft.get("draftInvoiceNumber")
    rounding = None
    if not api.dry_run:
        gross, vat = kind.expected(data)
        draft, rounding = totals.validate(
            data, draft, what=kind.what, expected_gross=gross, expected_vat=vat,
            put_with_line=lambda line: _put_draft_required(api, number, {**body, "lines": [*body["lines"], line]}),
        )
    if not data.get("book"):
        return result(draft, booked=False, rounding=rounding)
    booked = book(api, number, data)
    return {**result(booked, booked=True, rounding=rounding), "draftInvoiceNumber": number}


def book(api: EconomicApi, draft_number: Any, data: dict[str, Any]) -> dict[str, Any]:
    """POST /invoices/booked; ``sendBy: ean`` sends it through NemHandel (public sector)."""
    request: dict[str, Any] = {"draftInvoice": {"draftInvoiceNumber": draft_number}}
    if data.get("book_with_number") is not None:
        request["bookWithNumber"] = int(data["book_with_number"])
    send_by = data.get("send_by") or "none"
    if send_by not in SEND_BY:
        raise DataError(f"send_by {send_by!r} is not one of {', '.join(SEND_BY)}", field_path="send_by")
    if send_by == "ean":
        request["sendBy"] = "ean"
    try:
        booked = api.post("/invoices/booked", request)
    except DataError as exc:
        raise with_context(exc, f"draft {draft_number} left unbooked for review",
                           field_path=_input_path(exc.field_path)) from None
    if api.dry_run:
        return {"draftInvoiceNumber": draft_number}
    return booked


def _input_path(path: str | None) -> str | None:
    """A booking request's field path as the action input names it (the draft's own fields,
    ``book_with_number``, ``send_by``)."""
    if path is None:
        return None
    if path.startswith("draftInvoice."):
        return path[len("draftInvoice."):]
    return {"bookWithNumber": "book_with_number", "sendBy": "send_by"}.get(path, path)


def _put_draft(api: EconomicApi, number: Any, body: dict[str, Any]) -> dict[str, Any] | None:
    """PUT the full draft; None when the draft is gone (booked or deleted in e-conomic)."""
    try:
        draft = api.put(f"/invoices/drafts/{number}", {**body, "draftInvoiceNumber": number})
    except NotFoundError:
        return None
    return _echoed(api, {**body, "draftInvoiceNumber": number}, draft)


def _put_draft_required(api: EconomicApi, number: Any, body: dict[str, Any]) -> dict[str, Any]:
    draft = _put_draft(api, number, body)
    if draft is None:
        raise DataError(f"draft {number} disappeared from e-conomic while iex was adding the rounding line")
    return draft


def _echoed(api: EconomicApi, body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """In plan mode the HTTP client echoes the request: there are no numbers or totals yet."""
    return body if api.dry_run else answer


def result(document: dict[str, Any], *, booked: bool, rounding: Decimal | None) -> dict[str, Any]:
    found = documents.amounts(document)
    return {
        "draftInvoiceNumber": document.get("draftInvoiceNumber"),
        "bookedInvoiceNumber": document.get("bookedInvoiceNumber"),
        **found,
        "roundingLine": rounding,
        "booked": booked,
        "currency": document.get("currency"),
        "customerNumber": (document.get("customer") or {}).get("customerNumber"),
        "reference": (document.get("references") or {}).get("other"),
    }
