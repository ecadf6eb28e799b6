"""Transfer settings: trigger statuses, invoice or order, booking, draft updates, payment setup, layouts."""

from __future__ import annotations

from decimal import Decimal

import pytest

KAFFE = [{"sku": "KAF-500", "quantity": 2}]


@pytest.mark.parametrize(("statuses", "sent"), [
    (None, {"processing", "completed"}),
    (["on-hold"], {"on-hold"}),
    (["completed", "pending"], {"completed", "pending"}),
])
def test_only_orders_in_a_transfer_status_are_sent(shop_factory, integration_factory, economic, statuses, sent):
    shop = shop_factory()
    orders = {status: shop.create_order(line_items=KAFFE, status=status, payment_method="bacs")
              for status in ("processing", "completed", "on-hold", "pending", "cancelled")}
    integration = integration_factory(shop, {"statuses": statuses} if statuses else {})
    integration.run()
    for status, order in orders.items():
        assert len(economic.documents("orders", order["id"], "invoice")) == (1 if status in sent else 0), status


def test_an_order_is_sent_when_it_reaches_a_transfer_status_and_only_once(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=KAFFE, status="on-hold", payment_method="bacs")
    integration = integration_factory(shop)
    integration.run()
    assert economic.documents("orders", order["id"], "invoice") == []
    shop.set_status(order["id"], "processing", at="2025-03-11T09:00:00")
    integration.run()
    shop.set_status(order["id"], "completed", at="2025-03-12T09:00:00")
    later = integration.run()
    assert economic.invoice(order)["grossAmount"] == Decimal(order["total"])
    counts = later.flows["webshop/orders"]
    assert (counts.seen, sum(counts.done.values()), counts.already_done >= 1) == (1, 0, True)


def test_document_type_order_makes_an_economic_order_and_no_credit_notes(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=KAFFE, shipping="gls")
    integration = integration_factory(shop, {"document_type": "order"})
    integration.run()
    shop.refund(order["id"], amount="50.00", reason="Kompensation")
    summary = integration.run()
    [economic_order] = economic.probe.collection("/orders/drafts", filter=f"references.other$eq:webshop/orders/{order['id']}/order")
    assert Decimal(str(economic_order["grossAmount"])) == Decimal(order["total"])
    assert economic.probe.collection("/invoices/booked") == [] and economic.probe.collection("/invoices/drafts") == []
    assert summary.flows["webshop/refunds"].filtered == 1


def test_booking_off_leaves_checked_drafts_and_refunds_wait(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=KAFFE)
    integration = integration_factory(shop, {"book_invoices": False})
    integration.run()
    [draft] = economic.documents("orders", order["id"], "invoice", booked=False)
    assert (draft["grossAmount"], draft["vatAmount"]) == (Decimal(order["total"]), Decimal(order["total_tax"]))
    assert economic.probe.collection("/invoices/booked") == []
    shop.refund(order["id"], amount="20.00")
    summary = integration.run()
    assert summary.flows["webshop/refunds"].held == 1
    assert len(economic.probe.collection("/invoices/drafts")) == 1


def test_an_unbooked_draft_is_updated_when_the_order_changes(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=KAFFE, customer_note="Ring før levering")
    integration = integration_factory(shop, {"book_invoices": False})
    integration.run()
    [before] = economic.documents("orders", order["id"], "invoice", booked=False)
    shop.update_order(order["id"], {"customer_note": "Stil pakken ved døren",
                                    "billing": {"address_1": "Nørregade 7"}})
    summary = integration.run()
    [after] = economic.documents("orders", order["id"], "invoice", booked=False)
    assert after["draftInvoiceNumber"] == before["draftInvoiceNumber"]
    assert (before["notes"]["textLine1"], after["notes"]["textLine1"]) == ("Ring før levering", "Stil pakken ved døren")
    assert after["recipient"]["address"] == "Nørregade 7"
    assert summary.flows["webshop/orders"].updated == 1


def test_drafts_are_left_alone_when_updates_are_off(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=KAFFE, customer_note="Ring før levering")
    integration = integration_factory(shop, {"book_invoices": False, "update_drafts": False})
    integration.run()
    shop.update_order(order["id"], {"customer_note": "Stil pakken ved døren"})
    integration.run()
    [draft] = economic.documents("orders", order["id"], "invoice", booked=False)
    assert draft["notes"]["textLine1"] == "Ring før levering"


@pytest.mark.parametrize(("method", "settings", "terms", "layout"), [
    ("stripe", {}, 3, 19),
    ("mobilepay", {}, 3, 19),
    ("cod", {}, 2, 19),
    ("bacs", {}, 1, 19),
    ("klarna", {}, 1, 19),                                                    # not in the table: default
    ("klarna", {"payment_terms": 4}, 4, 19),
    ("bacs", {"payment_methods": {"bacs": {"payment_terms": 4, "layout": 21}}}, 4, 21),
    ("stripe", {"layout": 21}, 3, 21),
])
def test_payment_method_decides_payment_terms_and_layout(shop_factory, integration_factory, economic,
                                                         method, settings, terms, layout):
    shop = shop_factory()
    order = shop.create_order(line_items=KAFFE, payment_method=method)
    integration_factory(shop, settings).run()
    invoice = economic.invoice(order)
    assert (invoice["paymentTerms"]["paymentTermsNumber"], invoice["layout"]["layoutNumber"]) == (terms, layout)
    if terms in (2, 3):  # cash and card terms settle the invoice when it is booked
        assert invoice["remainder"] == 0


def test_buyers_abroad_get_the_foreign_layout(shop_factory, integration_factory, economic):
    shop = shop_factory()
    home = shop.create_order(line_items=KAFFE)
    abroad = shop.create_order(line_items=KAFFE, currency="EUR", billing={"country": "DE", "city": "Hamburg"})
    integration_factory(shop, {"layout_foreign": 21}).run()
    assert (economic.invoice(home)["layout"]["layoutNumber"], economic.invoice(abroad)["layout"]["layoutNumber"]) == (19, 21)


def test_history_before_the_start_date_comes_over_with_backfill_once(shop_factory, integration_factory, economic):
    shop = shop_factory()
    old = shop.create_order(line_items=KAFFE, status="completed", date_created_gmt="2025-02-10T10:00:00")
    new = shop.create_order(line_items=KAFFE)
    integration = integration_factory(shop)
    integration.run()
    assert economic.documents("orders", old["id"], "invoice") == [] and economic.invoice(new)
    backfill = integration.run(flows=["orders"], backfill={"since": "2025-02-01"})
    assert backfill.flows["webshop/orders"].done["invoice"] == 1
    assert economic.invoice(old)["date"] == "2025-02-10"
    again = integration.run(flows=["orders"], backfill={"since": "2025-02-01"})
    assert sum(again.flows["webshop/orders"].done.values()) == 0
    plan_calls = economic.probe.calls()
    integration.run(dry_run=True)                                   # iex plan: reads only
    assert all(k.startswith("GET ") for k, n in economic.probe.calls().items() if n != plan_calls.get(k, 0))
