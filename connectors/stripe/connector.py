"""The Stripe connector: paid payouts and the balance transactions of each payout, for PayMatch.

* Auth: the secret key as ``Authorization: Bearer``; the API version is pinned with
  ``Stripe-Version`` so a change in the account's default version cannot change the shapes
  (Stripe's 2025-03-31 "basil" release moved invoice fields; balance transactions and payouts
  read here kept theirs).
* Lists use Stripe's envelope (``object: list``, ``data``, ``has_more``), paged with ``limit`` and
  ``starting_after`` = the last id of the page.
* Amounts arrive as minor-unit integers and leave as Decimal major units (``records``).
* Webhooks are verified on the raw bytes (``webhook``) before they are parsed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from engine.connector import Record, WebhookResult, stream
from engine.errors import DataError, IexError, IexSystemError
from engine.http import HttpClient, Response
from engine.secrets import Secret

from connectors.payouts import PayoutConnector, PayoutCursor, payout_option
from connectors.stripe import records
from connectors.stripe.webhook import SignatureError, verify

JSON = dict[str, Any]
API_VERSION = "2024-06-20"   # pinned; balance transactions and payouts are the same in later versions [?]
PAYOUT_EVENTS = ("payout.paid", "payout.reconciliation_completed", "payout.updated", "payout.failed")

SETTINGS_SCHEMA: JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["secret_key"],
    "properties": {
        "secret_key": {"type": "string", "x-secret": True, "title": "Secret key",
                       "description": "sk_live_... or a restricted key (rk_...) that may read payouts and balance"},
        "webhook_secret": {"type": "string", "x-secret": True, "title": "Webhook signing secret (whsec_...)"},
        "base_url": {"type": "string", "default": "https://api.stripe.com", "format": "uri"},
        "api_version": {"type": "string", "default": API_VERSION, "pattern": r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 100},
    },
}


class StripeConnector(PayoutConnector):
    name = "stripe"
    title = "Stripe"
    settings_schema = SETTINGS_SCHEMA
    capabilities = frozenset({"poll", "webhook"})
    sandbox = "connectors.stripe.sandbox:create_app"
    payout_format = "stripe_balance"

    def connect(self) -> HttpClient:
        [key] = self.required("secret_key")
        return self.runtime.http(
            str(self.settings.get("base_url") or "https://api.stripe.com"), name="stripe",
            headers={"Authorization": Secret(f"Bearer {key}"),
                     "Stripe-Version": str(self.settings.get("api_version") or API_VERSION)},
            error_parser=_stripe_error)

    # -- streams -------------------------------------------------------------------------------
    @stream(description="Payouts (default: paid ones), oldest first (cursor: created)",
            options_schema={"type": "object", "additionalProperties": False, "properties": {
                "status": {"enum": ["paid", "pending", "in_transit", "canceled", "failed"], "default": "paid"}}})
    def payouts(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        cursor = PayoutCursor.read(state, "created")
        params: JSON = {"status": options.get("status", "paid")}
        if cursor.since is not None:
            params["created[gte]"] = int(cursor.since)
        # Stripe lists newest first; the cursor needs oldest first, and payouts are few.
        found = sorted(self._list("/v1/payouts", params), key=lambda p: (p["created"], p["id"]))
        yield from cursor.records((p["created"], p["id"], records.payout(p)) for p in found)

    @stream(description="The balance transactions of one automatic payout (option payout: po_...)",
            options_schema={"type": "object", "additionalProperties": False, "required": ["payout"],
                            "properties": {"payout": {"type": "string", "pattern": "^po_"}}})
    def payout_lines(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        payout_id = payout_option(options, "a po_... id", lambda text: text.startswith("po_"))
        paid_out_by = self.client.get(f"/v1/payouts/{payout_id}").json()
        params = {"payout": payout_id, "expand[]": ["data.source"]}
        for item in self._list("/v1/balance_transactions", params):
            yield Record(key=item["id"], data=records.balance_transaction(item, paid_out_by))

    def _list(self, path: str, params: JSON) -> Iterator[JSON]:
        query = {**params, "limit": int(self.settings.get("page_size") or 100)}
        while True:
            page = self.client.get(path, params=query).json()
            if not isinstance(page, dict) or page.get("object") != "list":
                raise DataError(f"stripe answered GET {path} with something that is not a list")
            data = page.get("data") or []
            yield from data
            if not page.get("has_more") or not data:
                return
            query["starting_after"] = data[-1]["id"]

    # -- webhooks --------------------------------------------------------------------------------
    def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookResult:
        """Verify ``Stripe-Signature`` on the raw bytes; payout events become payout records."""
        secret = self.settings.get("webhook_secret")
        if not secret:
            return WebhookResult(401, [], stream="payouts",
                                 message="cannot verify the delivery: the connection setting webhook_secret is not set")
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        try:
            verify(lowered.get("stripe-signature"), body,
                   secret.reveal() if isinstance(secret, Secret) else str(secret))
        except SignatureError as exc:
            return WebhookResult(400, [], stream="payouts", message=str(exc))
        try:
            event = json.loads(body, parse_float=Decimal)
        except ValueError:
            return WebhookResult(400, [], stream="payouts", message="the signed body is not JSON")
        kind = event.get("type") if isinstance(event, dict) else None
        obj = ((event.get("data") or {}).get("object") or {}) if isinstance(event, dict) else {}
        if kind not in PAYOUT_EVENTS or obj.get("object") != "payout":
            return WebhookResult(200, [], stream="payouts", message=f"event {kind or '(none)'} ignored")
        return WebhookResult(200, [Record(key=obj["id"], data=records.payout(obj))], stream="payouts",
                             message=f"{kind} {obj['id']} (event {event.get('id')})")


def _stripe_error(resp: Response) -> IexError | None:
    """Stripe's ``{"error": {type, code, message, param}}`` as the iex error class."""
    try:
        error = json.loads(resp.text).get("error") or {}
    except (ValueError, AttributeError):
        return None
    message = str(error.get("message") or "no message")
    param = error.get("param")
    if resp.status == 404 or error.get("code") == "resource_missing":
        return DataError(f"stripe: {message}", field_path=param, details={"status": resp.status})
    if resp.status == 400 and error.get("type") == "invalid_request_error":
        # a request iex built wrongly (a parameter Stripe refuses) is the technician's to fix
        return IexSystemError(f"stripe refused the request: {message}", field_path=param,
                              details={"status": resp.status, "code": error.get("code")})
    return None
