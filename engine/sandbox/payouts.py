"""What the payout connectors' sandboxes share: the admin's ``POST /_sandbox/payouts`` (a JSON
object in, what the store made of it out), ``BadInput`` for what the store refuses, and the
bearer tokens a sandbox issues and accepts.

A store here has a ``lock`` (``threading.Lock``) and, when its API wants tokens, a ``tokens`` set
that its ``reset`` empties."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class BadInput(ValueError):
    """The admin request is wrong; the message says which field."""


def admin_payouts(store: Any, create: Callable[[dict[str, Any]], Any],
                  refusal: Callable[[str], Any] = lambda message: {"error": message},
                  ) -> Callable[[Request], Awaitable[Response]]:
    """The handler of ``POST /_sandbox/payouts``: ``create(body)`` under the store's lock answers
    201; a body that is not JSON, or one the store refuses, answers 400 with ``refusal(message)``
    (the system's own error shape)."""
    async def handler(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}", parse_float=Decimal)
            with store.lock:
                made = create(body if isinstance(body, dict) else {})
        except ValueError as exc:              # BadInput, or JSON that does not parse
            return JSONResponse(refusal(str(exc)), status_code=400)
        return JSONResponse(made, status_code=201)
    return handler


async def form_fields(request: Request) -> dict[str, str]:
    """A form-encoded body (an OAuth token request) as its fields, the first value of each."""
    return {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}


def issue_token(store: Any, prefix: str = "") -> str:
    """A new bearer token the sandbox accepts until it is reset."""
    issued = prefix + secrets.token_urlsafe(32)
    with store.lock:
        store.tokens.add(issued)
    return issued


def bearer_accepted(request: Request, store: Any) -> bool:
    """Whether ``Authorization: Bearer <token>`` names a token the sandbox issued (hold ``store.lock``)."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and given in store.tokens
