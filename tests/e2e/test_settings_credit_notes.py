"""Refunds become credit notes for the order's booked invoice: returned lines, shipping and fees,
amount-only refunds on the refund product (or the OSS product), the switches, and refunds that
wait for their invoice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

LINES = [{"sku": "KAF-500", "quantity": 2}, {"sku": "STEMP-8", "quantity": 1}]


def _money(value):
    return Decimal(str(value))


def _later(seconds: int = 5) -> str:
    """A modification time after anything the shop has seen (WooCommerce keeps whole seconds)."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")


def _transferred(shop_factory, integration_factory, settings=None, **order):
    shop = shop_factory()
    created = shop.create_order(**{"line_items": LINES, "shipping": "gls", **order})
    integration = integration_factory(shop, settings or {})
    integration.run()
    return shop, created, integration


def test_returned_lines_are_credited_with_positive_quantities(shop_factory, integration_factory, economic):
    shop, order, integration = _transferred(shop_factory, integration_factory)
    coffee = order["line_items"][0]
    refund = shop.refund(order["id"], reason="Returneret vare", line_items=[{"id": coffee["id"], "quantity": 1}])
    integration.run()
    invoice, note = economic.invoice(order), economic.credit_note(refund)
    assert _money(note["grossAmount"]) == -_money(refund["amount"])
    assert abs(_money(note["vatAmount"]) - sum(_money(li["total_tax"]) for li in refund["line_items"])) <= Decimal("0.10")
    [line] = note["lines"]
    assert (line["product"]["productNumber"], _money(line["quantity"]), _money(line["unitNetPrice"])) == (
        "KAF-500", Decimal(-1), Decimal("103.20"))
    assert note["customer"] == invoice["customer"]
    assert note["notes"] == {"heading": f"Kreditnota for faktura {invoice['bookedInvoiceNumber']} · ordre {order['number']}",
                             "textLine1": "Returneret vare"}


def test_a_full_refund_credits_items_shipping_and_fees(shop_factory, integration_factory, economic):
    shop, order, integration = _transferred(shop_factory, integration_factory, payment_method="mobilepay",
                                            fee={"name": "MobilePay-gebyr", "amount": "3.96"})
    items = [{"id": item["id"], "quantity": item["quantity"]} for item in order["line_items"]]
    items += [{"id": item["id"], "refund_total": item["total"], "refund_tax": [{"id": 1, "refund_total": item["total_tax"]}]}
              for kind in ("shipping_lines", "fee_lines") for item in order[kind]]
    refund = shop.refund(order["id"], reason="Fortrudt køb", line_items=items)
    integration.run()
    note = economic.credit_note(refund)
    assert _money(note["grossAmount"]) == -_money(order["total"])
    assert [li["product"]["productNumber"] for li in note["lines"]][:4] == ["KAF-500", "STEMP-8", "FRAGT", "GEBYR"]


@pytest.mark.parametrize(("settings", "product", "text"), [
    ({}, "REFUSION", "Refusion: Kompensation"),
    ({"refund_product": "RETUR", "refund_text": "Tilbagebetaling"}, "RETUR", "Tilbagebetaling: Kompensation"),
])
def test_an_amount_only_refund_goes_on_the_refund_product(shop_factory, integration_factory, economic,
                                                          settings, product, text):
    shop, order, integration = _transferred(shop_factory, integration_factory, settings)
    refund = shop.refund(order["id"], amount="50.00", reason="Kompensation")
    integration.run()
    note = economic.credit_note(refund)
    assert _money(note["grossAmount"]) == Decimal("-50.00")
    assert (note["lines"][0]["product"]["productNumber"], note["lines"][0]["description"]) == (product, text)


def test_an_oss_refund_is_credited_at_the_destination_rate(shop_factory, integration_factory, economic):
    shop, order, integration = _transferred(shop_factory, integration_factory, currency="EUR",
                                            billing={"country": "FI"})
    refund = shop.refund(order["id"], amount="10.00", reason="Kompensation")
    integration.run()
    note = economic.credit_note(refund)
    assert _money(note["grossAmount"]) == Decimal("-10.00")
    assert {(li["product"]["productNumber"], _money(li["vatRate"])) for li in note["lines"]
            if li["product"]["productNumber"] != "AFRUND"} == {("OSS-FI", Decimal("25.5"))}


def test_credit_notes_off_sends_no_credit_note(shop_factory, integration_factory, economic):
    shop, order, integration = _transferred(shop_factory, integration_factory, {"credit_notes": False})
    shop.refund(order["id"], amount="50.00")
    summary = integration.run()
    assert summary.flows["webshop/refunds"].filtered == 1
    assert len(economic.probe.collection("/invoices/booked")) == 1


def test_credit_notes_can_be_left_as_drafts(shop_factory, integration_factory, economic):
    shop, order, integration = _transferred(shop_factory, integration_factory, {"book_credit_notes": False})
    refund = shop.refund(order["id"], amount="50.00")
    integration.run()
    [draft] = economic.documents("refunds", f"refund-{refund['id']}", "credit_note", booked=False)
    assert _money(draft["grossAmount"]) == Decimal("-50.00")
    assert len(economic.probe.collection("/invoices/booked")) == 1


def test_a_refund_waits_for_its_orders_invoice(shop_factory, integration_factory, economic):
    shop, order, integration = _transferred(shop_factory, integration_factory, status="on-hold", payment_method="bacs")
    refund = shop.refund(order["id"], amount="25.00", reason="Kompensation")
    waiting = integration.run()
    assert waiting.flows["webshop/refunds"].held == 1 and economic.probe.collection("/invoices/booked") == []
    shop.set_status(order["id"], "processing", at=_later())
    integration.run()
    assert _money(economic.invoice(order)["grossAmount"]) == _money(order["total"])
    assert _money(economic.credit_note(refund)["grossAmount"]) == Decimal("-25.00")
    again = integration.run()
    assert again.flows["webshop/refunds"].held == 0 and sum(again.flows["webshop/refunds"].done.values()) == 0
