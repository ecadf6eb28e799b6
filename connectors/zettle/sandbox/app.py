"""The Zettle sandbox's HTTP API: ``POST /token`` (the assertion grant) and ``GET
/v2/accounts/{liquid|preliminary}/transactions``, with their parameters, paging and error
bodies, plus ``POST /_sandbox/payouts`` to book rows and pay the balance out.

* Token: form-encoded ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``, ``client_id``,
  ``assertion``. An unknown client answers 401 ``invalid_client``, a wrong or revoked key 400
  ``invalid_grant`` (OAuth 2.0 error bodies); the answer is ``{"access_token", "expires_in": 7200}``.
* Transactions: ``start`` (inclusive) and ``end`` (exclusive) are required, UTC; ``limit``
  1..10000 (default 1000 [U]), ``offset``; ``includeTransactionType`` repeatable; rows oldest
  first. Errors ``{"errorType", "developerMessage", "violations"}`` [U: shape].

Options: ``client_id``, ``api_key``, ``uuid_field`` (``originatorTransactionUuid``, the API yaml's
spelling, or ``originatingTransactionUuid``, the guides').
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.sandbox.payouts import BadInput, admin_payouts, bearer_accepted, form_fields, issue_token

from connectors.zettle.sandbox.store import TYPES, Store, parse_moment

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULTS = {"client_id": "zettle-sandbox-client",
            "api_key": "eyJraWQiOiIwIiwidHlwIjoiSldUIiwiYWxnIjoiUlMyNTYifQ.sandbox.c2lnbmF0dXJl"}


class FinanceError(Exception):
    def __init__(self, status: int, kind: str, message: str, violations: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.violations = status, kind, message, violations or []

    def response(self) -> JSONResponse:
        return JSONResponse({"errorType": self.kind, "developerMessage": self.message, "violations": self.violations},
                            status_code=self.status)


def create_app(options: dict[str, Any] | None = None) -> Starlette:
    options = dict(options or {})
    keys = {k: str(options.get(k) or v) for k, v in DEFAULTS.items()}
    field = str(options.get("uuid_field") or "originatorTransactionUuid")
    if field not in ("originatorTransactionUuid", "originatingTransactionUuid"):
        raise ValueError(f"uuid_field: {field!r} is neither originatorTransactionUuid nor originatingTransactionUuid")
    store = Store(field)

    async def token(request: Request) -> Response:
        form = await form_fields(request)
        if form.get("grant_type") != GRANT:
            return JSONResponse({"error": "unsupported_grant_type", "error_description": "Use the jwt-bearer grant"},
                                status_code=400)
        if form.get("client_id") != keys["client_id"]:
            return JSONResponse({"error": "invalid_client", "error_description": "Unknown client"}, status_code=401)
        if not secrets.compare_digest(form.get("assertion", "").encode(), keys["api_key"].encode()):
            return JSONResponse({"error": "invalid_grant", "error_description": "Invalid assertion"}, status_code=400)
        return JSONResponse({"access_token": issue_token(store), "expires_in": 7200})

    async def transactions(request: Request) -> Response:
        try:
            with store.lock:
                if not bearer_accepted(request, store):
                    raise FinanceError(401, "UNAUTHORIZED", "Missing or invalid access token")
                return _transactions(request, store)
        except FinanceError as exc:
            return exc.response()

    app = Starlette(routes=[
        Route("/token", token, methods=["POST"]),
        Route("/v2/accounts/{group}/transactions", transactions, methods=["GET"]),
        Route("/_sandbox/payouts", admin_payouts(store, store.add), methods=["POST"]),
    ])
    app.state.store = store
    app.state.reset = store.reset
    return app


def _transactions(request: Request, store: Store) -> Response:
    if request.path_params["group"] not in ("liquid", "preliminary"):
        raise FinanceError(400, "INVALID_REQUEST", "accountTypeGroup must be liquid or preliminary")
    query = request.query_params
    missing = [name for name in ("start", "end") if not query.get(name)]
    if missing:
        raise FinanceError(400, "INVALID_REQUEST", "start and end are required",
                           [{"propertyName": m, "developerMessage": "must not be null"} for m in missing])
    try:
        start, end = parse_moment(query["start"]), parse_moment(query["end"])
        limit, offset = int(query.get("limit", "1000")), int(query.get("offset", "0"))
    except (BadInput, ValueError):
        raise FinanceError(400, "INVALID_REQUEST", "start/end must be ISO date-times, limit/offset numbers") from None
    if not 1 <= limit <= 10000 or offset < 0:
        raise FinanceError(400, "INVALID_REQUEST", "limit must be 1..10000 and offset not negative")
    types = query.getlist("includeTransactionType")
    unknown = [t for t in types if t not in TYPES]
    if unknown:
        raise FinanceError(400, "INVALID_REQUEST", f"unknown transaction type {unknown[0]}")
    if request.path_params["group"] == "preliminary":
        rows: list[dict[str, Any]] = []
    else:
        rows = [r for at, r in store.rows if start <= at < end and (not types or r["originatorTransactionType"] in types)]
    return JSONResponse(rows[offset:offset + limit])
