"""Receiving WooCommerce webhooks: ping, signature, topics, stale deliveries.

* Creating a webhook in WooCommerce pings the URL with the form body ``webhook_id=<id>`` and no
  signature; creation fails unless the answer is 200, so the ping is accepted (no records).
* Everything else must carry ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(raw body, secret)),
  checked with a constant-time compare on the raw bytes before the body is parsed. A missing or
  wrong signature is 401. (WooCommerce signs with the secret after ``wp_specialchars_decode``, i.e.
  the secret as the user typed it.)
* ``order.created``/``order.updated``: one record for the ``orders`` stream (key = order id).
  ``order.deleted`` and other topics are acknowledged and ignored.
* WooCommerce's delivery id is not a stable event id and deliveries repeat; a delivery whose
  order was already received in this process with the same or a newer ``date_modified_gmt`` is
  acknowledged without records. This is a cheap filter only: the runner's ledger is what
  guarantees that an order is transferred once, whether it came by webhook or by polling.
* Each record carries ``date_modified_gmt`` as its ``version``: the runner keeps the newest one
  per order in the state, so a stale delivery is skipped also after ``iex serve`` restarted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from decimal import Decimal

from engine.connector import Record, WebhookResult
from engine.secrets import Secret

PING = re.compile(rb"^webhook_id=\d+$")
ORDER_TOPICS = ("order.created", "order.updated")
REMEMBERED = 10_000


def expected_signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class WebhookReceiver:
    """Verifies and parses deliveries; remembers the newest modification seen per order."""

    def __init__(self, secret: Secret | str | None) -> None:
        self.secret = secret
        self.latest: OrderedDict[str, str] = OrderedDict()
        self.lock = threading.Lock()

    def handle(self, headers: Mapping[str, str], body: bytes) -> WebhookResult:
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        given = lowered.get("x-wc-webhook-signature", "")
        if not given and PING.match(body.strip()):
            return WebhookResult(200, [], stream="orders", message="webhook ping acknowledged")
        if not self.secret:
            return WebhookResult(401, [], stream="orders",
                                 message="cannot verify the delivery: the connection setting webhook_secret is not set")
        secret = self.secret.reveal() if isinstance(self.secret, Secret) else str(self.secret)
        if not given:
            return WebhookResult(401, [], stream="orders", message="missing X-WC-Webhook-Signature")
        if not hmac.compare_digest(expected_signature(body, secret).encode(), given.strip().encode()):
            return WebhookResult(401, [], stream="orders", message="X-WC-Webhook-Signature does not match the body")
        topic = lowered.get("x-wc-webhook-topic", "")
        if topic not in ORDER_TOPICS:
            return WebhookResult(200, [], stream="orders", message=f"topic {topic or '(none)'} ignored")
        try:
            order = json.loads(body, parse_float=Decimal)
        except ValueError:
            return WebhookResult(400, [], stream="orders", message="the signed body is not JSON")
        if not isinstance(order, dict) or "id" not in order:
            return WebhookResult(400, [], stream="orders", message="the signed body is not an order (no id)")
        key, modified = str(order["id"]), str(order.get("date_modified_gmt") or "")
        if not self._is_news(key, modified):
            return WebhookResult(200, [], stream="orders", message=f"order {key} at {modified} already received")
        return WebhookResult(200, [Record(key=key, data=order, version=modified or None)], stream="orders",
                             message=f"{topic} {key}")

    def _is_news(self, key: str, modified: str) -> bool:
        with self.lock:
            known = self.latest.get(key)
            if known is not None and modified <= known:
                return False
            self.latest[key] = modified
            self.latest.move_to_end(key)
            while len(self.latest) > REMEMBERED:
                self.latest.popitem(last=False)
            return True
