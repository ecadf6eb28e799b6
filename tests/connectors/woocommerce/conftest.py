"""A WooCommerce sandbox served over real HTTP on loopback, and a connector pointed at it.

``woo_sandbox`` is a fresh shop per test (60 generated orders, seed 1); ``make_woo_sandbox(**options)``
starts one with other ``create_app`` options. The handle gives the base URL, authenticated REST
calls, the ``/_sandbox/`` admin API, and the shop's in-memory store for checking what the shop
holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.woocommerce import WooCommerceConnector
from connectors.woocommerce.sandbox import Shop
from connectors.woocommerce.sandbox.jsonio import dumps
from engine.connector import Runtime
from engine.sandbox import build, serve_in_thread

API = "/wp-json/wc/v3"
KEY, SECRET = "ck_sandbox", "cs_sandbox"


@dataclass
class WooSandbox:
    url: str
    shop: Shop
    http: httpx.Client

    def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        kw.setdefault("auth", (KEY, SECRET))
        if "json" in kw:
            kw["content"] = dumps(kw.pop("json"))
        return self.http.request(method, f"{self.url}{API}/{path.lstrip('/')}", **kw)

    def admin(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        content = dumps(body) if body is not None else None
        resp = self.http.request(method, f"{self.url}/_sandbox/{path.lstrip('/')}", content=content, **kw)
        assert resp.status_code < 300, resp.text
        return resp.json(parse_float=Decimal)

    def connector(self, **settings: Any) -> WooCommerceConnector:
        merged = {"url": self.url, "consumer_key": KEY, "consumer_secret": SECRET, **settings}
        return WooCommerceConnector(merged, Runtime())


@pytest.fixture
def make_woo_sandbox() -> Iterator[Callable[..., WooSandbox]]:
    started: list[tuple[Any, httpx.Client]] = []

    def start(**options: Any) -> WooSandbox:
        app = build("woocommerce", options)
        server = serve_in_thread(app)
        client = httpx.Client(timeout=10, trust_env=False)
        started.append((server, client))
        return WooSandbox(server.url, app.app.state.shop, client)

    yield start
    for server, client in started:
        client.close()
        server.stop()


@pytest.fixture
def woo_sandbox(make_woo_sandbox: Callable[..., WooSandbox]) -> WooSandbox:
    return make_woo_sandbox(generate=60)
