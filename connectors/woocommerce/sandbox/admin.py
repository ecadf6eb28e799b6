"""``/_sandbox/...``: what a tester does in wp-admin, as an API.

* ``POST /_sandbox/orders`` creates an order the way checkout would (totals computed by the
  shop), e.g. ``{"status": "processing", "currency": "DKK", "prices_include_tax": true,
  "billing": {"country": "DE"}, "line_items": [{"sku": "KAF-500", "quantity": 2}],
  "coupon": {"code": "KAFFE15", "kind": "percent", "amount": "15"}, "shipping": "pakkeshop",
  "payment_method": "stripe", "transaction_id": "pi_...", "vat_exempt": false,
  "meta_data": [{"key": "_billing_cvr", "value": "..."}], "date_created_gmt": "..."}``.
  Sends ``order.created``.
* ``POST /_sandbox/orders/{id}/status`` ``{"status": "completed", "date_modified_gmt": optional}``
  changes the status like an admin (bumps ``date_modified``, sends ``order.updated``); an older
  ``date_modified_gmt`` simulates a late write.
* ``POST /_sandbox/advance`` ``{"steps": 1}`` applies the next scheduled changes of the generated
  history (status changes, refunds) at the sandbox's current time.
* ``POST /_sandbox/clock`` ``{"now": "2025-04-01T10:00:00"}`` freezes the clock (GMT); ``{"now":
  null}`` lets it run again. Time never goes backwards.
* ``GET /_sandbox/summary`` counts orders by status, currency, gateway, country and
  ``_sandbox_note``, refunds, scheduled changes and webhooks.
* ``GET /_sandbox/deliveries?wait=true`` is the webhook delivery log (after waiting for the queue).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.woocommerce.sandbox import catalog, params
from connectors.woocommerce.sandbox.documents import LineProduct, OrderDraft, build_order, set_date
from connectors.woocommerce.sandbox.pricing import Coupon, LineInput
from connectors.woocommerce.sandbox.store import ShopError, Store, parse_gmt
from connectors.woocommerce.sandbox.taxes import rate_for
from connectors.woocommerce.sandbox.web import admin, body, respond

JSON = dict[str, Any]
DEFAULT_BILLING = {
    "first_name": "Mette", "last_name": "Nielsen", "company": "", "address_1": "Vestergade 12", "address_2": "",
    "city": "Aarhus C", "state": "", "postcode": "8000", "country": "DK", "email": "mette.nielsen@example.net",
    "phone": "+45 20304050",
}


def _moment(data: JSON, name: str) -> datetime | None:
    raw = data.get(name)
    if not raw:
        return None
    try:
        return parse_gmt(str(raw).rstrip("Z"))
    except ValueError:
        raise params.invalid(name, "Invalid date.") from None


def _draft(store: Store, data: JSON, created: datetime) -> OrderDraft:
    currency = data.get("currency", "DKK")
    if currency not in catalog.CURRENCY_FACTOR:
        raise params.invalid("currency", f"currency is not one of {', '.join(catalog.CURRENCY_FACTOR)}.")
    incl = bool(data.get("prices_include_tax", True))
    by_sku = {item.sku: item for item in catalog.items() if item.sku}
    products, lines = [], []
    for index, line in enumerate(data.get("line_items") or []):
        item = by_sku.get(line.get("sku", ""))
        if item is None:
            raise params.invalid("line_items", f"line_items[{index}][sku] is not a SKU of the shop.")
        products.append(LineProduct(item.product_id, item.variation_id, item.name, item.sku, item.parent_name,
                                    (item.attribute,) if item.attribute else ()))
        price = Decimal(str(line["price"])) if "price" in line else catalog.shop_price(item, currency, prices_include_tax=incl)
        lines.append(LineInput(int(line.get("quantity", 1)), price))
    if not lines:
        raise ShopError(400, "rest_missing_callback_param", "Missing parameter(s): line_items", {"line_items": "line_items is required."})
    billing = {**DEFAULT_BILLING, **(data.get("billing") or {})}
    try:
        rate = rate_for(billing["country"], vat_exempt=bool(data.get("vat_exempt")))
    except ValueError as exc:
        raise params.invalid("billing", str(exc)) from None
    coupon = None
    if data.get("coupon"):
        spec = data["coupon"]
        coupon = Coupon(spec["code"], spec.get("kind", "percent"), Decimal(str(spec["amount"])))
    shipping = None
    if data.get("shipping", "pakkeshop"):
        method_id, title, costs = catalog.SHIPPING[data.get("shipping", "pakkeshop")]
        shipping = (method_id, title, costs[currency])
    fee = (data["fee"]["name"], Decimal(str(data["fee"]["amount"]))) if data.get("fee") else None
    method = data.get("payment_method", "stripe")
    status = data.get("status", "processing")
    paid = status in ("processing", "completed") and method != "cod"
    header: JSON = {
        "status": status, "currency": currency, "version": "9.4.2", "customer_id": int(data.get("customer_id", 0)),
        "order_key": f"wc_order_sandbox{store.clock.now():%H%M%S}", "billing": billing,
        "shipping": {k: v for k, v in billing.items() if k != "email"},
        "payment_method": method, "payment_method_title": catalog.PAYMENT_TITLES.get(method, method),
        "transaction_id": data.get("transaction_id", ""), "customer_ip_address": "127.0.0.1",
        "customer_user_agent": "iex-sandbox", "created_via": "checkout", "customer_note": data.get("customer_note", ""),
        "cart_hash": "", "currency_symbol": {"DKK": "kr.", "EUR": "€", "SEK": "kr"}[currency],
    }
    for name in ("date_created", "date_modified"):
        set_date(header, name, created)
    set_date(header, "date_paid", created if paid else None)
    set_date(header, "date_completed", created if status == "completed" else None)
    return OrderDraft(header, products, lines, incl, rate, coupon, shipping, fee)


@admin
async def create_order(request: Request) -> Response:
    store, data = request.app.state.shop.store, await body(request)
    with store.lock:
        created = _moment(data, "date_created_gmt") or store.clock.now()
        order_id = next(store.ids.post)
        order = build_order(_draft(store, data, created), store.ids, order_id=order_id, number=store.next_number(order_id))
        order["meta_data"] = [{"id": next(store.ids.meta), "key": m["key"], "value": m["value"]} for m in data.get("meta_data", [])]
        order = store.add_order(order)
    return respond(order, 201)


@admin
async def change_status(request: Request) -> Response:
    data = await body(request)
    store = request.app.state.shop.store
    order = store.set_status(int(request.path_params["id"]), str(data.get("status", "")), at=_moment(data, "date_modified_gmt"))
    return respond(order)


@admin
async def advance(request: Request) -> Response:
    data = await body(request)
    store = request.app.state.shop.store
    applied = store.advance(int(data.get("steps", 1)))
    return respond({"applied": applied, "scheduled": len(store.schedule)})


@admin
async def clock(request: Request) -> Response:
    data = await body(request)
    store = request.app.state.shop.store
    store.clock.frozen = _moment(data, "now")
    now = store.clock.now()
    return respond({"now": now.replace(tzinfo=None).isoformat(), "frozen": store.clock.frozen is not None})


@admin
async def summary(request: Request) -> Response:
    shop = request.app.state.shop
    store: Store = shop.store
    with store.lock:
        orders = list(store.orders.values())
        notes = Counter(m["value"] for o in orders for m in o["meta_data"] if m["key"] == "_sandbox_note")
        refunds = [r for rs in store.refunds.values() for r in rs]
        return respond({
            "orders": len(orders),
            "by_status": dict(Counter(o["status"] for o in orders)),
            "by_currency": dict(Counter(o["currency"] for o in orders)),
            "by_payment_method": dict(Counter(o["payment_method"] for o in orders)),
            "by_country": dict(Counter(o["billing"]["country"] for o in orders)),
            "prices_include_tax": sum(1 for o in orders if o["prices_include_tax"]),
            "broken": dict(notes),
            "refunds": len(refunds),
            "scheduled": len(store.schedule),
            "products": len(store.products),
            "customers": len(store.customers),
            "webhooks": [h.to_json() | {"failures": h.failures} for h in shop.deliveries.hooks.values()],
            "now": store.clock.now().replace(tzinfo=None).isoformat(),
        })


@admin
async def deliveries(request: Request) -> Response:
    shop = request.app.state.shop
    if params.boolean(request.query_params, "wait"):
        await run_in_threadpool(shop.deliveries.drain)
    return respond(list(shop.deliveries.log))


routes = [
    Route("/_sandbox/orders", create_order, methods=["POST"]),
    Route("/_sandbox/orders/{id:int}/status", change_status, methods=["POST"]),
    Route("/_sandbox/advance", advance, methods=["POST"]),
    Route("/_sandbox/clock", clock, methods=["POST"]),
    Route("/_sandbox/summary", summary, methods=["GET"]),
    Route("/_sandbox/deliveries", deliveries, methods=["GET"]),
]
