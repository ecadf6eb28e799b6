"""The WooCommerce connector: what it needs, what it reads, what it can do.

Streams ``orders`` and ``refunds`` (incremental by ``date_modified_gmt``, see ``sync``),
``products`` (simple products and variations) and ``customers`` (full reads); action
``update_stock`` (e-conomic → shop stock); webhooks for ``order.created``/``order.updated``.
All HTTP goes through the shared client with Basic auth; it refuses plain HTTP except to
loopback (the sandbox).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.woocommerce.client import WooClient, woo_error
from connectors.woocommerce.sync import DEFAULT_LOOKBACK, ORDER_STATUSES, read_orders, read_refunds
from connectors.woocommerce.webhook import WebhookReceiver
from engine.connector import ActionContext, Connector, Record, Runtime, WebhookResult, action, stream
from engine.errors import ConfigError, DataError

JSON = dict[str, Any]
DEFAULT_API_PATH = "/wp-json/wc/v3"

INCREMENTAL_OPTIONS: JSON = {
    "type": "object",
    "properties": {
        "statuses": {
            "description": "Only orders in these statuses (a list, or a comma-separated text); all when left out",
            "type": ["array", "string"],
            "items": {"enum": list(ORDER_STATUSES)},
        },
        "lookback": {
            "description": "How far behind the cursor to look again for late writes (30s, 10m, 2h, 1d)",
            "type": "string",
            "pattern": r"^\d+[smhd]?$",
            "default": DEFAULT_LOOKBACK,
        },
        "since": {"description": "First day to read when there is no cursor yet (ISO date, GMT)", "type": "string"},
        "until": {"description": "Read only changes before this moment (ISO date, GMT); for backfills", "type": "string"},
    },
    "additionalProperties": False,
}

STOCK_INPUT: JSON = {
    "type": "object",
    "properties": {
        "sku": {"type": "string", "minLength": 1, "description": "SKU of a simple product or a variation"},
        "product_id": {"type": "integer", "minimum": 1},
        "variation_id": {"type": "integer", "minimum": 1, "description": "With product_id: the variation to update"},
        "stock_quantity": {"type": "number", "description": "The new stock level in whole units"},
    },
    "required": ["stock_quantity"],
    "anyOf": [{"required": ["sku"]}, {"required": ["product_id"]}],
    "additionalProperties": False,
}


class WooCommerceConnector(Connector):
    name = "woocommerce"
    title = "WooCommerce"
    capabilities = frozenset({"poll", "webhook"})
    sandbox = "connectors.woocommerce.sandbox:create_app"
    settings_schema = {
        "type": "object",
        "properties": {
            "url": {"type": "string", "pattern": "^https?://", "title": "Shop URL",
                    "description": "The shop's address, e.g. https://shop.example (HTTPS; plain HTTP only on loopback)"},
            "consumer_key": {"type": "string", "x-secret": True, "title": "Consumer key",
                             "description": "REST API key (ck_...), WooCommerce > Settings > Advanced > REST API"},
            "consumer_secret": {"type": "string", "x-secret": True, "title": "Consumer secret",
                                "description": "The key's secret (cs_...)"},
            "webhook_secret": {"type": "string", "x-secret": True, "title": "Webhook secret",
                               "description": "The secret entered on the shop's webhooks; needed to accept webhooks"},
            "api_path": {"type": "string", "default": DEFAULT_API_PATH, "title": "API path"},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100, "default": 100,
                         "title": "Page size", "description": "Items per request (WooCommerce allows at most 100)"},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "default": 30, "title": "Timeout (seconds)"},
        },
        "required": ["url", "consumer_key", "consumer_secret"],
        "additionalProperties": False,
    }

    def __init__(self, settings: Mapping[str, Any], runtime: Runtime) -> None:
        super().__init__(settings, runtime)
        self._client: WooClient | None = None
        self._receiver = WebhookReceiver(self.settings.get("webhook_secret"))

    @property
    def client(self) -> WooClient:
        if self._client is None:
            for name in ("url", "consumer_key", "consumer_secret"):
                if not self.settings.get(name):
                    raise ConfigError(f"woocommerce connection: the setting {name} is missing")
            base = str(self.settings["url"]).rstrip("/") + "/" + str(self.settings.get("api_path", DEFAULT_API_PATH)).strip("/")
            http = self.runtime.http(
                base,
                name="woocommerce",
                basic_auth=(self.settings["consumer_key"], self.settings["consumer_secret"]),
                timeout=float(self.settings.get("timeout", 30)),
                error_parser=woo_error,
            )
            self._client = WooClient(http, int(self.settings.get("per_page", 100)))
        return self._client

    # -- streams ------------------------------------------------------------------------------
    @stream(description="Orders by modification time, oldest first (cursor with lookback)", options_schema=INCREMENTAL_OPTIONS)
    def orders(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        return read_orders(self.client, state, options)

    @stream(description="Refunds with their parent order, oldest first", options_schema=INCREMENTAL_OPTIONS)
    def refunds(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        return read_refunds(self.client, state, options)

    @stream(description="Simple products and variations (not their variable parents), keyed by SKU")
    def products(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        for page in self.client.pages("products", {"orderby": "id", "order": "asc"}):
            for product in page:
                if product.get("type") != "variable":
                    yield Record(key=_product_key(product), data=product)
                    continue
                for variation in self.client.collect(f"products/{product['id']}/variations"):
                    yield Record(key=_product_key(variation), data=variation)

    @stream(description="Registered customers (guests have none)")
    def customers(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        for page in self.client.pages("customers", {"orderby": "id", "order": "asc"}):
            for customer in page:
                yield Record(key=str(customer["id"]), data=customer)

    # -- actions ------------------------------------------------------------------------------
    # Setting an absolute stock level is safe to repeat, so there is no effect to look up
    # after a crash: the runner simply sends it again.
    @action(input_schema=STOCK_INPUT, effect=False, description="Set the stock level of a product or variation")
    def update_stock(self, data: JSON, ctx: ActionContext) -> JSON:
        quantity = _whole_units(data.get("stock_quantity"))
        path = self._stock_path(data)
        doc = self.client.put(path, {"manage_stock": True, "stock_quantity": quantity})
        is_variation = doc.get("type") == "variation"
        return {
            "product_id": doc.get("parent_id") if is_variation else doc.get("id"),
            "variation_id": doc.get("id") if is_variation else None,
            "sku": doc.get("sku"),
            "stock_quantity": doc.get("stock_quantity", quantity),
            "stock_status": doc.get("stock_status"),
        }

    def _stock_path(self, data: JSON) -> str:
        if data.get("product_id"):
            if data.get("variation_id"):
                return f"products/{int(data['product_id'])}/variations/{int(data['variation_id'])}"
            return f"products/{int(data['product_id'])}"
        sku = str(data.get("sku") or "")
        for product in self.client.get("products", {"sku": sku}):
            if product.get("sku") == sku and product.get("type") != "variable":
                return f"products/{product['id']}"
        found = self._variation_skus().get(sku)
        if found is None:
            raise DataError(f"WooCommerce has no product or variation with SKU {sku!r}", field_path="sku")
        return f"products/{found[0]}/variations/{found[1]}"

    def _variation_skus(self) -> dict[str, tuple[int, int]]:
        """SKU → (product id, variation id), built once per run: ``/products?sku=`` does not
        search variations [U], and a stock sync touches many SKUs."""
        cached = self.runtime.cache.get("woocommerce.variation_skus")
        if cached is None:
            cached = {}
            for page in self.client.pages("products", {"type": "variable", "orderby": "id", "order": "asc"}):
                for product in page:
                    for variation in self.client.collect(f"products/{product['id']}/variations"):
                        if variation.get("sku"):
                            cached[variation["sku"]] = (product["id"], variation["id"])
            self.runtime.cache["woocommerce.variation_skus"] = cached
        return cached

    # -- webhooks -----------------------------------------------------------------------------
    def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookResult:
        return self._receiver.handle(headers, body)

    def close(self) -> None:
        if self._client is not None:
            self._client.http.close()
            self._client = None


def _product_key(doc: JSON) -> str:
    if doc.get("sku"):
        return str(doc["sku"])
    return f"{'variation' if doc.get('type') == 'variation' else 'product'}-{doc['id']}"


def _whole_units(value: Any) -> int:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise DataError(f"stock_quantity {value!r} is not a number", field_path="stock_quantity") from None
    if number != number.to_integral_value():
        raise DataError(f"stock_quantity {number} is not a whole number; WooCommerce keeps stock in whole units",
                        field_path="stock_quantity")
    return int(number)
