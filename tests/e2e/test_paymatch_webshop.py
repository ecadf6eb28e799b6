"""PayMatch on the webshop's own invoices, end to end: the woocommerce-economic recipe books card
orders unpaid in the e-conomic sandbox and a credit note per refund, the Stripe sandbox pays them
out (fees, refunds), and ``iex paymatch --payout`` against the same instance file settles the
invoices and credit notes in e-conomic. What e-conomic holds afterwards is read through its API;
a second run posts nothing."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from decimal import Decimal
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.sandbox import build, serve_in_thread

from connectors.stripe.sandbox import DEFAULT_SECRET_KEY as STRIPE_KEY

BANK, CLEARING, FEES, ERRORS = 5820, 5830, 7220, 7260      # the recipe's paymatch defaults (sandbox seed)
CARTS = [
    [{"sku": "KAF-500", "quantity": 2}],
    [{"sku": "TSHIRT-M", "quantity": 1}, {"sku": "KRUS-HVID", "quantity": 2}],
    [{"sku": "KAF-ESP-1000", "quantity": 1}],
    [{"sku": "KAF-500", "quantity": 1}, {"sku": "TSHIRT-XL", "quantity": 1}],
]
# card orders must stay open after booking for the itemised posting: a net term for Stripe
SETTINGS = {"payment_methods": {"stripe": {"payment_terms": 1}}}
REFUND = Decimal("50.00")


@pytest.fixture
def stripe_url() -> Iterator[str]:
    server = serve_in_thread(build("stripe", {}))
    yield server.url.rstrip("/")
    server.stop()


def _minor(amount: Any) -> int:
    return int(Decimal(str(amount)) * 100)


def _fee(minor: int) -> int:
    """1.4 % + 1.80 kr, in øre (Stripe's Danish card price)."""
    return minor * 14 // 1000 + 180


def _balances(economic: Any) -> dict[int, Decimal]:
    return {n: Decimal(str(economic.probe.get(f"/accounts/{n}")["balance"])) for n in (BANK, CLEARING, FEES, ERRORS)}


def _paymatch(integration: Any, payout_id: str, out: Any) -> Any:
    return CliRunner().invoke(cli, ["paymatch", "-c", str(integration.instance_file), "--payout", payout_id,
                                    "--out", str(out)], catch_exceptions=False)


def _webshop(shop_factory: Any, integration_factory: Any, economic: Any, stripe_url: str,
             refunds: tuple[Decimal, ...] = (REFUND,), settings: dict[str, Any] = SETTINGS) -> tuple[Any, list, Any]:
    """Four card orders booked unpaid, the third refunded in part (once per amount in
    ``refunds``; each refund a booked credit note when the settings book credit notes)."""
    shop = shop_factory()
    orders = [shop.create_order(line_items=cart, payment_method="stripe", transaction_id=f"ch_e2e_{i}")
              for i, cart in enumerate(CARTS, start=1)]
    integration = integration_factory(shop, settings, stripe_url=stripe_url)
    integration.run()
    for amount in refunds:
        shop.refund(orders[2]["id"], amount=str(amount), reason="Fortrudt køb")
    integration.run()
    assert integration.dead_letters() == []
    for order in orders:
        invoice = economic.invoice(order)
        assert Decimal(str(invoice["remainder"])) == Decimal(order["total"])        # booked unpaid
    if settings.get("credit_notes", True):
        assert sorted(Decimal(str(economic.credit_note(r)["remainder"])) for r in shop.refunds()) == sorted(
            -amount for amount in refunds)
    return shop, orders, integration


def _payout(stripe_url: str, orders: list[dict[str, Any]], refunds: tuple[Decimal, ...] = (REFUND,)) -> dict[str, Any]:
    """The customers paid by card; Stripe pays the charges out less its fees, and the refunds of
    the third order (50 kr unless told) are taken from the same payout."""
    charges = [{"type": "charge", "amount": _minor(o["total"]), "fee": _fee(_minor(o["total"])),
                "charge_id": o["transaction_id"], "metadata": {"order_id": o["number"]}} for o in orders]
    paid_back = [{"type": "refund", "amount": -_minor(amount), "fee": 0, "charge_id": orders[2]["transaction_id"]}
                 for amount in refunds]
    response = httpx.post(f"{stripe_url}/_sandbox/payouts", json={
        "currency": "dkk", "created": "2025-03-11", "arrival_date": "2025-03-13",
        "transactions": [*charges, *paid_back]})
    assert response.status_code < 300, response.text
    return response.json()


def _refund_lines(out: Path, payout: dict[str, Any]) -> list[dict[str, str]]:
    """The refund rows of the per-line result file ``iex paymatch`` wrote."""
    with (out / f"paymatch-{payout['id']}.csv").open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["type"] == "refund"]


