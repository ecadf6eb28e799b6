"""Webhooks and polling together: the shop delivers signed order webhooks to ``iex serve``'s
receiver, the poller reads the same orders, and each order still becomes exactly one invoice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from engine.sandbox import serve_in_thread
from engine.webhooks import create_app

KAFFE = [{"sku": "KAF-500", "quantity": 1}]


@pytest.fixture
def wired(shop_factory, integration_factory) -> Iterator[tuple]:
    """A shop whose order webhooks go to the integration's webhook receiver."""
    shop = shop_factory()
    integration = integration_factory(shop)
    notified: list[tuple[str, str]] = []
    receiver = serve_in_thread(create_app(integration.instance, integration.store,
                                          notify=lambda name, flow: notified.append((name, flow))))
    url = receiver.url.rstrip("/") + "/webhooks/webshop/shop"
    for topic in ("order.created", "order.updated"):     # WooCommerce pings the URL on creation
        response = shop.http.post("/wp-json/wc/v3/webhooks", json={"topic": topic, "delivery_url": url,
                                                                   "secret": "e2e-webhook-secret"})
        assert response.status_code == 201, response.text
    yield shop, integration, notified, url
    receiver.stop()


def test_an_order_arriving_by_webhook_and_by_polling_is_invoiced_once(wired, economic):
    shop, integration, notified, _ = wired
    integration.run(flows=["products"])      # serve syncs the catalogue on its own schedule
    order = shop.create_order(line_items=KAFFE)
    [delivery] = [d for d in shop.deliveries() if d["topic"] == "order.created"]
    assert delivery["ok"] and delivery["response_codes"] == [200] and notified == [("webshop", "orders")]
    pushed = integration.run(flows=["orders"], poll=False)          # what serve runs on a webhook
    assert pushed.flows["webshop/orders"].done["invoice"] == 1
    polled = integration.run()                                       # the scheduled poll
    counts = polled.flows["webshop/orders"]
    assert (counts.seen, sum(counts.done.values()), counts.already_done > 0) == (1, 0, True)
    assert Decimal(str(economic.invoice(order)["grossAmount"])) == Decimal(order["total"])


def test_a_webhook_order_for_a_product_no_catalogue_sync_has_seen_is_invoiced(wired, economic):
    shop, integration, _, _ = wired
    assert "TE-24" not in economic.products()                        # the catalogue flow has not run
    # a time of its own: engine.webhooks keeps one receiver per integration/connection for the
    # process, which drops a delivery it saw before (another test's order 4117 at the default time)
    order = shop.create_order(line_items=[{"sku": "TE-24", "quantity": 2}], date_created_gmt="2025-03-12T08:30:00")
    shop.deliveries()
    pushed = integration.run(flows=["orders"], poll=False)
    assert pushed.flows["webshop/orders"].done["invoice"] == 1 and integration.dead_letters() == []
    invoice = economic.invoice(order)
    assert invoice["lines"][0]["product"]["productNumber"] == "TE-24"
    assert Decimal(str(invoice["grossAmount"])) == Decimal(order["total"])
    product = economic.products()["TE-24"]
    assert (product["name"], product["productGroup"]["productGroupNumber"]) == (order["line_items"][0]["name"], 1)


def test_a_webhook_after_the_poll_sends_nothing_new(wired, economic):
    shop, integration, _, _ = wired
    order = shop.create_order(line_items=KAFFE, status="processing")
    shop.deliveries()
    integration.run()                                                # poll and inbox in one run
    later = (datetime.now(UTC) + timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S")
    shop.set_status(order["id"], "completed", at=later)              # order.updated is delivered
    assert any(d["topic"] == "order.updated" for d in shop.deliveries())
    pushed = integration.run(flows=["orders"], poll=False)
    assert sum(pushed.flows["webshop/orders"].done.values()) == 0
    economic.invoice(order)                                          # still exactly one


def test_a_badly_signed_delivery_is_refused_and_queues_nothing(wired):
    _, integration, notified, url = wired
    response = httpx.post(url, content=b'{"id": 1}', headers={"X-WC-Webhook-Signature": "bm90IGl0",
                                                               "X-WC-Webhook-Topic": "order.created"})
    assert response.status_code == 401 and notified == []
    assert integration.store.inbox_pending("webshop", "orders") == []
