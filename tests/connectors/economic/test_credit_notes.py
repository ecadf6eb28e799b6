"""create_credit_note against the sandbox: by lines, by amount incl. VAT, held and missing invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from engine.errors import DataError, HeldError

from connectors.economic.connector import EconomicConnector
from connectors.economic.testing import Probe, context




def book_invoice(eco: EconomicConnector, reference: str, *, customer: int = 1, zone: int = 1, currency: str = "DKK") -> int:
    data = {
        "date": dt.date.today().isoformat(), "currency": currency, "customer": {"customerNumber": customer},
        "paymentTerms": {"paymentTermsNumber": 1}, "layout": {"layoutNumber": 21},
        "recipient": {"name": "Müller", "vatZone": {"vatZoneNumber": zone}}, "references": {"other": reference},
        "lines": [{"product": {"productNumber": "100"}, "description": "T-shirt", "quantity": D("2"), "unitNetPrice": D("159.20")},
                  {"product": {"productNumber": "FRAGT"}, "description": "Fragt", "quantity": D("1"), "unitNetPrice": D("39.20")}],
        "book": True,
    }
    return eco.create_invoice(data, context(reference))["bookedInvoiceNumber"]


def test_a_credit_note_by_lines_is_negative_and_copies_the_invoice_header(eco: EconomicConnector, probe: Probe) -> None:
    number = book_invoice(eco, "woo-2001")
    data = {"invoice_number": number, "references": {"other": "woo-2001-refund-1"}, "book": True,
            "lines": [{"product": {"productNumber": "100"}, "description": "T-shirt retur", "quantity": D("1"),
                       "unitNetPrice": D("159.20")}],
            "expected": {"gross": D("199.00")}, "tolerance": D("0.10")}
    result = eco.create_credit_note(data, context("r1"))
    assert result["credited_invoice"] == number and result["booked"] is True
    assert (result["netAmount"], result["vatAmount"], result["grossAmount"]) == (D("-159.20"), D("-39.80"), D("-199.00"))
    note = probe.get(f"/invoices/booked/{result['bookedInvoiceNumber']}")
    assert note["lines"][0]["quantity"] == D("-1") and note["lines"][0]["unitNetPrice"] == D("159.20")
    assert note["notes"]["heading"] == f"Kreditnota for faktura {number}"
    assert note["references"]["other"] == "woo-2001-refund-1"
    assert (note["customer"]["customerNumber"], note["layout"]["layoutNumber"], note["recipient"]["name"]) == (1, 21, "Müller")
    assert note["remainder"] == D("-199.00")


def test_an_amount_refund_incl_vat_is_converted_with_the_invoice_vat_rate(eco: EconomicConnector, probe: Probe) -> None:
    number = book_invoice(eco, "woo-2002")
    data = {"invoice_number": number, "references": {"other": "woo-2002-refund-1"}, "amount": D("100.00"),
            "vat_included": True, "refund_product_number": "FRAGT", "book": True,
            "expected": {"gross": D("100.00")}, "tolerance": D("0.05")}
    result = eco.create_credit_note(data, context("r2"))
    assert (result["netAmount"], result["vatAmount"], result["grossAmount"]) == (D("-80.00"), D("-20.00"), D("-100.00"))


def test_an_amount_refund_on_a_zero_vat_invoice_stays_unconverted(eco: EconomicConnector) -> None:
    number = book_invoice(eco, "woo-2003", customer=2, zone=2, currency="EUR")
    data = {"invoice_number": number, "amount": D("50.00"), "refund_product_number": "FRAGT", "book": False}
    result = eco.create_credit_note(data, context("r3"))
    assert (result["netAmount"], result["grossAmount"], result["currency"]) == (D("-50.00"), D("-50.00"), "EUR")


def test_a_refund_before_its_invoice_is_held_and_an_unknown_invoice_is_a_data_error(eco: EconomicConnector) -> None:
    with pytest.raises(HeldError):
        eco.create_credit_note({"invoice_number": None, "amount": D("1")}, context("r4"))
    with pytest.raises(DataError) as caught:
        eco.create_credit_note({"invoice_number": 777, "amount": D("1"), "refund_product_number": "FRAGT"}, context("r5"))
    assert caught.value.field_path == "invoice_number" and "777 does not exist" in str(caught.value)


def test_negative_input_quantities_are_refused(eco: EconomicConnector) -> None:
    number = book_invoice(eco, "woo-2006")
    data = {"invoice_number": number, "lines": [{"product": {"productNumber": "100"}, "quantity": D("-1"), "unitNetPrice": D("1")}]}
    with pytest.raises(DataError) as caught:
        eco.create_credit_note(data, context("r6"))
    assert caught.value.field_path == "lines[0].quantity"


def test_finder_finds_the_booked_credit_note_by_the_refund_key(eco: EconomicConnector) -> None:
    number = book_invoice(eco, "woo-2007")
    data = {"invoice_number": number, "amount": D("10.00"), "refund_product_number": "FRAGT", "book": True}
    assert eco.find_effect("create_credit_note", data, context("r7")) is None
    made = eco.create_credit_note(data, context("r7"))
    found = eco.find_effect("create_credit_note", data, context("r7"))
    assert found is not None and found["bookedInvoiceNumber"] == made["bookedInvoiceNumber"]
    assert found["credited_invoice"] == number
