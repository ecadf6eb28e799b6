"""The ``/wp-json/wc/v3`` routes of the sandbox shop.

Orders (list with WooCommerce's filters and paging, get, update, delete), order refunds (list, get,
create), products and variations (list with ``sku`` filter, get, stock updates), customers and
webhooks. Unknown routes answer 404 ``rest_no_route`` like WordPress.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.woocommerce.sandbox import params
from connectors.woocommerce.sandbox.documents import RefundPart, part_of_line
from connectors.woocommerce.sandbox.query import OrderQuery
from connectors.woocommerce.sandbox.store import ShopError, Store
from connectors.woocommerce.sandbox.web import API, api, body, error_response, page, respond

JSON = dict[str, Any]


def _store(request: Request) -> Store:
    return request.app.state.shop.store


def _links(request: Request, path: str, collection: str, **extra: str) -> JSON:
    base = request.app.state.shop.site_url + API
    links: JSON = {"self": [{"href": f"{base}/{path}"}], "collection": [{"href": f"{base}/{collection}"}]}
    links.update({name: [{"href": f"{base}/{target}"}] for name, target in extra.items()})
    return links


def _order_out(request: Request, order: JSON) -> JSON:
    extra = {"customer": f"customers/{order['customer_id']}"} if order.get("customer_id") else {}
    return {**order, "_links": _links(request, f"orders/{order['id']}", "orders", **extra)}


def _refund_out(request: Request, order_id: int, refund: JSON) -> JSON:
    return {**refund, "_links": _links(request, f"orders/{order_id}/refunds/{refund['id']}", f"orders/{order_id}/refunds", up=f"orders/{order_id}")}


def _id(request: Request, name: str = "id") -> int:
    return int(request.path_params[name])


# -- orders ---------------------------------------------------------------------------------


@api("list")
async def list_orders(request: Request) -> Response:
    store = _store(request)
    query = OrderQuery.from_params(request.query_params)
    with store.lock:
        found = query.run(store.orders.values())
    return page(request, found, lambda order: _order_out(request, order))


@api("view")
async def get_order(request: Request) -> Response:
    return respond(_order_out(request, _store(request).order(_id(request))))


@api("edit")
async def update_order(request: Request) -> Response:
    changes = await body(request)
    return respond(_order_out(request, _store(request).update_order(_id(request), changes)))


@api("delete")
async def delete_order(request: Request) -> Response:
    force = params.boolean(request.query_params, "force")
    return respond(_order_out(request, _store(request).delete_order(_id(request), force=force)))


# -- refunds --------------------------------------------------------------------------------


@api("list")
async def list_refunds(request: Request) -> Response:
    store, order_id = _store(request), _id(request, "order_id")
    store.order(order_id)
    newest_first = sorted(store.refunds.get(order_id, []), key=lambda r: r["id"], reverse=True)
    return page(request, newest_first, lambda refund: _refund_out(request, order_id, refund))


@api("view")
async def get_refund(request: Request) -> Response:
    order_id = _id(request, "order_id")
    return respond(_refund_out(request, order_id, _store(request).refund(order_id, _id(request))))


def _money(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise params.invalid(name, f"{name} is not of type string.") from None


def _parts(order: JSON, lines: list[JSON]) -> list[RefundPart]:
    """The write-only ``line_items`` of a refund request: ``{id, quantity, refund_total,
    refund_tax: [{id, refund_total}]}``; ``id`` may name a product, shipping or fee item.
    Without ``refund_total`` a product line is refunded pro rata for its quantity."""
    items = {item["id"]: item for key in ("line_items", "shipping_lines", "fee_lines") for item in order[key]}
    parts = []
    for index, line in enumerate(lines):
        item = items.get(int(line.get("id", 0)))
        if item is None:
            raise params.invalid("line_items", f"line_items[{index}][id] is not an item of order {order['id']}.")
        quantity = int(line.get("quantity", 0) or 0)
        if "refund_total" not in line and quantity and "quantity" in item:
            parts.append(part_of_line(item, quantity))
            continue
        tax = sum((_money(t.get("refund_total", 0), "refund_tax") for t in line.get("refund_tax", [])), Decimal(0))
        parts.append(RefundPart(item["id"], quantity, _money(line.get("refund_total", 0), "refund_total"), tax))
    return parts


@api("create")
async def create_refund(request: Request) -> Response:
    store, order_id = _store(request), _id(request, "order_id")
    data = await body(request)
    order = store.order(order_id)
    parts = _parts(order, data.get("line_items") or [])
    amount = _money(data["amount"], "amount") if data.get("amount") not in (None, "") else None
    refund = store.create_refund(order_id, parts, amount=amount, reason=data.get("reason") or "",
                                 api_refund=data.get("api_refund", True) is not False)
    return respond(_refund_out(request, order_id, refund), 201)


# -- products and variations ----------------------------------------------------------------


def _product_out(request: Request, doc: JSON) -> JSON:
    if doc["type"] == "variation":
        path = f"products/{doc['parent_id']}/variations/{doc['id']}"
        return {**doc, "_links": _links(request, path, f"products/{doc['parent_id']}/variations", up=f"products/{doc['parent_id']}")}
    return {**doc, "_links": _links(request, f"products/{doc['id']}", "products")}


@api("list")
async def list_products(request: Request) -> Response:
    store, query = _store(request), request.query_params
    skus, kind = params.strings(query, "sku"), query.get("type")
    include = params.integers(query, "include")
    found = [
        doc for doc in store.products.values()
        if (skus is None or doc["sku"] in skus) and (kind is None or doc["type"] == kind)
        and (include is None or doc["id"] in include)
    ]
    order = params.choice(query, "order", ("asc", "desc"), "desc")
    found.sort(key=lambda d: (d["date_created_gmt"], d["id"]), reverse=order == "desc")
    return page(request, found, lambda doc: _product_out(request, doc))


@api("view")
async def get_product(request: Request) -> Response:
    return respond(_product_out(request, _store(request).product(_id(request))))


def _stock_change(store: Store, doc: JSON, data: JSON) -> JSON:
    quantity = data.get("stock_quantity")
    if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, (int, Decimal, str))):
        raise params.invalid("stock_quantity", "stock_quantity is not of type integer.")
    try:
        parsed = int(Decimal(str(quantity))) if quantity is not None else None
    except InvalidOperation:
        raise params.invalid("stock_quantity", "stock_quantity is not of type integer.") from None
    for key in ("regular_price", "sale_price", "name"):
        if key in data:
            doc[key] = str(data[key])
    manage = data.get("manage_stock")
    return store.set_stock(doc, parsed, manage if isinstance(manage, bool) else None)


@api("edit")
async def update_product(request: Request) -> Response:
    store = _store(request)
    doc = store.product(_id(request))
    return respond(_product_out(request, _stock_change(store, doc, await body(request))))


@api("list")
async def list_variations(request: Request) -> Response:
    store = _store(request)
    product = store.product(_id(request, "product_id"))
    found = sorted(store.variations.get(product["id"], {}).values(), key=lambda d: d["id"])
    skus = params.strings(request.query_params, "sku")
    found = [doc for doc in found if skus is None or doc["sku"] in skus]
    return page(request, found, lambda doc: _product_out(request, doc))


@api("view")
async def get_variation(request: Request) -> Response:
    return respond(_product_out(request, _store(request).variation(_id(request, "product_id"), _id(request))))


@api("edit")
async def update_variation(request: Request) -> Response:
    store = _store(request)
    doc = store.variation(_id(request, "product_id"), _id(request))
    return respond(_product_out(request, _stock_change(store, doc, await body(request))))


# -- customers ------------------------------------------------------------------------------


@api("list")
async def list_customers(request: Request) -> Response:
    store, email = _store(request), request.query_params.get("email")
    found = sorted((c for c in store.customers.values() if email is None or c["email"] == email), key=lambda c: c["id"])
    return page(request, found, lambda c: {**c, "_links": _links(request, f"customers/{c['id']}", "customers")})


@api("view")
async def get_customer(request: Request) -> Response:
    found = _store(request).customers.get(_id(request))
    if found is None:
        raise ShopError(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
    return respond({**found, "_links": _links(request, f"customers/{found['id']}", "customers")})


# -- webhooks -------------------------------------------------------------------------------


def _hook(request: Request) -> Any:
    hook = request.app.state.shop.deliveries.hooks.get(_id(request))
    if hook is None:
        raise ShopError(404, "woocommerce_rest_webhook_invalid_id", "Invalid webhook ID.")
    return hook


@api("list")
async def list_webhooks(request: Request) -> Response:
    hooks = sorted(request.app.state.shop.deliveries.hooks.values(), key=lambda h: h.id)
    return page(request, [h.to_json() for h in hooks], lambda doc: doc)


@api("create")
async def create_webhook(request: Request) -> Response:
    data = await body(request)
    if not data.get("topic") or not data.get("delivery_url"):
        missing = "topic" if not data.get("topic") else "delivery_url"
        raise ShopError(400, "rest_missing_callback_param", f"Missing parameter(s): {missing}", {missing: f"{missing} is required."})
    deliveries = request.app.state.shop.deliveries
    hook = await run_in_threadpool(
        lambda: deliveries.register(name=data.get("name", ""), topic=data["topic"], delivery_url=data["delivery_url"],
                                    secret=str(data.get("secret") or "woocommerce-sandbox"), status=data.get("status", "active"))
    )
    return respond(hook.to_json(), 201)


@api("view")
async def get_webhook(request: Request) -> Response:
    return respond(_hook(request).to_json())


@api("edit")
async def update_webhook(request: Request) -> Response:
    hook, data = _hook(request), await body(request)
    if data.get("status") in ("active", "paused", "disabled"):
        hook.status = data["status"]
        if hook.status == "active":
            hook.failures = 0
    for key in ("name", "delivery_url", "secret"):
        if data.get(key):
            setattr(hook, key, str(data[key]))
    return respond(hook.to_json())


@api("delete")
async def delete_webhook(request: Request) -> Response:
    hook = _hook(request)
    del request.app.state.shop.deliveries.hooks[hook.id]
    return respond(hook.to_json())


async def no_route(request: Request) -> Response:
    return error_response(ShopError(404, "rest_no_route", "No route was found matching the URL and request method."))


ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

routes = [
    Route(f"{API}/orders", list_orders, methods=["GET"]),
    Route(f"{API}/orders/{{id:int}}", get_order, methods=["GET"]),
    Route(f"{API}/orders/{{id:int}}", update_order, methods=["PUT", "POST", "PATCH"]),
    Route(f"{API}/orders/{{id:int}}", delete_order, methods=["DELETE"]),
    Route(f"{API}/orders/{{order_id:int}}/refunds", list_refunds, methods=["GET"]),
    Route(f"{API}/orders/{{order_id:int}}/refunds", create_refund, methods=["POST"]),
    Route(f"{API}/orders/{{order_id:int}}/refunds/{{id:int}}", get_refund, methods=["GET"]),
    Route(f"{API}/products", list_products, methods=["GET"]),
    Route(f"{API}/products/{{id:int}}", get_product, methods=["GET"]),
    Route(f"{API}/products/{{id:int}}", update_product, methods=["PUT", "POST", "PATCH"]),
    Route(f"{API}/products/{{product_id:int}}/variations", list_variations, methods=["GET"]),
    Route(f"{API}/products/{{product_id:int}}/variations/{{id:int}}", get_variation, methods=["GET"]),
    Route(f"{API}/products/{{product_id:int}}/variations/{{id:int}}", update_variation, methods=["PUT", "POST", "PATCH"]),
    Route(f"{API}/customers", list_customers, methods=["GET"]),
    Route(f"{API}/customers/{{id:int}}", get_customer, methods=["GET"]),
    Route(f"{API}/webhooks", list_webhooks, methods=["GET"]),
    Route(f"{API}/webhooks", create_webhook, methods=["POST"]),
    Route(f"{API}/webhooks/{{id:int}}", get_webhook, methods=["GET"]),
    Route(f"{API}/webhooks/{{id:int}}", update_webhook, methods=["PUT", "POST", "PATCH"]),
    Route(f"{API}/webhooks/{{id:int}}", delete_webhook, methods=["DELETE"]),
    Route("/wp-json/{rest:path}", no_route, methods=ALL_METHODS),
]
