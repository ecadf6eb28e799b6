"""Paging by Link when a server leaves out X-WP-TotalPages, and reads through injected faults."""

from __future__ import annotations

from connectors.woocommerce import WooCommerceConnector
from connectors.woocommerce.client import next_page
from connectors.woocommerce.sandbox import create_app
from engine.connector import Runtime
from engine.sandbox import serve_in_thread


def test_next_page_comes_from_the_link_header():
    header = ('<https://shop.example/wp-json/wc/v3/orders?status=completed%2Crefunded&page=1>; rel="prev", '
              '<https://shop.example/wp-json/wc/v3/orders?status=completed%2Crefunded&page=3>; rel="next"')
    assert next_page(header) == 3
    assert next_page('<https://shop.example/wp-json/wc/v3/orders?page=1>; rel="prev"') is None
    assert next_page(None) is None


def without_total_pages(app):
    """An ASGI wrapper that drops X-WP-TotalPages, as some caching proxies do."""

    async def wrapped(scope, receive, send):
        async def strip(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [(k, v) for k, v in message["headers"] if k.lower() != b"x-wp-totalpages"]}
            await send(message)

        await app(scope, receive, strip)

    return wrapped


def test_orders_are_paged_by_link_when_total_pages_is_missing():
    app = create_app({"generate": 30})
    with serve_in_thread(without_total_pages(app)) as server:
        connector = WooCommerceConnector({"url": server.url, "consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox",
                                          "per_page": 4}, Runtime())
        records = list(connector.read("orders", None, {"since": "2025-01-01"}))
    assert sorted(int(r.key) for r in records) == sorted(app.state.shop.store.orders)


def test_reading_through_server_errors_and_dropped_connections_loses_nothing(make_woo_sandbox):
    sandbox = make_woo_sandbox(generate=40, fault_rate=0.25, fault_kinds="500,503,drop", seed=11)
    connector = sandbox.connector(per_page=5)
    connector.client.http.backoff_base = 0.01          # keep the test quick; the retry logic is the same
    records = list(connector.read("orders", None, {"since": "2025-01-01"}))
    assert sorted(int(r.key) for r in records) == sorted(sandbox.shop.store.orders)
    assert len(records) == len({r.key for r in records})
    assert connector.runtime.metrics["http.woocommerce.retries"] > 0
