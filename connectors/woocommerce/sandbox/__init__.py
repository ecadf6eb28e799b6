"""A WooCommerce shop on loopback that speaks ``/wp-json/wc/v3`` (``iex sandbox woocommerce``).

``create_app(options)`` takes the connector-specific options of the CLI (values may be strings):

==================== ===========================================================================
``orders``           folder of REST v3 order JSON files to serve (see ``loader``)
``generate``         number of orders to generate (see ``generator``), default 0
``seed``             generator seed, default 1; the same seed gives identical documents
``start``, ``days``  the generated period: first day (ISO date, default 2025-03-03) and length (30)
``webhook``          a delivery URL to register for ``order.created`` and ``order.updated``
``secret``           that webhook's secret (default ``woocommerce-sandbox``)
``webhook_retries``  extra attempts of a failed delivery (default 2; 0 is WooCommerce core)
``consumer_key``     accepted key, default ``ck_sandbox``
``consumer_secret``  accepted secret, default ``cs_sandbox``
==================== ===========================================================================

Fault injection (latency, 429/5xx, dropped connections) is applied centrally by
``engine.sandbox.build``; this app serves the shop and its ``/_sandbox/`` admin routes. The
catalogue (products with variations) is always there.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from connectors.woocommerce.sandbox import admin, app, catalog
from connectors.woocommerce.sandbox.delivery import Deliveries
from connectors.woocommerce.sandbox.generator import DEFAULT_START, generate
from connectors.woocommerce.sandbox.loader import load_orders
from connectors.woocommerce.sandbox.store import Store

DEFAULT_SECRET = "woocommerce-sandbox"


class Shop:
    """Everything one sandbox shop holds; rebuilt from the options on reset."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self.consumer_key = str(options.get("consumer_key") or "ck_sandbox")
        self.consumer_secret = str(options.get("consumer_secret") or "cs_sandbox")
        self.site_url = "https://kaffebaren.example"
        self.deliveries = Deliveries(lambda: self.site_url, retries=int(options.get("webhook_retries", 2)))
        self.store = self._fill()

    def _fill(self) -> Store:
        options = self.options
        store = Store()
        start = options.get("start")
        start_at = datetime.fromisoformat(str(start)).replace(tzinfo=UTC) if start else DEFAULT_START
        products, variations = catalog.product_documents(start_at)
        store.products.update(products)
        store.variations.update(variations)
        if options.get("orders"):
            load_orders(store, Path(str(options["orders"])))
        if int(options.get("generate") or 0):
            generate(store, int(options["generate"]), int(options.get("seed") or 1), start=start_at, days=int(options.get("days") or 30))
        store.listeners.append(self.deliveries.on_change)
        if options.get("webhook") and not self.deliveries.hooks:
            for topic in ("order.created", "order.updated"):
                self.deliveries.register(name=f"iex {topic}", topic=topic, delivery_url=str(options["webhook"]),
                                         secret=str(options.get("secret") or DEFAULT_SECRET), ping=False)
        return store

    def reset(self) -> None:
        """Back to the state the options describe (registered webhooks stay)."""
        self.store = self._fill()


def create_app(options: dict[str, Any] | None = None) -> Starlette:
    shop = Shop(dict(options or {}))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        shop.deliveries.close()

    application = Starlette(routes=admin.routes + app.routes, lifespan=lifespan)
    application.state.shop = shop
    application.state.reset = shop.reset
    return application
