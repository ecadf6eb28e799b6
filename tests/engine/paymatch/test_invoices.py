"""The invoice side from e-conomic: booked invoices and credit notes with the references of the
flows that booked them, read from the engine's own ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine.paymatch import InvoicePayment, from_economic
from engine.state import StepKey, open_store

D = Decimal


def _booked(number: int, gross: str, remainder: str, other: str) -> dict:
    """A booked document as the e-conomic stream ``booked_invoices`` returns it."""
    return {"bookedInvoiceNumber": number, "grossAmount": D(gross), "remainder": D(remainder), "currency": "DKK",
            "date": "2025-03-10", "customer": {"customerNumber": 7}, "references": {"other": other}}


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path / "state.sqlite")
    yield store
    store.close()


def _book(store, flow: str, key: str, step: str, result: dict, refs: dict) -> None:
    """What the runner keeps after a flow's step booked a document."""
    step_key = StepKey("shop", flow, key, step)
    store.ledger_pending(step_key, payload_hash="h", recipe_digest=None)
    store.ledger_done(step_key, result=result, reference=str(result["bookedInvoiceNumber"]), payload_hash="h",
                      recipe_digest=None)
    store.set_refs("shop", flow, key, refs)


def test_credit_notes_carry_the_transaction_and_order_of_the_refunds_flow(store):
    refs = {"order_number": "1001", "transaction_id": "ch_1"}
    _book(store, "orders", "55", "invoice", {"bookedInvoiceNumber": 10}, refs)
    _book(store, "refunds", "refund-7", "credit_note", {"bookedInvoiceNumber": 11, "credited_invoice": 10},
          {"order_id": "55", **refs})
    entries = [*store.ledger_entries("shop", "orders", "invoice"),
               *store.ledger_entries("shop", "refunds", "credit_note")]
    rows = from_economic([_booked(10, "200.00", "200.00", "shop/orders/55/invoice"),
                          _booked(11, "-50.00", "-50.00", "shop/refunds/refund-7/credit_note"),
                          _booked(12, "80.00", "80.00", "2002")], entries)
    day = date(2025, 3, 10)
    assert rows == [
        InvoicePayment(10, 7, "1001", "ch_1", D("200.00"), "DKK", day, D("200.00")),
        InvoicePayment(11, 7, "1001", "ch_1", D("-50.00"), "DKK", day, D("-50.00")),   # the credit note
        InvoicePayment(12, 7, "2002", None, D("80.00"), "DKK", day, D("80.00")),       # booked by hand
    ]

