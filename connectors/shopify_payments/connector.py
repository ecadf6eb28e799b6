"""The Shopify Payments connector: paid payouts and the balance transactions of each, for PayMatch.

* Auth: the Admin API access token of a custom app in ``X-Shopify-Access-Token`` (scope
  ``shopify_payments_payouts``). The REST Admin API is legacy since 2024-10 but custom apps may
  still call it; the version is pinned in the path (``/admin/api/{version}/``).
* Paging: cursor-based through the ``Link`` header (``rel="next"``, an opaque ``page_info``); the
  next URL is followed exactly as given (only ``limit`` may go with ``page_info``).
* Rate limit: a leaky bucket of 40 calls per store draining 2/s on Standard plans. The client
  keeps its own budget below it (``calls_per_second``) and honours ``Retry-After`` on 429.
* Amounts arrive as decimal strings in major units and leave as Decimal (``records``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from engine.connector import Record, stream
from engine.errors import DataError, IexError, IexSystemError
from engine.http import HttpClient, Response
from engine.ratelimit import budget
from engine.secrets import Secret

from connectors.payouts import PayoutConnector, PayoutCursor, payout_option
from connectors.shopify_payments import records

JSON = dict[str, Any]
API_VERSION = "2024-10"
BUCKET_SIZE = 40
NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')

SETTINGS_SCHEMA: JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["shop_url", "access_token"],
    "properties": {
        "shop_url": {"type": "string", "format": "uri", "title": "Shop URL",
                     "description": "https://<shop>.myshopify.com"},
        "access_token": {"type": "string", "x-secret": True, "title": "Admin API access token (shpat_...)"},
        "api_version": {"type": "string", "default": API_VERSION, "pattern": r"^(\d{4}-(01|04|07|10)|unstable)$"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 250, "default": 250},
        "calls_per_second": {"type": "number", "minimum": 0.5, "maximum": 20, "default": 2,
                             "description": "The store's leak rate: 2 Standard, 4 Advanced, 20 Plus"},
    },
}


class ShopifyPaymentsConnector(PayoutConnector):
    name = "shopify_payments"
    title = "Shopify Payments"
    settings_schema = SETTINGS_SCHEMA
    sandbox = "connectors.shopify_payments.sandbox:create_app"
    payout_format = "shopify_payments"

    def connect(self) -> HttpClient:
        shop, token = self.required("shop_url", "access_token")
        version = str(self.settings.get("api_version") or API_VERSION)
        rate = float(self.settings.get("calls_per_second") or 2)
        return self.runtime.http(
            f"{shop.rstrip('/')}/admin/api/{version}", name="shopify",
            headers={"X-Shopify-Access-Token": Secret(token), "Accept": "application/json"},
            budget=budget(f"shopify:{urlsplit(shop).netloc}", rate=rate, burst=BUCKET_SIZE),
            error_parser=_shopify_error)

    # -- streams -------------------------------------------------------------------------------
    @stream(description="Paid payouts, oldest first (cursor: date and the ids seen on it)",
            options_schema={"type": "object", "additionalProperties": False, "properties": {
                "status": {"enum": ["paid", "scheduled", "in_transit", "failed", "canceled"], "default": "paid"}}})
    def payouts(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        cursor = PayoutCursor.read(state, "date")
        params: JSON = {"status": options.get("status", "paid")}
        if cursor.since:
            params["date_min"] = cursor.since
        # Shopify lists the newest first; the cursor needs the oldest first, and payouts are few.
        found = sorted(self._pages("/shopify_payments/payouts.json", params, "payouts"),
                       key=lambda p: (p["date"], p["id"]))
        yield from cursor.records((p["date"], str(p["id"]), records.payout(p)) for p in found)

    @stream(description="Balance transactions of one payout (option payout: its id)",
            options_schema={"type": "object", "additionalProperties": False, "required": ["payout"],
                            "properties": {"payout": {"type": ["string", "integer"], "pattern": r"^\d+$"}}})
    def payout_lines(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        payout_id = payout_option(options, "a Shopify payout id", str.isdigit)
        payout = self.client.get(f"/shopify_payments/payouts/{payout_id}.json").json()["payout"]
        for item in self._pages("/shopify_payments/balance/transactions.json",
                                {"payout_id": payout_id}, "transactions"):
            yield Record(key=str(item["id"]), data=records.balance_transaction(item, payout))

    def _pages(self, path: str, params: JSON, key: str) -> Iterator[JSON]:
        """Every item of a list, following ``Link: <...page_info=...>; rel="next"`` as given."""
        target: str = path
        query: JSON | None = {**params, "limit": int(self.settings.get("page_size") or 250)}
        while True:
            answer = self.client.get(target, params=query)
            body = answer.json()
            if not isinstance(body, dict) or not isinstance(body.get(key), list):
                raise IexSystemError(f"shopify answered GET {path} without a {key} list")
            yield from body[key]
            found = NEXT_LINK.search(answer.headers.get("link") or "")
            if not found:
                return
            target, query = found.group(1), None


def _shopify_error(resp: Response) -> IexError | None:
    """Shopify's ``{"errors": "..."}`` or ``{"errors": {"field": ["..."]}}`` as the iex error class."""
    try:
        errors = json.loads(resp.text).get("errors")
    except (ValueError, AttributeError):
        return None
    if isinstance(errors, dict):
        text = "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in errors.items())
    else:
        text = str(errors or "no message")
    if resp.status == 404:
        return DataError(f"shopify: {text} (no such payout?)", details={"status": 404})
    if resp.status in (400, 406, 422):
        return IexSystemError(f"shopify refused the request: {text}", details={"status": resp.status})
    return None
