"""The Stripe sandbox's HTTP API: the paths, list envelope, auth and error shapes of
api.stripe.com for what the connector reads, plus ``POST /_sandbox/payouts`` to make a payout.

* ``Authorization: Bearer <secret key>`` (Basic with the key as user name works too, as on
  Stripe). No key, or a wrong one: 401 with Stripe's error body.
* ``Stripe-Version`` is checked for its shape and echoed back.
* Lists: ``{"object": "list", "data": [...], "has_more": bool, "url": "/v1/..."}``, newest first,
  ``limit`` 1..100 (default 10), ``starting_after``/``ending_before`` an id of the list.
* Errors: ``{"error": {"type", "message", "code"?, "param"?, "doc_url"?}}``.
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.sandbox.payouts import admin_payouts

from connectors.stripe.sandbox.store import Store, public

DEFAULT_SECRET_KEY = "sk_test_sandbox_4eC39HqLyjWDarjtT1zdp7dc"
VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
MAX_LIMIT = 100


class StripeError(Exception):
    def __init__(self, status: int, message: str, *, code: str | None = None, param: str | None = None,
                 kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.code, self.param, self.kind = status, code, param, kind

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"type": self.kind, "message": str(self)}
        if self.code:
            body["code"] = self.code
            body["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            body["param"] = self.param
        return JSONResponse({"error": body}, status_code=self.status)


def create_app(options: dict[str, Any] | None = None) -> Starlette:
    """A fresh sandbox. Options: ``secret_key`` (the key it accepts)."""
    options = dict(options or {})
    secret_key = str(options.get("secret_key") or DEFAULT_SECRET_KEY)
    store = Store()

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                _authenticate(request, secret_key)
                version = request.headers.get("stripe-version")
                if version is not None and not VERSION.match(version):
                    raise StripeError(400, f"Invalid Stripe API version: {version}")
                with store.lock:
                    answer = handler(request, store)
            except StripeError as exc:
                answer = exc.response()
            answer.headers["request-id"] = "req_" + secrets.token_hex(7)
            if request.headers.get("stripe-version"):
                answer.headers["stripe-version"] = request.headers["stripe-version"]
            return answer
        return endpoint

    app = Starlette(routes=[
        Route("/v1/payouts", guarded(_list_payouts), methods=["GET"]),
        Route("/v1/payouts/{payout_id}", guarded(_get_payout), methods=["GET"]),
        Route("/v1/balance_transactions", guarded(_list_balance_transactions), methods=["GET"]),
        Route("/_sandbox/payouts", admin_payouts(store, store.create_payout, _refusal), methods=["POST"]),
    ])
    app.state.store = store
    app.state.reset = store.reset
    return app


def _refusal(message: str) -> dict[str, Any]:
    """The admin's 400 body, in Stripe's error shape."""
    return {"error": {"type": "invalid_request_error", "message": message}}


def _authenticate(request: Request, secret_key: str) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    given = None
    if scheme.lower() == "bearer":
        given = value.strip()
    elif scheme.lower() == "basic":
        try:
            given = base64.b64decode(value.strip()).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            given = ""
    if not given:
        raise StripeError(401, "You did not provide an API key. You need to provide your API key in the "
                               "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). "
                               "See https://stripe.com/docs/api#authentication for details, or we can help at "
                               "https://support.stripe.com/.")
    if not secrets.compare_digest(given.encode(), secret_key.encode()):
        shown = f"{given[:8]}{'*' * max(0, len(given) - 12)}{given[-4:]}" if len(given) > 12 else "****"
        raise StripeError(401, f"Invalid API Key provided: {shown}")


def _get_payout(request: Request, store: Store) -> Response:
    payout_id = request.path_params["payout_id"]
    payout = store.payouts.get(payout_id)
    if payout is None:
        raise StripeError(404, f"No such payout: '{payout_id}'", code="resource_missing", param="id")
    return JSONResponse(payout)


def _list_payouts(request: Request, store: Store) -> Response:
    query = request.query_params
    items = store.payout_list()
    if "status" in query:
        items = [p for p in items if p["status"] == query["status"]]
    items = _created_filter(items, query)
    return _page(request, items, "/v1/payouts")


def _list_balance_transactions(request: Request, store: Store) -> Response:
    query = request.query_params
    payout_id = query.get("payout")
    if payout_id is not None:
        payout = store.payouts.get(payout_id)
        if payout is None:
            raise StripeError(404, f"No such payout: '{payout_id}'", code="resource_missing", param="payout")
        if not payout["automatic"]:
            raise StripeError(400, "Balance transaction history can only be filtered on automatic transfers, "
                                   "not manual.", param="payout")
        items = store.transactions_of(payout_id)
    else:
        items = list(reversed(store.transactions))
    if "type" in query:
        items = [t for t in items if t["type"] == query["type"]]
    items = _created_filter(items, query)
    expand = query.getlist("expand[]")
    unknown = [e for e in expand if e != "data.source"]
    if unknown:
        raise StripeError(400, f"This property cannot be expanded ({unknown[0]}).", param="expand")
    page = _page(request, [public(t) for t in items], "/v1/balance_transactions", raw=True)
    if expand:
        for txn in page["data"]:
            if txn["source"] in store.sources:
                txn["source"] = store.sources[txn["source"]]
    return JSONResponse(page)


def _created_filter(items: list[dict[str, Any]], query: Any) -> list[dict[str, Any]]:
    for op, test in (("gt", lambda a, b: a > b), ("gte", lambda a, b: a >= b),
                     ("lt", lambda a, b: a < b), ("lte", lambda a, b: a <= b)):
        name = f"created[{op}]"
        if name in query:
            bound = _integer(query[name], name)
            items = [i for i in items if test(i["created"], bound)]
    return items


def _page(request: Request, items: list[dict[str, Any]], url: str, *, raw: bool = False) -> Any:
    query = request.query_params
    limit = _integer(query.get("limit", "10"), "limit")
    if not 1 <= limit <= MAX_LIMIT:
        raise StripeError(400, f"This value must be less than or equal to {MAX_LIMIT} (it currently is '{limit}')."
                          if limit > MAX_LIMIT else "This value must be greater than or equal to 1.", param="limit")
    ids = [i["id"] for i in items]
    if "starting_after" in query:
        cursor = query["starting_after"]
        if cursor not in ids:
            raise StripeError(400, f"Invalid starting_after id: {cursor}", param="starting_after")
        items = items[ids.index(cursor) + 1:]
    elif "ending_before" in query:
        cursor = query["ending_before"]
        if cursor not in ids:
            raise StripeError(400, f"Invalid ending_before id: {cursor}", param="ending_before")
        items = items[:ids.index(cursor)][-limit:]
    page = {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}
    return page if raw else JSONResponse(page)


def _integer(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise StripeError(400, f"Invalid integer: {value}", param=name) from None
