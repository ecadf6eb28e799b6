"""The Shopify Payments sandbox's HTTP API: the Admin REST paths, JSON shapes, auth header,
``Link`` paging, leaky-bucket rate limit and error bodies of a store, plus ``POST
/_sandbox/payouts`` to pay out given balance transactions.

* ``X-Shopify-Access-Token`` must be the store's token; else 401 ``{"errors": "[API] Invalid API
  key or access token (unrecognized login or wrong password)"}``.
* ``/admin/api/{version}/...``: a version Shopify does not serve answers 404 ``{"errors": "Not Found"}``.
* Lists: ``limit`` 1..250 (default 50); the next and previous pages are in ``Link`` with an
  opaque ``page_info``; with ``page_info`` only ``limit`` and ``fields`` may be given [U: stated
  for a clone of the API, believed the same].
* Every answer carries ``X-Shopify-Shop-Api-Call-Limit: used/size``. A full bucket answers 429
  with ``Retry-After`` (seconds, may be fractional) and Shopify's text.

Options: ``access_token`` (default ``shpat_sandbox``), ``bucket_size`` (40), ``leak_rate`` (2 per
second; tests raise it so a wait is short).
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.sandbox.payouts import admin_payouts

from connectors.shopify_payments.sandbox.store import LeakyBucket, Store

DEFAULT_TOKEN = "shpat_sandbox_0f3c9a"
VERSIONS = frozenset({"2024-01", "2024-04", "2024-07", "2024-10", "2025-01", "2025-04", "2025-07", "2025-10",
                      "unstable"})
MAX_LIMIT = 250
PAGE_ONLY = frozenset({"limit", "fields", "page_info"})


class ShopifyError(Exception):
    def __init__(self, status: int, errors: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(errors))
        self.status, self.errors, self.headers = status, errors, headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse({"errors": self.errors}, status_code=self.status, headers=self.headers)


def create_app(options: dict[str, Any] | None = None) -> Starlette:
    """A fresh store. Options: ``access_token``, ``bucket_size``, ``leak_rate``."""
    options = dict(options or {})
    token = str(options.get("access_token") or DEFAULT_TOKEN)
    size, rate = int(options.get("bucket_size", 40)), float(options.get("leak_rate", 2))
    store = Store()
    buckets: dict[str, LeakyBucket] = {}

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            used = None
            try:
                given = request.headers.get("x-shopify-access-token", "")
                if not secrets.compare_digest(given.encode(), token.encode()):
                    raise ShopifyError(401, "[API] Invalid API key or access token (unrecognized login or wrong password)")
                with store.lock:
                    allowed, wait, used = buckets.setdefault(given, LeakyBucket(size, rate)).take()
                    if not allowed:
                        raise ShopifyError(429, f"Exceeded {rate:g} calls per second for api client. Reduce request "
                                                "rates to resume uninterrupted service.",
                                           {"Retry-After": f"{max(wait, 0.1):.1f}"})
                    if request.path_params["version"] not in VERSIONS:
                        raise ShopifyError(404, "Not Found")
                    answer = handler(request, store)
            except ShopifyError as exc:
                answer = exc.response()
            if used is not None:
                answer.headers["X-Shopify-Shop-Api-Call-Limit"] = f"{used}/{size}"
            answer.headers["X-Request-Id"] = secrets.token_hex(8)
            return answer
        return endpoint

    base = "/admin/api/{version}/shopify_payments"
    app = Starlette(routes=[
        Route(f"{base}/payouts.json", guarded(_list_payouts), methods=["GET"]),
        Route(f"{base}/payouts/{{payout_id}}.json", guarded(_get_payout), methods=["GET"]),
        Route(f"{base}/balance/transactions.json", guarded(_list_transactions), methods=["GET"]),
        Route("/_sandbox/payouts", admin_payouts(store, store.create_payout, lambda message: {"errors": message}),
              methods=["POST"]),
    ])
    app.state.store = store
    app.state.reset = store.reset
    return app


def _get_payout(request: Request, store: Store) -> Response:
    try:
        payout = store.payouts.get(int(request.path_params["payout_id"]))
    except ValueError:
        payout = None
    if payout is None:
        raise ShopifyError(404, "Not Found")
    return JSONResponse({"payout": payout})


def _list_payouts(request: Request, store: Store) -> Response:
    def select(query: dict[str, str]) -> list[dict[str, Any]]:
        items = store.payout_list()
        if "status" in query:
            items = [p for p in items if p["status"] == query["status"]]
        for name, test in (("date_min", lambda p, v: p["date"] >= v), ("date_max", lambda p, v: p["date"] <= v),
                           ("date", lambda p, v: p["date"] == v)):
            if name in query:
                items = [p for p in items if test(p, query[name])]
        if "since_id" in query:
            items = [p for p in items if p["id"] > _integer(query["since_id"], "since_id")]
        if "last_id" in query:
            items = [p for p in items if p["id"] <= _integer(query["last_id"], "last_id")]
        return items

    return _page(request, "payouts", select)


def _list_transactions(request: Request, store: Store) -> Response:
    def select(query: dict[str, str]) -> list[dict[str, Any]]:
        if "payout_id" in query:
            items = store.transactions_of(_integer(query["payout_id"], "payout_id"))
        else:
            items = sorted(store.transactions, key=lambda t: t["id"], reverse=True)
        if "since_id" in query:
            items = [t for t in items if t["id"] > _integer(query["since_id"], "since_id")]
        if "payout_status" in query:
            items = [t for t in items if t["payout_status"] == query["payout_status"]]
        return items

    return _page(request, "transactions", select)


def _page(request: Request, key: str, select: Any) -> Response:
    """One page of a list and its ``Link`` header; the filters travel inside ``page_info``."""
    query = dict(request.query_params)
    limit = _integer(query.get("limit", "50"), "limit")
    if not 1 <= limit <= MAX_LIMIT:
        raise ShopifyError(400, {"limit": [f"must be between 1 and {MAX_LIMIT}"]})
    offset = 0
    if "page_info" in query:
        extra = sorted(set(query) - PAGE_ONLY)
        if extra:
            raise ShopifyError(400, {"page_info": [f"cannot be combined with {', '.join(extra)}; "
                                                   "only limit and fields may be given with page_info"]})
        filters, offset = _decode(query["page_info"])
    else:
        filters = {k: v for k, v in query.items() if k not in PAGE_ONLY}
    items = select(filters)
    page = items[offset:offset + limit]
    links = []
    url = f"{request.base_url}".rstrip("/") + request.url.path
    if offset + limit < len(items):
        links.append(f'<{url}?{urlencode({"limit": limit, "page_info": _encode(filters, offset + limit)})}>; rel="next"')
    if offset > 0:
        links.append(f'<{url}?{urlencode({"limit": limit, "page_info": _encode(filters, max(0, offset - limit))})}>; '
                     'rel="previous"')
    headers = {"Link": ", ".join(links)} if links else {}
    return JSONResponse({key: page}, headers=headers)


def _encode(filters: dict[str, str], offset: int) -> str:
    raw = json.dumps({"f": filters, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(page_info: str) -> tuple[dict[str, str], int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(page_info + "=" * (-len(page_info) % 4)))
        return dict(data["f"]), int(data["o"])
    except (ValueError, KeyError, TypeError):
        raise ShopifyError(400, {"page_info": ["Invalid value."]}) from None


def _integer(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ShopifyError(400, {name: ["expected Integer"]}) from None
