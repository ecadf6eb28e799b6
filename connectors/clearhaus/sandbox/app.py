"""The Clearhaus sandbox's HTTP API: ``POST /oauth/token`` (client credentials, HTTP Basic) and
the Merchant API's hypermedia root, ``/settlements`` (HAL collection, ``page``/``per_page``,
``query``), ``/settlements/{id}`` and its ``ch:transactions``, with absolute ``_links`` and the
error bodies, plus ``POST /_sandbox/payouts`` to settle given transactions (minor units).

* Token errors are OAuth 2.0 bodies (``{"error": "invalid_client", ...}``, 401). API calls need a
  Bearer token the sandbox issued; errors are ``{"status": {"code", "message"}}`` [U: the shape
  Clearhaus's gateway uses].
* Collections: ``{"count", "page", "per_page", "_links": {self, first, last, prev?, next?, curies},
  "_embedded": {"ch:<rel>": [...]}}``, newest settlement first [U]; ``per_page`` 1..100,
  default 20 [U]. ``query`` understands ``settled:true`` / ``settled:false`` only.

Options: ``client_id``, ``client_secret``.
"""

from __future__ import annotations

import base64
import math
import secrets
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.sandbox.payouts import admin_payouts, bearer_accepted, form_fields, issue_token

from connectors.clearhaus.sandbox.store import Store

DEFAULTS = {"client_id": "clearhaus-sandbox-client", "client_secret": "clearhaus-sandbox-secret-5be1"}
HAL = "application/hal+json"
CURIES = [{"href": "https://developer.clearhaus.com/rels/{rel}", "templated": True, "name": "ch"}]


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message

    def response(self) -> JSONResponse:
        return JSONResponse({"status": {"code": self.status * 100, "message": self.message}}, status_code=self.status)


def create_app(options: dict[str, Any] | None = None) -> Starlette:
    keys = {k: str((options or {}).get(k) or v) for k, v in DEFAULTS.items()}
    store = Store()

    async def token(request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(value).decode().partition(":") if scheme.lower() == "basic" else ("", "", "")
        except (ValueError, UnicodeDecodeError):
            user, password = "", ""
        if user != keys["client_id"] or not secrets.compare_digest(password.encode(), keys["client_secret"].encode()):
            return JSONResponse({"error": "invalid_client", "error_description": "Client authentication failed"},
                                status_code=401, headers={"WWW-Authenticate": 'Basic realm="clearhaus"'})
        if (await form_fields(request)).get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type",
                                 "error_description": "grant_type must be client_credentials"}, status_code=400)
        return JSONResponse({"access_token": issue_token(store), "token_type": "Bearer", "expires_in": 3600})

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                with store.lock:
                    if not bearer_accepted(request, store):
                        raise ApiError(401, "Unauthorized: a valid access token is required")
                    document = handler(request, store, str(request.base_url).rstrip("/"))
                return JSONResponse(document, media_type=HAL)
            except ApiError as exc:
                return exc.response()
        return endpoint

    app = Starlette(routes=[
        Route("/oauth/token", token, methods=["POST"]),
        Route("/", guarded(_root), methods=["GET"]),
        Route("/settlements", guarded(_settlements), methods=["GET"]),
        Route("/settlements/{settlement_id}", guarded(_settlement), methods=["GET"]),
        Route("/settlements/{settlement_id}/transactions", guarded(_transactions), methods=["GET"]),
        Route("/_sandbox/payouts", admin_payouts(store, store.create), methods=["POST"]),
    ])
    app.state.store = store
    app.state.reset = store.reset
    return app


def _root(request: Request, store: Store, base: str) -> dict[str, Any]:
    return {"_links": {"self": {"href": f"{base}/"}, "curies": CURIES,
                       "ch:settlements": {"href": f"{base}/settlements"},
                       "ch:settlement": {"href": f"{base}/settlements/{{id}}", "templated": True}}}


def _with_links(settlement: dict[str, Any], base: str) -> dict[str, Any]:
    own = f"{base}/settlements/{settlement['id']}"
    return {**settlement, "_links": {"self": {"href": own}, "ch:transactions": {"href": f"{own}/transactions"}}}


def _settlement(request: Request, store: Store, base: str) -> dict[str, Any]:
    found = store.settlements.get(request.path_params["settlement_id"])
    if found is None:
        raise ApiError(404, "Not found")
    return _with_links(found, base)


def _settlements(request: Request, store: Store, base: str) -> dict[str, Any]:
    items = sorted(store.settlements.values(), key=lambda s: (s["period"]["end_date"], s["id"]), reverse=True)
    for term in (request.query_params.get("query") or "").split():
        if term not in ("settled:true", "settled:false"):
            raise ApiError(400, f"Invalid query: {term}")
        items = [s for s in items if s["settled"] == (term == "settled:true")]
    return _collection(request, "ch:settlements", [_with_links(s, base) for s in items], base)


def _transactions(request: Request, store: Store, base: str) -> dict[str, Any]:
    settlement_id = request.path_params["settlement_id"]
    if settlement_id not in store.settlements:
        raise ApiError(404, "Not found")
    items = [{**t, "_links": {"self": {"href": f"{base}/transactions/{t['id']}"}}}
             for t in store.transactions[settlement_id]]
    return _collection(request, "ch:transactions", items, base)


def _collection(request: Request, rel: str, items: list[dict[str, Any]], base: str) -> dict[str, Any]:
    query = request.query_params
    try:
        page, per_page = int(query.get("page", "1")), int(query.get("per_page", "20"))
    except ValueError:
        raise ApiError(400, "page and per_page must be whole numbers") from None
    if page < 1 or not 1 <= per_page <= 100:
        raise ApiError(400, "page must be at least 1 and per_page between 1 and 100")
    last = max(1, math.ceil(len(items) / per_page))
    kept = {k: v for k, v in query.items() if k not in ("page", "per_page")}

    def href(number: int) -> dict[str, str]:
        return {"href": f"{base}{request.url.path}?{urlencode({**kept, 'page': number, 'per_page': per_page})}"}

    links: dict[str, Any] = {"self": href(page), "first": href(1), "last": href(last), "curies": CURIES}
    if page > 1:
        links["prev"] = href(page - 1)
    if page < last:
        links["next"] = href(page + 1)
    return {"count": len(items), "page": page, "per_page": per_page, "_links": links,
            "_embedded": {rel: items[(page - 1) * per_page:page * per_page]}}
