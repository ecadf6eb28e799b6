"""The sandbox delivers signed webhooks like WooCommerce, and the connector accepts them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from connectors.woocommerce import WooCommerceConnector
from engine.connector import Runtime, WebhookResult
from engine.sandbox import serve_in_thread

SECRET = "s3cret-hook"


@dataclass
class Receiver:
    url: str
    connector: WooCommerceConnector
    answer: int | None = None                 # force this status instead of the connector's
    seen: list[tuple[dict[str, str], bytes, WebhookResult]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    connector = WooCommerceConnector({"url": "https://shop.example", "consumer_key": "ck", "consumer_secret": "cs",
                                      "webhook_secret": SECRET}, Runtime())
    state = Receiver("", connector)

    async def hook(request: Request) -> PlainTextResponse:
        body = await request.body()
        headers = dict(request.headers)
        result = connector.handle_webhook(headers, body)
        state.seen.append((headers, body, result))
        return PlainTextResponse(result.message, status_code=state.answer or result.status)

    with serve_in_thread(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as server:
        state.url = f"{server.url}/hook"
        yield state


def test_registering_a_webhook_pings_then_status_changes_arrive_signed(make_woo_sandbox, receiver):
    sandbox = make_woo_sandbox(generate=20)
    created = sandbox.api("POST", "webhooks", json={"name": "iex", "topic": "order.updated",
                                                    "delivery_url": receiver.url, "secret": SECRET})
    assert created.status_code == 201, created.text
    assert "secret" not in created.json()
    ping_headers, ping_body, ping_result = receiver.seen[0]
    assert ping_body.startswith(b"webhook_id=") and "x-wc-webhook-signature" not in ping_headers
    assert ping_result.status == 200

    order = next(o for o in sandbox.shop.store.orders.values() if o["status"] != "on-hold")
    sandbox.admin("POST", f"orders/{order['id']}/status", {"status": "on-hold"})
    log = sandbox.admin("GET", "deliveries", params={"wait": "true"})
    assert [entry["ok"] for entry in log] == [True]
    headers, _body, result = receiver.seen[-1]
    assert headers["x-wc-webhook-topic"] == "order.updated"
    assert headers["x-wc-webhook-resource"] == "order" and headers["x-wc-webhook-event"] == "updated"
    assert headers["x-wc-webhook-id"] == str(created.json()["id"])
    assert headers["x-wc-webhook-delivery-id"] and headers["x-wc-webhook-source"].startswith("http://127.0.0.1")
    assert headers["user-agent"].startswith("WooCommerce/")
    assert result.status == 200
    assert [r.key for r in result.records] == [str(order["id"])]
    assert result.records[0].data["status"] == "on-hold"
    assert result.records[0].data["date_modified_gmt"] == sandbox.shop.store.orders[order["id"]]["date_modified_gmt"]


def test_cli_webhook_option_delivers_new_orders(make_woo_sandbox, receiver):
    sandbox = make_woo_sandbox(webhook=receiver.url, secret=SECRET)
    order = sandbox.admin("POST", "orders", {"line_items": [{"sku": "TE-24", "quantity": 2}]})
    sandbox.admin("GET", "deliveries", params={"wait": "true"})
    created = [res for headers, _b, res in receiver.seen if headers.get("x-wc-webhook-topic") == "order.created"]
    assert [r.key for res in created for r in res.records] == [str(order["id"])]


def test_a_wrong_secret_is_refused_by_the_receiver(make_woo_sandbox, receiver):
    sandbox = make_woo_sandbox(webhook=receiver.url, secret="not-the-shared-secret", webhook_retries=0)
    sandbox.admin("POST", "orders", {"line_items": [{"sku": "TE-24", "quantity": 1}]})
    log = sandbox.admin("GET", "deliveries", params={"wait": "true"})
    assert log[0]["response_codes"] == [401] and not log[0]["ok"]
    assert receiver.seen[-1][2].records == []


def test_failing_endpoint_gets_retries_and_the_webhook_is_disabled_after_five_failures(make_woo_sandbox, receiver):
    receiver.answer = 500
    sandbox = make_woo_sandbox(generate=20, webhook=receiver.url, secret=SECRET, webhook_retries=1)
    orders = [o["id"] for o in sandbox.shop.store.orders.values()][:7]
    sandbox.admin("POST", "clock", {"now": "2026-02-01T12:00:00"})
    for order_id in orders:
        sandbox.admin("POST", f"orders/{order_id}/status", {"status": "on-hold"})
        sandbox.admin("GET", "deliveries", params={"wait": "true"})
    log = sandbox.admin("GET", "deliveries")
    assert all(entry["response_codes"] == [500, 500] for entry in log)
    assert [entry["webhook_status"] for entry in log] == ["active"] * 5 + ["disabled"]
    hook = sandbox.api("GET", "webhooks").json()[-1]
    assert hook["status"] == "disabled"


def test_registration_fails_when_the_ping_is_not_answered_200(make_woo_sandbox, receiver):
    receiver.answer = 404
    sandbox = make_woo_sandbox()
    resp = sandbox.api("POST", "webhooks", json={"topic": "order.created", "delivery_url": receiver.url, "secret": SECRET})
    assert resp.status_code == 400 and "404" in resp.json()["message"]
    assert sandbox.api("GET", "webhooks").json() == []
