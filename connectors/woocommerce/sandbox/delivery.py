"""Webhooks as WooCommerce delivers them.

A webhook (``/webhooks`` or ``--webhook URL --secret S``) has one topic (``order.created``,
``order.updated``, ``order.deleted``). When the store changes an order, each active webhook of that
topic gets an HTTP POST of the order's REST JSON, in a background thread, with WooCommerce's
headers; ``X-WC-Webhook-Signature`` is base64(HMAC-SHA256(raw body, secret)).

* Creating a webhook through the API first pings the URL with the form body ``webhook_id=<id>``
  and no signature; anything but HTTP 200 fails the creation, like WooCommerce.
* A delivery succeeds on HTTP 200-302. WooCommerce core sends each delivery once; this sandbox
  re-sends a failed one ``retries`` times (default 2, short backoff) so a receiver that blinks
  still gets it, and counts a delivery as failed only when every attempt failed. Consecutive
  failed deliveries are counted per webhook; when the count exceeds 5
  (``woocommerce_max_webhook_delivery_failures``) the webhook is set to ``disabled`` and gets
  nothing more until it is re-activated (``PUT /webhooks/{id}`` with ``status: active``).
* ``X-WC-Webhook-Delivery-ID`` is a hash of the webhook id and the time, not a stable event id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.woocommerce.sandbox import jsonio
from connectors.woocommerce.sandbox.documents import set_date
from connectors.woocommerce.sandbox.store import ShopError

JSON = dict[str, Any]
TOPICS = ("order.created", "order.updated", "order.deleted")
MAX_FAILURES = 5
USER_AGENT = "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)"
HOOKS = {
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post"],
}


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Webhook:
    id: int
    name: str
    topic: str
    delivery_url: str
    secret: str
    status: str = "active"
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    failures: int = 0

    def to_json(self) -> JSON:
        resource, event = self.topic.split(".")
        doc: JSON = {"id": self.id, "name": self.name, "status": self.status, "topic": self.topic,
                     "resource": resource, "event": event, "hooks": HOOKS[self.topic], "delivery_url": self.delivery_url}
        set_date(doc, "date_created", self.created)
        set_date(doc, "date_modified", self.created)
        return doc


class Deliveries:
    """Registered webhooks, the delivery queue and its worker thread, and a log for tests."""

    def __init__(self, source_url: Callable[[], str], *, retries: int = 2, backoff: float = 0.2, timeout: float = 5.0) -> None:
        self.source_url = source_url
        self.retries, self.backoff, self.timeout = retries, backoff, timeout
        self.hooks: dict[int, Webhook] = {}
        self.log: list[JSON] = []
        self._queue: queue.Queue[tuple[int, str, bytes, int] | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(timeout=timeout, trust_env=False)
        self._serial = 0

    # -- registry ---------------------------------------------------------------------------
    def register(self, *, name: str, topic: str, delivery_url: str, secret: str, status: str = "active", ping: bool = True) -> Webhook:
        if topic not in TOPICS:
            raise ShopError(400, "rest_invalid_param", "Invalid parameter(s): topic", {"topic": "Webhook topic must be valid."})
        if not delivery_url.startswith(("http://", "https://")):
            raise ShopError(400, "rest_invalid_param", "Invalid parameter(s): delivery_url", {"delivery_url": "Invalid URL."})
        hook = Webhook(max(self.hooks, default=0) + 1, name or f"Webhook {topic}", topic, delivery_url, secret, status)
        if ping and status == "active":
            code = self.ping(hook)
            if code != 200:
                raise ShopError(400, "woocommerce_rest_webhook_delivery_failed",
                                f"Error: Delivery URL returned response code: {code}")
        self.hooks[hook.id] = hook
        return hook

    def ping(self, hook: Webhook) -> int:
        try:
            response = self._client.post(hook.delivery_url, content=f"webhook_id={hook.id}".encode(),
                                         headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT})
        except httpx.HTTPError:
            return 0
        return response.status_code

    # -- deliveries -------------------------------------------------------------------------
    def on_change(self, topic: str, payload: JSON) -> None:
        """Store listener: queue one delivery per active webhook of the topic."""
        body = jsonio.dumps(payload).encode()
        resource_id = payload.get("id", 0)
        for hook in list(self.hooks.values()):
            if hook.status == "active" and hook.topic == topic:
                with self._idle:
                    self._pending += 1
                self._queue.put((hook.id, topic, body, resource_id))
                self._start()

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="woo-webhooks", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._deliver(*job)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _headers(self, hook: Webhook, topic: str, body: bytes) -> dict[str, str]:
        self._serial += 1
        delivery_id = hashlib.sha256(f"{hook.id}:{time.time()}:{self._serial}".encode()).hexdigest()[:32]
        resource, event = topic.split(".")
        return {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-WC-Webhook-Source": self.source_url().rstrip("/") + "/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": signature(body, hook.secret),
            "X-WC-Webhook-ID": str(hook.id),
            "X-WC-Webhook-Delivery-ID": delivery_id,
        }

    def _deliver(self, hook_id: int, topic: str, body: bytes, resource_id: int) -> None:
        hook = self.hooks.get(hook_id)
        if hook is None or hook.status != "active":
            return
        headers = self._headers(hook, topic, body)
        codes: list[int] = []
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * attempt)
            try:
                code = self._client.post(hook.delivery_url, content=body, headers=headers).status_code
            except httpx.HTTPError:
                code = 0
            codes.append(code)
            if 200 <= code <= 302:
                break
        ok = 200 <= codes[-1] <= 302
        hook.failures = 0 if ok else hook.failures + 1
        if hook.failures > MAX_FAILURES:
            hook.status = "disabled"
        self.log.append({"webhook_id": hook.id, "topic": topic, "resource_id": resource_id, "delivery_id": headers["X-WC-Webhook-Delivery-ID"],
                         "response_codes": codes, "ok": ok, "webhook_status": hook.status})

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery has been attempted (for tests and the admin API)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=2)
        self._client.close()
