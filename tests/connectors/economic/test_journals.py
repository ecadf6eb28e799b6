"""post_vouchers and book_journal against the sandbox: bulk posting, skipping what is there,
booking through the Journals API, and the invoice's remainder afterwards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from engine.errors import DataError

from connectors.economic.connector import EconomicConnector
from connectors.economic.testing import Probe, context, sandbox_connector

TODAY = dt.date.today().isoformat()




def booked_invoice(eco: EconomicConnector, reference: str) -> int:
    data = {"date": TODAY, "currency": "DKK", "customer": {"customerNumber": 1}, "paymentTerms": {"paymentTermsNumber": 1},
            "layout": {"layoutNumber": 19}, "recipient": {"name": "Tøj & Co", "vatZone": {"vatZoneNumber": 1}},
            "references": {"other": reference}, "book": True,
            "lines": [{"product": {"productNumber": "100"}, "description": "T-shirt", "quantity": D("1"), "unitNetPrice": D("159.20")}]}
    return eco.create_invoice(data, context(reference))["bookedInvoiceNumber"]


def payout(invoice: int, reference: str) -> dict[str, Any]:
    return {"reference": reference, "text": f"Stripe udbetaling {reference}", "entries": {
        "customerPayments": [{"customer": {"customerNumber": 1}, "amount": D("-199.00"), "currency": {"code": "DKK"},
                              "date": TODAY, "customerInvoice": invoice, "contraAccount": {"accountNumber": 5830}}],
        "financeVouchers": [{"account": {"accountNumber": 7220}, "contraAccount": {"accountNumber": 5830},
                             "amount": D("2.99"), "currency": {"code": "DKK"}, "date": TODAY, "text": "Gebyr"}],
    }}


def test_vouchers_are_posted_once_and_booking_settles_the_invoice(eco: EconomicConnector, probe: Probe) -> None:
    first, second = booked_invoice(eco, "woo-4001"), booked_invoice(eco, "woo-4002")
    data = {"journalNumber": 2, "vouchers": [payout(first, "po_1"), payout(second, "po_2")]}
    result = eco.post_vouchers(data, context("payout-1"))
    assert result["posted"] == 2 and result["skipped"] == 0
    assert [v["reference"] for v in result["vouchers"]] == ["po_1", "po_2"]
    assert all(v["voucherNumber"] is not None for v in result["vouchers"])
    assert probe.calls()["POST /journals/{id}/vouchers"] == 1  # one bulk call
    entries = probe.collection("/journals/2/entries")
    assert sorted(e["text"] for e in entries) == ["Gebyr [po_1]", "Gebyr [po_2]",
                                                   "Stripe udbetaling po_1 [po_1]", "Stripe udbetaling po_2 [po_2]"]

    again = eco.post_vouchers(data, context("payout-1"))
    assert (again["posted"], again["skipped"]) == (0, 2) and again["vouchers"] == result["vouchers"]
    assert len(probe.collection("/journals/2/entries")) == 4

    assert eco.find_effect("book_journal", {"journalNumber": 2}, context("book-1")) is None
    assert eco.book_journal({"journalNumber": 2}, context("book-1")) == {"booked": True, "journalNumber": 2}
    assert probe.collection("/journals/2/entries") == []
    assert probe.get(f"/invoices/booked/{first}")["remainder"] == D("0.00")
    assert probe.get(f"/invoices/booked/{second}")["remainder"] == D("0.00")
    assert eco.find_effect("book_journal", {"journalNumber": 2}, context("book-1")) is not None
    # a repeat after a lost answer: nothing left to book is success, not an error
    assert eco.book_journal({"journalNumber": 2}, context("book-1"))["booked"] is True


def test_the_finder_reports_vouchers_only_when_all_are_there(eco: EconomicConnector) -> None:
    invoice = booked_invoice(eco, "woo-4003")
    one = {"journalNumber": 2, "vouchers": [payout(invoice, "po_3")]}
    both = {"journalNumber": 2, "vouchers": [payout(invoice, "po_3"), payout(invoice, "po_4")]}
    eco.post_vouchers(one, context("p"))
    assert eco.find_effect("post_vouchers", both, context("p")) is None
    found = eco.find_effect("post_vouchers", one, context("p"))
    assert found is not None and found["vouchers"][0]["reference"] == "po_3"


def test_an_unbalanced_journal_is_not_booked_and_says_why(eco: EconomicConnector, probe: Probe) -> None:
    lonely = {"reference": "po_9", "entries": {"financeVouchers": [
        {"account": {"accountNumber": 7220}, "amount": D("10.00"), "date": TODAY, "text": "Uden modkonto"}]}}
    eco.post_vouchers({"journalNumber": 1, "vouchers": [lonely]}, context("p9"))
    with pytest.raises(DataError, match="does not balance"):
        eco.book_journal({"journalNumber": 1}, context("b9"))
    assert len(probe.collection("/journals/1/entries")) == 1


def test_a_voucher_error_points_at_the_input_voucher(eco: EconomicConnector) -> None:
    good = {"reference": "ok", "entries": {"financeVouchers": [
        {"account": {"accountNumber": 7220}, "contraAccount": {"accountNumber": 5820}, "amount": D("1.00"), "date": TODAY}]}}
    bad = {"reference": "bad", "entries": {"financeVouchers": [
        {"account": {"accountNumber": 4242}, "contraAccount": {"accountNumber": 5820}, "amount": D("1.00"), "date": TODAY}]}}
    with pytest.raises(DataError) as caught:
        eco.post_vouchers({"journalNumber": 1, "vouchers": [good, bad]}, context("p10"))
    assert caught.value.field_path == "vouchers[1].entries.financeVouchers[0].account"
    assert "voucher bad" in str(caught.value)


def test_unknown_journal_is_a_data_error(eco: EconomicConnector) -> None:
    with pytest.raises(DataError, match=r"journal 99 does not exist in e-conomic \(known: 1, 2\)"):
        eco.post_vouchers({"journalNumber": 99, "vouchers": []}, context("p11"))


def test_large_batches_are_split_into_bulk_calls(eco: EconomicConnector, probe: Probe, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.economic import journals
    monkeypatch.setattr(journals, "CHUNK", 2)
    vouchers = [{"reference": f"v{i}", "entries": {"financeVouchers": [
        {"account": {"accountNumber": 7220}, "contraAccount": {"accountNumber": 5820}, "amount": D("1.00"), "date": TODAY}]}}
        for i in range(5)]
    result = eco.post_vouchers({"journalNumber": 1, "vouchers": vouchers}, context("bulk"))
    assert result["posted"] == 5 and probe.calls()["POST /journals/{id}/vouchers"] == 3
    assert len({v["voucherNumber"] for v in result["vouchers"]}) == 5


def test_plan_mode_posts_and_books_nothing(economic_sandbox: Any, probe: Probe) -> None:
    from engine.connector import Runtime
    runtime = Runtime(dry_run=True)
    eco = sandbox_connector(economic_sandbox.url, runtime=runtime)
    voucher = {"reference": "plan-1", "entries": {"financeVouchers": [
        {"account": {"accountNumber": 7220}, "contraAccount": {"accountNumber": 5820}, "amount": D("1.00"), "date": TODAY}]}}
    result = eco.post_vouchers({"journalNumber": 1, "vouchers": [voucher]}, context("plan", dry_run=True))
    assert result["posted"] == 1 and result["vouchers"] == [{"reference": "plan-1", "voucherNumber": None}]
    assert eco.book_journal({"journalNumber": 1}, context("plan-book", dry_run=True))["booked"] is True
    assert [p["method"] for p in runtime.cache["plan"]] == ["POST", "POST"]
    assert probe.collection("/journals/1/entries") == []
    eco.close()
