"""A stale webhook delivery must never roll a document back to an older version of its order.

WooCommerce retries failed deliveries and sends them in no guaranteed order, so an old version of
an order can arrive after a newer one was transferred, also after ``iex serve`` restarted. The
receiver's replay filter lives in process memory, so after a restart only the engine can tell.
Both sandboxes run in their own process (engine.torture.sandboxes), ``iex serve`` and
``iex run`` as real processes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import httpx
import pytest

from engine.torture import processes
from engine.torture.instance import TortureInstance
from engine.torture.sandboxes import Sandboxes, SandboxOptions
from engine.torture.scenarios import _free_port

pytestmark = pytest.mark.timeout(180)


def _sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _serve(instance: TortureInstance) -> processes.IexProcess:
    process = processes.start(instance, "serve")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{instance.serve_port}/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"iex serve did not start: {process.output()[-2000:]}")


def test_a_stale_delivery_after_a_restart_does_not_roll_a_draft_back(tmp_path: Path) -> None:
    options = SandboxOptions(orders=0)
    with Sandboxes(options) as sandboxes:
        instance = TortureInstance(tmp_path / "instance", sandboxes, serve_port=_free_port(),
                                   settings={"book_invoices": False})
        instance.write()
        order = sandboxes.request("shop", "POST", "/_sandbox/orders", {
            "status": "processing", "line_items": [{"sku": "KAF-500", "quantity": 1}],
            "customer_note": "old note", "date_created_gmt": "2025-03-10T10:00:00"})
        old_version = json.dumps(sandboxes.request("shop", "GET", f"/wp-json/wc/v3/orders/{order['id']}"),
                                 default=str).encode()
        assert processes.run(instance, "run", "--once", "--no-progress").popen.returncode == 0
        time.sleep(1.1)  # WooCommerce keeps whole seconds: the change gets a later date_modified
        sandboxes.request("shop", "PUT", f"/wp-json/wc/v3/orders/{order['id']}", {"customer_note": "new note"})
        assert processes.run(instance, "run", "--once", "--no-progress").popen.returncode == 0

        def note() -> str:
            [draft] = sandboxes.request("economic", "GET", "/invoices/drafts")["collection"]
            return draft["notes"].get("textLine1", "")

        assert note() == "new note"
        serve = _serve(instance)   # a receiver that started after the newer version went through
        try:
            answer = httpx.post(
                f"http://127.0.0.1:{instance.serve_port}/webhooks/webshop/shop", content=old_version,
                headers={"X-WC-Webhook-Signature": _sign(old_version, options.webhook_secret),
                         "X-WC-Webhook-Topic": "order.updated"}, timeout=10)
            assert answer.status_code == 200
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not _inbox_empty(instance):
                time.sleep(0.3)   # the receiver runs the webhook flow on its own
            time.sleep(1.0)       # the inbox row is settled in the same transaction as the step
        finally:
            serve.popen.terminate()
            serve.wait(timeout=30)
        assert note() == "new note"


def _inbox_empty(instance: TortureInstance) -> bool:
    from engine.state import open_store

    store = open_store(instance.state_path)
    try:
        return not store.inbox_pending("webshop", "orders")
    finally:
        store.close()
