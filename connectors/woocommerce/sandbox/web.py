"""Request and response plumbing shared by the REST routes and the admin routes: WordPress-style
JSON responses and errors, authentication, and collection paging headers.

Authentication: HTTP Basic with the consumer key and secret, or ``consumer_key``/``consumer_secret``
in the query string. Real WooCommerce accepts Basic auth only over HTTPS (plain HTTP wants OAuth
1.0a); the sandbox serves plain HTTP on loopback and accepts Basic there, as a shop behind a TLS
terminating proxy does.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Awaitable, Callable, Sequence
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from connectors.woocommerce.sandbox import jsonio, params
from connectors.woocommerce.sandbox.store import ShopError

JSON = dict[str, Any]
API = "/wp-json/wc/v3"

CANNOT = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "delete": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
}


def respond(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(jsonio.dumps(data), status_code=status, media_type="application/json; charset=UTF-8", headers=headers)


def error_response(exc: ShopError) -> Response:
    data: JSON = {"status": exc.status}
    if exc.params:
        data["params"] = exc.params
    return respond({"code": exc.code, "message": exc.message, "data": data}, exc.status)


def credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user, password
    key, secret = request.query_params.get("consumer_key"), request.query_params.get("consumer_secret")
    return (key, secret) if key and secret else None


def authenticate(request: Request, action: str) -> None:
    shop = request.app.state.shop
    given = credentials(request)
    if given is None:
        code, message = CANNOT[action]
        raise ShopError(401, code, message)
    key, secret = given
    if key != shop.consumer_key:
        raise ShopError(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
    if secret != shop.consumer_secret:
        raise ShopError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")


Handler = Callable[[Request], Awaitable[Response]]


def api(action: str) -> Callable[[Handler], Handler]:
    """Authenticate, remember the site URL, and turn ``ShopError`` into a WordPress error body."""

    def wrap(fn: Handler) -> Handler:
        @wraps(fn)
        async def run(request: Request) -> Response:
            request.app.state.shop.site_url = str(request.base_url).rstrip("/")
            try:
                authenticate(request, action)
                return await fn(request)
            except ShopError as exc:
                return error_response(exc)

        return run

    return wrap


def admin(fn: Handler) -> Handler:
    """Admin routes: no authentication, same error bodies."""

    @wraps(fn)
    async def run(request: Request) -> Response:
        try:
            return await fn(request)
        except ShopError as exc:
            return error_response(exc)

    return run


async def body(request: Request) -> JSON:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = jsonio.loads(raw)
    except ValueError:
        raise ShopError(400, "rest_invalid_json", "Invalid JSON body passed.") from None
    if not isinstance(data, dict):
        raise ShopError(400, "rest_invalid_json", "Invalid JSON body passed.")
    return data


def page(request: Request, items: Sequence[JSON], render: Callable[[JSON], JSON]) -> Response:
    """One page of a collection with ``X-WP-Total``, ``X-WP-TotalPages`` and an RFC 5988 ``Link``.
    A page past the end is an empty list (WooCommerce's CRUD controllers do not refuse it) [U]."""
    query = request.query_params
    per_page = params.integer(query, "per_page", 10, minimum=1, maximum=params.MAX_PER_PAGE)
    number = params.integer(query, "page", 1, minimum=1)
    offset = params.integer(query, "offset", (number - 1) * per_page, minimum=0)
    total = len(items)
    pages = math.ceil(total / per_page) if total else 0
    links = []

    def url(target: int) -> str:
        return str(request.url.include_query_params(page=target))

    if pages:
        links.append(f'<{url(1)}>; rel="first"')
        if number > 1:
            links.append(f'<{url(min(number - 1, pages))}>; rel="prev"')
        if number < pages:
            links.append(f'<{url(number + 1)}>; rel="next"')
        links.append(f'<{url(pages)}>; rel="last"')
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    if links:
        headers["Link"] = ", ".join(links)
    return respond([render(item) for item in items[offset : offset + per_page]], headers=headers)
