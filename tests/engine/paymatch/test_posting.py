"""Vouchers: one per payout, e-conomic's entry shapes, signs as e-conomic reads them, balanced."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal

import pytest

from engine.paymatch import build_vouchers, match, voucher_input
from engine.paymatch.invoices import create_table

D = Decimal
CP_KEYS = {"customer", "amount", "currency", "date", "text", "customerInvoice", "contraAccount"}
FV_KEYS = {"account", "amount", "currency", "date", "text", "contraAccount"}


def _report_totals(kit) -> tuple[Decimal, Decimal]:
    """Net to the bank and fees, computed from the fixture file itself (valid lines only)."""
    net = fees = D(0)
    with (kit.FIXTURES / "stripe_itemized.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["gross"] == "abc":
                continue
            net += D(row["net"])
            fees += D(row["fee"]) - (D(row["gross"]) if row["reporting_category"] == "fee" else 0)
    return net, fees


def _vouchers(con, kit, **changes):
    settings = kit.settings(**changes)
    kit.load_fixture(con, "stripe_itemized.csv")
    create_table(con, kit.fixture_invoices())
    match(con, settings.rules)
    return build_vouchers(con, settings), settings


def _balances(voucher: dict) -> dict[str, Decimal]:
    """Debit minus credit per account ('debtor N' for customers), in the entry currencies."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for entry in voucher["entries"].get("customerPayments", []):
        out[f"debtor {entry['customer']['customerNumber']}"] += entry["amount"]
        out[str(entry["contraAccount"]["accountNumber"])] -= entry["amount"] * entry.get("exchangeRate", 100) / 100
    for entry in voucher["entries"]["financeVouchers"]:
        out[str(entry["account"]["accountNumber"])] += entry["amount"]
        if "contraAccount" in entry:
            out[str(entry["contraAccount"]["accountNumber"])] -= entry["amount"]
    return out


def test_itemised_voucher_settles_invoices_and_closes_the_clearing_account(con, kit):
    vouchers, settings = _vouchers(con, kit)
    assert [v.payout_id for v in vouchers] == ["po_A"]
    body = vouchers[0].body
    net, fees = _report_totals(kit)
    balances = _balances(body)
    assert balances["5830"] == 0                       # clearing: everything in the payout is accounted for
    assert balances["5820"] == net                     # one bank line with the net payout
    assert balances["7220"] == fees
    assert balances["7290"] == D("0.40")               # 99.60 paid on 100.00: the shortfall is an error
    assert balances["5840"] == D("0.00")               # chargeback and its reversal
    assert balances["5850"] == D("-153.00")            # twins 75 + unknown 33 + review 45 wait in suspense
    bank = body["entries"]["financeVouchers"][0]
    assert (bank["account"], bank["contraAccount"], bank["amount"]) == ({"accountNumber": 5820},
                                                                       {"accountNumber": 5830}, net)


def test_customer_payments_credit_the_debtor_and_name_the_invoice(con, kit):
    vouchers, _ = _vouchers(con, kit)
    payments = {p["customerInvoice"]: p for p in vouchers[0].body["entries"]["customerPayments"]}
    assert {n: p["amount"] for n, p in payments.items()} == {
        1001: D("-100.00"), 1002: D("-150.00"), 1003: D("30.00"), 1006: D("50.00"), 1008: D("-40.00"),
        1012: D("-100.00")}
    for number, payment in payments.items():
        assert set(payment) - {"exchangeRate"} == CP_KEYS
        assert payment["contraAccount"] == {"accountNumber": 5830}
        assert payment["date"] == "2024-03-08"           # the payout's date
        assert isinstance(payment["amount"], Decimal) and payment["amount"].as_tuple().exponent == -2
    assert payments[1001]["customer"] == {"customerNumber": 10}
    # money paid back: a debit to the debtor that closes the credit note (or, lacking one, the invoice)
    assert payments[1006]["text"] == "Refund txn_refund_cn credit note 1006"
    assert payments[1003]["text"] == "Refund txn_refund_inv invoice 1003"
    assert payments[1008]["currency"] == {"code": "EUR"}
    assert payments[1008]["exchangeRate"] == D("746.000000")   # 298.40 DKK for 40.00 EUR
    assert "exchangeRate" not in payments[1001]


def test_finance_entries_have_economic_shape(con, kit):
    vouchers, _ = _vouchers(con, kit)
    for entry in vouchers[0].body["entries"]["financeVouchers"]:
        assert set(entry) == FV_KEYS
        assert entry["currency"] == {"code": "DKK"} and len(entry["text"]) <= 250
    chargebacks = [e["amount"] for e in vouchers[0].body["entries"]["financeVouchers"]
                   if e["account"]["accountNumber"] == 5840]
    assert chargebacks == [D("300.00"), D("-300.00")]      # debit on the chargeback, credit on its reversal


def test_voucher_input_is_what_post_vouchers_takes(con, kit):
    vouchers, settings = _vouchers(con, kit, journal={"number": 7, "accounting_year": "2024"})
    data = voucher_input(vouchers, settings)
    assert data["journalNumber"] == 7 and data["accountingYear"] == "2024"
    assert data["vouchers"][0]["reference"].startswith("PM po_A ")
    assert "[" not in data["vouchers"][0]["reference"]


def test_the_reference_is_stable_for_the_same_lines(con, kit):
    first, _ = _vouchers(con, kit)
    second, _ = _vouchers(con, kit)
    assert first[0].reference == second[0].reference
    assert len(first[0].line_keys) == 12


def test_pooled_mode_posts_bank_fees_and_receivable(con, kit):
    vouchers, _ = _vouchers(con, kit, mode="pooled")
    entries = vouchers[0].body["entries"]
    assert "customerPayments" not in entries
    lines = {e["account"]["accountNumber"]: e["amount"] for e in entries["financeVouchers"]}
    net, fees = _report_totals(kit)
    assert lines == {5820: net, 7220: fees, 5830: -(net + fees)}
    assert sum(lines.values()) == 0
    assert all("contraAccount" not in e for e in entries["financeVouchers"])


@pytest.mark.parametrize("mode", ["itemised", "pooled"])
def test_each_payout_gets_its_own_voucher(con, kit, mode):
    kit.load_fixture(con, "stripe_itemized_overlap.csv", "stripe_itemized")
    settings = kit.settings(mode=mode)
    create_table(con, kit.fixture_invoices())
    match(con, settings.rules)
    vouchers = build_vouchers(con, settings)
    assert sorted(v.payout_id for v in vouchers) == ["po_A", "po_B"]
    for voucher in vouchers:
        balances = _balances(voucher.body)
        if mode == "itemised":
            assert balances["5830"] == 0
        else:
            assert sum(e["amount"] for e in voucher.body["entries"]["financeVouchers"]) == 0
