import hashlib
import hmac
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient

import engine.registry
from engine.connector import Connector, Record, WebhookResult, action, stream
from engine.errors import DataError
from engine.expressions import compile_selector, compile_value
from engine.runner import Runner
from engine.state import open_store
from engine.webhooks import create_app

SECRET = b"whsec-test-123"


class ShopConnector(Connector):
    """A source that signs its webhooks like WooCommerce (base64 HMAC-SHA256 of the raw body)."""

    name = "hookshop"

    def handle_webhook(self, headers, body):
        if headers.get("x-ping"):
            return WebhookResult(status=200, message="pong")
        expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("x-signature", ""), expected):
            return WebhookResult(status=401, message="bad signature")
        try:
            order = json.loads(body, parse_float=Decimal)
        except ValueError:
            raise DataError("webhook body is not JSON") from None
        return WebhookResult(records=[Record(key=str(order["id"]), data=order)], stream="orders")

    @stream
    def orders(self, state, options):
        for row in self.settings["box"]["source"]:
            yield Record(key=str(row["id"]), data=row)

    @action
    def create(self, data, ctx):
        self.settings["box"]["effects"].append(ctx.idempotency_key)
        return {"id": len(self.settings["box"]["effects"])}

    @create.finder
    def find(self, data, ctx):
        return None


@dataclass
class Trigger:
    webhook: bool
    every: Any = None
    cron: Any = None
    manual: bool = False


@dataclass
class Flow:
    name: str
    source: Any
    trigger: Trigger
    key: Any = field(default_factory=lambda: compile_selector("to_string(id)"))
    steps: tuple = ()
    filter: Any = None
    refs: dict = field(default_factory=dict)
    concurrency_key: Any = None


@dataclass
class Step:
    name: str = "send"
    connection: str = "shop"
    action: str = "create"
    input: Any = None
    when: Any = None
    on_change: str = "ignore"


class Mapping:
    def __init__(self):
        self.total = compile_value("{{ record.total }}")

    def evaluate(self, context):
        return {"total": self.total.evaluate(context)}


@dataclass
class Src:
    connection: str
    stream: str
    options: dict = field(default_factory=dict)


@pytest.fixture
def setup(tmp_path):
    engine.registry.connectors()["hookshop"] = ShopConnector
    box = {"source": [], "effects": []}
    flows = {
        "orders": Flow("orders", Src("shop", "orders"), Trigger(webhook=True), steps=(Step(input=Mapping()),)),
        "polled": Flow("polled", Src("shop", "orders"), Trigger(webhook=False), steps=(Step(input=Mapping()),)),
    }
    recipe = type("R", (), {"flows": flows, "version": "1.0.0", "digest": "d"})()
    conn = type("C", (), {"name": "shop", "connector": "hookshop", "settings": {"box": box}})()
    integration = type("I", (), {"name": "web", "recipe": recipe, "settings": {}, "connections": {"shop": conn},
                                 "enabled": True})()
    instance = type("Inst", (), {"integrations": {"web": integration}})()
    store = open_store(tmp_path / "state.sqlite")
    notified = []
    client = TestClient(create_app(instance, store, notify=lambda i, f: notified.append((i, f))))
    yield box, instance, store, client, notified
    store.close()
    engine.registry.connectors().pop("hookshop", None)


def signed(text):
    body = text.encode()
    return body, {"x-signature": hmac.new(SECRET, body, hashlib.sha256).hexdigest()}


def test_signed_delivery_goes_to_the_inbox_of_webhook_flows(setup):
    box, instance, store, client, notified = setup
    body, headers = signed('{"id": 42, "total": 12.5}')
    answer = client.post("/webhooks/web/shop", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["flows"] == ["orders"]
    [item] = store.inbox_pending("web", "orders")
    assert (item.record_key, item.record["total"]) == ("42", Decimal("12.5"))
    assert store.inbox_pending("web", "polled") == []
    assert notified == [("web", "orders")]


def test_bad_signature_and_ping_enqueue_nothing(setup):
    box, instance, store, client, notified = setup
    body, _ = signed('{"id": 1, "total": 1}')
    assert client.post("/webhooks/web/shop", content=body, headers={"x-signature": "00"}).status_code == 401
    assert client.post("/webhooks/web/shop", content=b"", headers={"x-ping": "1"}).json()["message"] == "pong"
    assert store.inbox_pending("web", "orders") == [] and notified == []


def test_errors_are_answered_with_their_text(setup):
    box, instance, store, client, notified = setup
    body = b"not json"
    headers = {"x-signature": hmac.new(SECRET, body, hashlib.sha256).hexdigest()}
    answer = client.post("/webhooks/web/shop", content=body, headers=headers)
    assert answer.status_code == 400 and answer.json()["error"] == "webhook body is not JSON"
    assert client.post("/webhooks/nope/shop", content=b"{}").status_code == 404
    assert client.post("/webhooks/web/nope", content=b"{}").status_code == 404


def test_webhook_and_poll_of_the_same_order_send_once(setup):
    box, instance, store, client, notified = setup
    body, headers = signed('{"id": 7, "total": 70}')
    client.post("/webhooks/web/shop", content=body, headers=headers)
    box["source"] = [{"id": 7, "total": 70}]
    Runner(instance, store, progress=False).run(flows=["orders"])
    Runner(instance, store, progress=False).run(flows=["orders"])
    assert box["effects"] == ["web/orders/7/send"]
    assert store.inbox_pending("web", "orders") == []


def test_health_reports_the_last_run(setup):
    box, instance, store, client, notified = setup
    assert client.get("/health").json() == {"status": "ok", "integrations": ["web"], "last_run": None}
    Runner(instance, store, progress=False).run()
    assert client.get("/health").json()["last_run"]["outcome"] == "ok"
