"""Webhook deliveries: ping, signature on the raw bytes, topics, stale repeats."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal

from connectors.woocommerce import WooCommerceConnector
from engine.connector import Runtime
from engine.secrets import Secret

SECRET = "whsec-for-tests"


def connector(secret: str | None = SECRET) -> WooCommerceConnector:
    settings = {"url": "https://shop.example", "consumer_key": "ck", "consumer_secret": "cs"}
    if secret is not None:
        settings["webhook_secret"] = Secret(secret, "${env:WOO_WEBHOOK_SECRET}")
    return WooCommerceConnector(settings, Runtime())


def delivery(order: dict, topic: str = "order.updated", secret: str = SECRET) -> tuple[dict, bytes]:
    body = json.dumps(order).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    headers = {"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Signature": signature, "X-WC-Webhook-Resource": "order",
               "X-WC-Webhook-Event": topic.split(".")[1], "X-WC-Webhook-ID": "3", "Content-Type": "application/json"}
    return headers, body


ORDER = {"id": 4711, "number": "10042", "status": "processing", "total": "249.00",
         "date_modified_gmt": "2025-06-02T08:00:00", "line_items": [{"sku": "KAF-500", "price": 79.2}]}


def test_good_signature_gives_one_order_record_with_decimals():
    headers, body = delivery(ORDER)
    result = connector().handle_webhook(headers, body)
    assert result.status == 200 and result.stream == "orders"
    assert [r.key for r in result.records] == ["4711"]
    assert result.records[0].version == "2025-06-02T08:00:00"  # kept by the runner across restarts
    assert result.records[0].data["line_items"][0]["price"] == Decimal("79.2")


def test_header_names_are_case_insensitive():
    headers, body = delivery(ORDER)
    result = connector().handle_webhook({k.lower(): v for k, v in headers.items()}, body)
    assert len(result.records) == 1


def test_bad_or_missing_signature_is_401_without_records():
    headers, body = delivery(ORDER, secret="another-secret")
    bad = connector().handle_webhook(headers, body)
    assert bad.status == 401 and bad.records == []
    tampered_headers, _ = delivery(ORDER)
    tampered = connector().handle_webhook(tampered_headers, body.replace(b"249.00", b"1.00"))
    assert tampered.status == 401 and tampered.records == []
    del headers["X-WC-Webhook-Signature"]
    missing = connector().handle_webhook(headers, body)
    assert missing.status == 401 and missing.records == []


def test_signature_is_checked_before_the_body_is_parsed():
    headers, _ = delivery(ORDER)
    result = connector().handle_webhook(headers, b"{not json")
    assert result.status == 401


def test_creation_ping_is_accepted_without_signature_or_records():
    result = connector().handle_webhook({"Content-Type": "application/x-www-form-urlencoded"}, b"webhook_id=12")
    assert result.status == 200 and result.records == []


def test_without_a_configured_secret_nothing_is_accepted():
    headers, body = delivery(ORDER)
    result = connector(secret=None).handle_webhook(headers, body)
    assert result.status == 401 and "webhook_secret" in result.message


def test_repeated_or_older_deliveries_give_no_records_newer_ones_do():
    receiver = connector()
    assert len(receiver.handle_webhook(*delivery(ORDER)).records) == 1
    again = receiver.handle_webhook(*delivery(ORDER))
    assert again.status == 200 and again.records == []
    older = receiver.handle_webhook(*delivery({**ORDER, "date_modified_gmt": "2025-06-02T07:59:59"}))
    assert older.status == 200 and older.records == []
    newer = receiver.handle_webhook(*delivery({**ORDER, "status": "completed", "date_modified_gmt": "2025-06-02T09:00:00"}))
    assert [r.data["status"] for r in newer.records] == ["completed"]


def test_deleted_orders_and_other_topics_are_acknowledged_and_ignored():
    deleted = connector().handle_webhook(*delivery({"id": 4711}, topic="order.deleted"))
    assert deleted.status == 200 and deleted.records == []
    coupon = connector().handle_webhook(*delivery({"id": 9}, topic="coupon.created"))
    assert coupon.status == 200 and coupon.records == []
