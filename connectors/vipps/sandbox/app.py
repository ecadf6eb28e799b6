"""The Vipps MobilePay sandbox's HTTP API: ``POST /accesstoken/get``, ``GET
/settlement/v1/ledgers`` and the Report API's ``/report/v2/ledgers/{ledgerId}/{topic}/dates/{date}``
and ``.../feed``, with their headers, cursor paging and error bodies, plus ``POST
/_sandbox/payouts`` to book a ledger day (entries in minor units) and pay it out.

* The token request carries ``client_id``, ``client_secret`` and ``Ocp-Apim-Subscription-Key``
  as headers; a wrong one answers 401 ``{"error", "error_description"}`` (Azure AD style [U]).
* Every other call needs the subscription key (else 401 ``{"statusCode", "message"}``, as API
  Management answers [U]) and a Bearer token the sandbox issued (else a 401 problem document).
* Lists answer ``{"cursor", "items"}`` (the feed also ``tryLater``); ``pagesize`` 1..10000,
  default 1000; ``cursor`` is opaque [U: paging details]. Topic ``fees`` is served empty.

Options: ``client_id``, ``client_secret``, ``subscription_key``, ``ledger_id`` (302321),
``currency`` (DKK), ``msn`` (123456).
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

from engine.sandbox.payouts import admin_payouts, bearer_accepted, issue_token

from connectors.vipps.sandbox.store import Store

DEFAULTS = {"client_id": "vipps-sandbox-client", "client_secret": "vipps-sandbox-secret-7f3a",
            "subscription_key": "vipps-sandbox-subscription-91c2", "ledger_id": "302321", "currency": "DKK",
            "msn": "123456"}
PROBLEM_TYPE = "https://developer.vippsmobilepay.com/docs/APIs/report-api/api-guide/errors"
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.body = status, title, detail, body

    def response(self, path: str) -> JSONResponse:
        body = self.body or {"type": PROBLEM_TYPE, "title": self.title, "status": self.status, "detail": self.detail,
                             "instance": path}
        return JSONResponse(body, status_code=self.status, media_type="application/problem+json"
                            if self.body is None else "application/json")


def create_app(options: dict[str, Any] | None = None) -> Starlette:
    keys = {k: str((options or {}).get(k) or v) for k, v in DEFAULTS.items()}
    store = Store(keys["ledger_id"], keys["currency"], keys["msn"])

    def subscription(request: Request) -> None:
        if not secrets.compare_digest(request.headers.get("ocp-apim-subscription-key", "").encode(),
                                      keys["subscription_key"].encode()):
            raise Problem(401, "", "", {"statusCode": 401, "message": "Access denied due to invalid subscription key. "
                                        "Make sure to provide a valid key for an active subscription."})

    async def token(request: Request) -> Response:
        try:
            subscription(request)
        except Problem as exc:
            return exc.response(request.url.path)
        if (request.headers.get("client_id") != keys["client_id"]
                or not secrets.compare_digest(request.headers.get("client_secret", "").encode(),
                                              keys["client_secret"].encode())):
            return JSONResponse({"error": "unauthorized_client",
                                 "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the "
                                                      "secret being sent in the request is the client secret value."},
                                status_code=401)
        return JSONResponse({"token_type": "Bearer", "expires_in": "86398", "ext_expires_in": "86398",
                             "expires_on": "1700000000", "not_before": "1699913302",
                             "resource": "00000002-0000-0000-c000-000000000000",
                             "access_token": issue_token(store, "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.")})

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                subscription(request)
                with store.lock:
                    if not bearer_accepted(request, store):
                        raise Problem(401, "Unauthorized", "The access token is missing, invalid or expired")
                    return handler(request, store)
            except Problem as exc:
                return exc.response(request.url.path)
        return endpoint

    app = Starlette(routes=[
        Route("/accesstoken/get", token, methods=["POST"]),
        Route("/settlement/v1/ledgers", guarded(_ledgers), methods=["GET"]),
        Route("/report/v2/ledgers/{ledger_id}/{topic}/dates/{day}", guarded(_by_date), methods=["GET"]),
        Route("/report/v2/ledgers/{ledger_id}/{topic}/feed", guarded(_feed), methods=["GET"]),
        Route("/_sandbox/payouts", admin_payouts(store, store.add_day), methods=["POST"]),
    ])
    app.state.store = store
    app.state.reset = store.reset
    return app


def _ledgers(request: Request, store: Store) -> Response:
    return JSONResponse({"items": list(store.ledgers.values()), "cursor": ""})


def _entries(request: Request, store: Store) -> list[dict[str, Any]]:
    ledger_id, topic = request.path_params["ledger_id"], request.path_params["topic"]
    if topic not in ("funds", "fees"):
        raise Problem(400, "Bad Request", f"Unknown topic '{topic}': use funds or fees")
    if ledger_id not in store.ledgers:
        raise Problem(404, "Not Found", f"Ledger {ledger_id} was not found, or these keys have no access to it")
    return store.entries[ledger_id] if topic == "funds" else []


def _window(request: Request, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    query = request.query_params
    try:
        size = int(query.get("pagesize", "1000"))
    except ValueError:
        raise Problem(400, "Bad Request", "pagesize must be a whole number") from None
    if not 1 <= size <= 10000:
        raise Problem(400, "Bad Request", "pagesize must be between 1 and 10000")
    start = _decode(query["cursor"]) if query.get("cursor") else 0
    return items[start:start + size], start


def _by_date(request: Request, store: Store) -> Response:
    day = request.path_params["day"]
    if not DAY.match(day):
        raise Problem(400, "Bad Request", f"ledgerDate '{day}' is not a date (YYYY-MM-DD)")
    found = [e for e in _entries(request, store) if e["ledgerDate"] == day]
    page, start = _window(request, found)
    end = start + len(page)
    return JSONResponse({"cursor": _encode(end) if end < len(found) else "", "items": page})


def _feed(request: Request, store: Store) -> Response:
    found = _entries(request, store)
    page, start = _window(request, found)
    end = start + len(page)
    return JSONResponse({"cursor": _encode(end), "tryLater": end >= len(found), "items": page})


def _encode(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith("pos:"):
            return int(text[4:])
    except ValueError:
        pass
    raise Problem(400, "Bad Request", "The cursor is not valid")