def test_a_stripe_payout_settles_the_webshops_invoices(shop_factory, integration_factory, economic, stripe_url,
                                                       tmp_path):
    _, orders, integration = _webshop(shop_factory, integration_factory, economic, stripe_url)
    payout = _payout(stripe_url, orders)
    before = _balances(economic)

    first = _paymatch(integration, payout["id"], tmp_path / "out")
    assert first.exit_code == 0, first.output
    assert "posted 1 voucher(s) to journal 2 and booked it" in first.output

    for order in (orders[0], orders[1], orders[3]):
        assert Decimal(str(economic.invoice(order)["remainder"])) == 0, order["number"]
    fees = Decimal(sum(_fee(_minor(o["total"])) for o in orders)) / 100
    after = _balances(economic)
    moved = {account: after[account] - before[account] for account in after}
    assert moved[FEES] == fees                                          # the fee account holds the fees
    assert moved[BANK] == Decimal(payout["amount"]) / 100               # the bank got the payout
    assert moved[CLEARING] == 0 and moved[ERRORS] == 0                  # every line accounted for exactly
    # the refund went back to the customer against the credit note the refunds flow booked (see
    # below); the customer owes nothing
    refunded = economic.invoice(orders[2])
    [note] = [doc for doc in economic.booked() if Decimal(str(doc["grossAmount"])) == -REFUND]
    assert Decimal(str(refunded["remainder"])) + Decimal(str(note["remainder"])) == 0

    remainders = {doc["bookedInvoiceNumber"]: doc["remainder"] for doc in economic.booked()}
    second = _paymatch(integration, payout["id"], tmp_path / "again")
    assert second.exit_code == 0, second.output
    assert "posted 0 voucher(s)" in second.output
    assert {doc["bookedInvoiceNumber"]: doc["remainder"] for doc in economic.booked()} == remainders
    assert _balances(economic) == after


def test_the_instance_without_a_stripe_connection_is_told_to_add_one(shop_factory, integration_factory, economic,
                                                                     tmp_path):
    shop = shop_factory()
    integration = integration_factory(shop, SETTINGS)                # PayMatch is not set up for Stripe
    integration.write()
    result = _paymatch(integration, "po_123", tmp_path)
    assert result.exit_code == 1
    assert "stripe connection needs secret_key" in result.output and STRIPE_KEY not in result.output


def test_a_refund_in_the_payout_settles_its_credit_note(shop_factory, integration_factory, economic, stripe_url,
                                                        tmp_path):
    shop, orders, integration = _webshop(shop_factory, integration_factory, economic, stripe_url)
    payout = _payout(stripe_url, orders)
    assert _paymatch(integration, payout["id"], tmp_path).exit_code == 0
    [refund] = shop.refunds()
    note = economic.credit_note(refund)
    assert Decimal(str(note["remainder"])) == 0
    assert Decimal(str(economic.invoice(orders[2])["remainder"])) == 0
    [line] = _refund_lines(tmp_path, payout)
    assert (line["class"], line["document"], line["invoice_number"], line["review"]) == (
        "matched_exact", "credit_note", str(note["bookedInvoiceNumber"]), "false")


def test_two_refunds_of_one_order_settle_their_own_credit_notes(shop_factory, integration_factory, economic,
                                                                 stripe_url, tmp_path):
    amounts = (Decimal("30.00"), Decimal("20.00"))
    shop, orders, integration = _webshop(shop_factory, integration_factory, economic, stripe_url, refunds=amounts)
    payout = _payout(stripe_url, orders, refunds=amounts[::-1])       # the payout lists them the other way round
    result = _paymatch(integration, payout["id"], tmp_path)
    assert result.exit_code == 0, result.output
    notes = {Decimal(str(refund["amount"])): economic.credit_note(refund) for refund in shop.refunds()}
    assert {amount: Decimal(str(note["remainder"])) for amount, note in notes.items()} == {a: 0 for a in amounts}
    assert Decimal(str(economic.invoice(orders[2])["remainder"])) == 0
    settled = {Decimal(line["amount"]): int(line["invoice_number"]) for line in _refund_lines(tmp_path, payout)}
    assert settled == {-amount: note["bookedInvoiceNumber"] for amount, note in notes.items()}


def test_a_refund_without_a_credit_note_is_paid_back_against_the_invoice_for_review(
        shop_factory, integration_factory, economic, stripe_url, tmp_path):
    settings = {**SETTINGS, "credit_notes": False}                   # the shop refunds; nothing books a credit note
    _, orders, integration = _webshop(shop_factory, integration_factory, economic, stripe_url, settings=settings)
    payout = _payout(stripe_url, orders)
    before = _balances(economic)
    result = _paymatch(integration, payout["id"], tmp_path)
    assert result.exit_code == 0, result.output
    invoice = economic.invoice(orders[2])
    assert Decimal(str(invoice["remainder"])) == REFUND               # paid in full, then 50 kr paid back
    assert _balances(economic)[CLEARING] == before[CLEARING]
    [line] = _refund_lines(tmp_path, payout)
    assert (line["document"], line["invoice_number"], line["review"]) == (
        "invoice", str(invoice["bookedInvoiceNumber"]), "true")
    assert "no credit note found for this refund" in line["reason"] and "book a credit note" in line["reason"]
