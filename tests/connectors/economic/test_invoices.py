"""create_invoice against the sandbox: what e-conomic holds after booking, totals validation,
rounding lines, VAT zones (domestic, EU B2B 0 %, OSS), EAN sending, updates, plan mode, PDFs."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from engine.connector import Runtime
from engine.errors import DataError

from connectors.economic.connector import EconomicConnector
from connectors.economic.testing import Probe, context, sandbox_connector




def line(number: str, quantity: str, price: str, description: str = "Vare") -> dict[str, Any]:
    return {"product": {"productNumber": number}, "description": description, "quantity": D(quantity),
            "unitNetPrice": D(price), "discountPercentage": D("0")}


def invoice(reference: str, lines: list[dict[str, Any]], *, customer: int = 1, zone: int = 1, currency: str = "DKK",
            **extra: Any) -> dict[str, Any]:
    return {
        "date": _today(), "currency": currency, "customer": {"customerNumber": customer},
        "paymentTerms": {"paymentTermsNumber": 1}, "layout": {"layoutNumber": 19},
        "recipient": {"name": "Tøj & Co", "address": "Vejlevej 21", "zip": "7000", "city": "Fredericia",
                      "country": "Denmark", "vatZone": {"vatZoneNumber": zone}},
        "notes": {"heading": f"Ordre {reference}"}, "references": {"other": reference}, "lines": lines, **extra,
    }


def _today() -> str:
    import datetime as dt
    return dt.date.today().isoformat()


def drafts_with(probe: Probe, reference: str) -> list[dict[str, Any]]:
    return probe.collection("/invoices/drafts", filter=f"references.other$eq:{reference}")


def test_a_booked_invoice_holds_the_lines_totals_vat_and_reference(eco: EconomicConnector, probe: Probe) -> None:
    data = invoice("woo-1001", [line("100", "2", "159.20", "T-shirt"), line("FRAGT", "1", "39.20", "Fragt")],
                   book=True, expected={"gross": D("447.00"), "vat": D("89.40"), "currency": "DKK"}, tolerance=D("0.10"))
    result = eco.create_invoice(data, context("1001"))
    assert result["booked"] is True and result["roundingLine"] is None
    assert (result["netAmount"], result["vatAmount"], result["grossAmount"]) == (D("357.60"), D("89.40"), D("447.00"))
    booked = probe.get(f"/invoices/booked/{result['bookedInvoiceNumber']}")
    assert booked["references"]["other"] == "woo-1001"
    assert booked["grossAmount"] == D("447.00") and booked["vatAmount"] == D("89.40")
    assert [(ln["product"]["productNumber"], ln["quantity"], ln["unitNetPrice"], ln["vatRate"]) for ln in booked["lines"]] == [
        ("100", D("2"), D("159.20"), D("25.00")), ("FRAGT", D("1"), D("39.20"), D("25.00"))]
    assert drafts_with(probe, "woo-1001") == []


def test_a_gross_difference_within_tolerance_gets_a_vat_free_rounding_line(eco: EconomicConnector, probe: Probe) -> None:
    eco.ensure_product({"productNumber": "DIFF", "name": "Øreafrunding", "productGroupNumber": 2}, context("p"))
    data = invoice("woo-1002", [line("100", "1", "159.19")], book=True,
                   expected={"gross": D("199.03")}, tolerance=D("0.10"), rounding_product_number="DIFF")
    result = eco.create_invoice(data, context("1002"))
    # e-conomic: 159.19 + 39.80 VAT = 198.99; the shop said 199.03
    assert result["roundingLine"] == D("0.04") and result["grossAmount"] == D("199.03") and result["booked"]
    booked = probe.get(f"/invoices/booked/{result['bookedInvoiceNumber']}")
    rounding = [ln for ln in booked["lines"] if ln["product"]["productNumber"] == "DIFF"]
    assert len(rounding) == 1 and rounding[0]["unitNetPrice"] == D("0.04") and rounding[0]["vatRate"] == D("0")
    assert rounding[0]["description"] == "Øreafrunding" and booked["grossAmount"] == D("199.03")


def test_a_difference_above_tolerance_leaves_the_draft_and_names_both_amounts(eco: EconomicConnector, probe: Probe) -> None:
    data = invoice("woo-1003", [line("100", "1", "159.20")], book=True, expected={"gross": D("198.50")}, tolerance=D("0.10"))
    with pytest.raises(DataError) as caught:
        eco.create_invoice(data, context("1003"))
    drafts = drafts_with(probe, "woo-1003")
    assert len(drafts) == 1
    assert str(caught.value).startswith(
        f"totals differ: e-conomic gross 199.00, order total 198.50, difference 0.50 > tolerance 0.10; "
        f"draft {drafts[0]['draftInvoiceNumber']} left for review")
    assert probe.collection("/invoices/booked") == []


def test_vat_that_differs_beyond_tolerance_is_refused(eco: EconomicConnector) -> None:
    data = invoice("woo-1004", [line("100", "1", "159.20")], book=True,
                   expected={"gross": D("199.00"), "vat": D("31.84")}, tolerance=D("0.10"))
    with pytest.raises(DataError, match=r"VAT differs: e-conomic VAT 39.80, order total VAT 31.84"):
        eco.create_invoice(data, context("1004"))


def test_eu_business_customer_gets_zero_vat(eco: EconomicConnector, probe: Probe) -> None:
    data = invoice("woo-1005", [line("100", "3", "20.00")], customer=2, zone=2, currency="EUR", book=True,
                   expected={"gross": D("60.00"), "vat": D("0.00"), "currency": "EUR"})
    result = eco.create_invoice(data, context("1005"))
    booked = probe.get(f"/invoices/booked/{result['bookedInvoiceNumber']}")
    assert booked["currency"] == "EUR" and booked["vatAmount"] == D("0.00") and booked["grossAmount"] == D("60.00")


def test_an_oss_line_is_taxed_at_the_destination_rate(eco: EconomicConnector, probe: Probe) -> None:
    # Product group 1006 is "OSS DE": its EU sales account carries German VAT (19 %).
    eco.ensure_product({"productNumber": "100-DE", "name": "T-shirt (DE)", "productGroupNumber": 1006}, context("p"))
    data = invoice("woo-1006", [line("100-DE", "1", "100.00")], zone=2, currency="EUR", book=True,
                   expected={"gross": D("119.00"), "vat": D("19.00")})
    result = eco.create_invoice(data, context("1006"))
    booked = probe.get(f"/invoices/booked/{result['bookedInvoiceNumber']}")
    assert booked["lines"][0]["vatRate"] == D("19.00") and booked["grossAmount"] == D("119.00")


def test_ean_invoices_are_sent_by_ean_when_booked(eco: EconomicConnector, probe: Probe) -> None:
    contact = probe.post("/customers/1/contacts", {"name": "Indkøb", "email": "indkob@tojco.dk"})
    lines = [line("100", "1", "159.20")]
    without_ean = invoice("kommune-1", lines, book=True, send_by="ean")
    with pytest.raises(DataError) as caught:
        eco.create_invoice(without_ean, context("k1"))
    assert caught.value.field_path == "recipient.ean" and "left unbooked" in str(caught.value)
    data = invoice("kommune-2", lines, book=True, send_by="ean")
    data["recipient"].update(ean="5790000000001", attention={"customerContactNumber": contact["customerContactNumber"]})
    result = eco.create_invoice(data, context("k2"))
    assert result["booked"] is True
    assert probe.get(f"/invoices/booked/{result['bookedInvoiceNumber']}")["recipient"]["ean"] == "5790000000001"


def test_three_decimals_on_a_price_is_a_data_error_at_that_line(eco: EconomicConnector, probe: Probe) -> None:
    data = invoice("woo-1007", [line("100", "1", "10.00"), line("100", "1", "10.125")])
    with pytest.raises(DataError) as caught:
        eco.create_invoice(data, context("1007"))
    assert caught.value.field_path == "lines[1].unitNetPrice"
    assert "E04740" in str(caught.value)


def test_unknown_layout_fails_before_any_post(eco: EconomicConnector, probe: Probe) -> None:
    data = invoice("woo-1008", [line("100", "1", "10.00")], layout={"layoutNumber": 5})
    with pytest.raises(DataError) as caught:
        eco.create_invoice(data, context("1008"))
    assert caught.value.field_path == "layout.layoutNumber" and "layout 5 does not exist in e-conomic (known: 19, 21)" in str(caught.value)
    assert "POST /invoices/drafts" not in probe.calls()


def test_an_unbooked_draft_is_updated_in_place_and_a_booked_one_is_not(eco: EconomicConnector, probe: Probe) -> None:
    first = eco.create_invoice(invoice("woo-1009", [line("100", "1", "159.20")]), context("1009"))
    assert first["booked"] is False and first["draftInvoiceNumber"] is not None
    changed = invoice("woo-1009", [line("100", "2", "159.20")], book=True, expected={"gross": D("398.00")})
    second = eco.create_invoice(changed, context("1009", previous=first))
    assert second["booked"] is True and second["draftInvoiceNumber"] == first["draftInvoiceNumber"]
    booked = probe.collection("/invoices/booked", filter="references.other$eq:woo-1009")
    assert len(booked) == 1 and booked[0]["grossAmount"] == D("398.00")
    third = eco.create_invoice(invoice("woo-1009", [line("100", "5", "159.20")]), context("1009", previous=second))
    assert third["changed_after_booking"] is True and third["bookedInvoiceNumber"] == second["bookedInvoiceNumber"]
    assert len(probe.collection("/invoices/booked")) == 1 and drafts_with(probe, "woo-1009") == []


def test_plan_mode_sends_no_write_and_does_not_crash_on_echoes(economic_sandbox: Any, probe: Probe) -> None:
    runtime = Runtime(dry_run=True)
    eco = sandbox_connector(economic_sandbox.url, runtime=runtime)
    data = invoice("woo-1010", [line("100", "1", "159.20")], book=True, expected={"gross": D("1.00")})
    result = eco.create_invoice(data, context("1010", dry_run=True))
    assert result["bookedInvoiceNumber"] is None
    assert [(p["method"], p["url"].rsplit("/", 2)[-2:]) for p in runtime.cache["plan"]] == [
        ("POST", ["invoices", "drafts"]), ("POST", ["invoices", "booked"])]
    assert not any(key.startswith(("POST", "PUT")) for key in probe.calls())


def test_the_pdf_of_a_booked_invoice_is_written_to_a_file(eco: EconomicConnector, tmp_path: Path) -> None:
    booked = eco.create_invoice(invoice("woo-1011", [line("100", "1", "159.20")], book=True), context("1011"))
    target = tmp_path / "pdf" / "faktura.pdf"
    result = eco.get_invoice_pdf({"bookedInvoiceNumber": booked["bookedInvoiceNumber"], "path": str(target)}, context("1011"))
    assert target.read_bytes().startswith(b"%PDF") and result["bytes"] == target.stat().st_size
    with pytest.raises(DataError, match="booked invoice 4711 does not exist"):
        eco.get_invoice_pdf({"bookedInvoiceNumber": 4711, "path": str(target)}, context("x"))


def test_fields_a_record_lacks_are_left_out_rather_sent_as_null(eco: EconomicConnector, probe: Probe) -> None:
    data = invoice("woo-1012", [line("100", "1", "159.20")], dueDate=None, delivery=None)
    data["recipient"]["ean"] = None
    data["notes"]["textLine1"] = None
    result = eco.create_invoice(data, context("1012"))
    draft = probe.get(f"/invoices/drafts/{result['draftInvoiceNumber']}")
    assert "ean" not in draft["recipient"] and "textLine1" not in draft["notes"]


def test_book_with_number_chooses_the_invoice_number(eco: EconomicConnector, probe: Probe) -> None:
    result = eco.create_invoice(invoice("woo-1013", [line("100", "1", "159.20")], book=True, book_with_number=70001),
                                context("1013"))
    assert result["bookedInvoiceNumber"] == 70001
    assert probe.get("/invoices/booked/70001")["references"]["other"] == "woo-1013"
    with pytest.raises(DataError, match="left unbooked for review") as caught:
        eco.create_invoice(invoice("woo-1014", [line("100", "1", "1.00")], book=True, book_with_number=70001), context("1014"))
    assert caught.value.field_path == "book_with_number"
    assert len(drafts_with(probe, "woo-1014")) == 1
