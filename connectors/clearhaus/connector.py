"""The Clearhaus connector: Merchant API settlements (one payout each) and their transactions.

* Auth: OAuth 2.0 client credentials (``auth``), the token as ``Authorization: Bearer``.
* Hypermedia: the API root links the collections (``ch:settlements``, ``ch:settlement`` as a URI
  template); a settlement links its ``ch:transactions``. Links are followed, never built, as
  Clearhaus asks. Collections are HAL (``_embedded``, ``_links``) paged with ``page``/``per_page``
  and followed through ``_links.next``.
* ``payouts``: settled settlements whose payout was not cancelled, oldest payout first (cursor:
  payout date and the ids on it). ``payout_lines``: one settlement's transactions, its flat fees
  and its payout (``records``).
* Amounts are integers in minor units [U: the settlement page's footnote] and leave as Decimal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from engine.connector import Record, Runtime, stream
from engine.errors import DataError, IexError, IexSystemError
from engine.http import HttpClient, Response
from engine.secrets import Secret

from connectors.clearhaus import records
from connectors.clearhaus.auth import access_token
from connectors.payouts import PayoutConnector, PayoutCursor, payout_option

JSON = dict[str, Any]
HAL = "application/hal+json"

SETTINGS_SCHEMA: JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["client_id", "client_secret"],
    "properties": {
        "client_id": {"type": "string", "title": "OAuth client id", "description": "A client made for iex in Clearhaus"},
        "client_secret": {"type": "string", "x-secret": True, "title": "OAuth client secret"},
        "base_url": {"type": "string", "default": "https://merchant.clearhaus.com", "format": "uri",
                     "description": "https://merchant.test.clearhaus.com for the test environment"},
        "token_url": {"type": "string", "format": "uri", "description": "Default: <base_url>/oauth/token"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 100},
    },
}


class ClearhausConnector(PayoutConnector):
    name = "clearhaus"
    title = "Clearhaus"
    settings_schema = SETTINGS_SCHEMA
    sandbox = "connectors.clearhaus.sandbox:create_app"
    payout_format = "clearhaus_settlement"

    def __init__(self, settings: Mapping[str, Any], runtime: Runtime) -> None:
        super().__init__(settings, runtime)
        self._root: JSON | None = None

    def connect(self) -> HttpClient:
        client_id, secret = self.required("client_id", "client_secret")
        base = str(self.settings.get("base_url") or "https://merchant.clearhaus.com").rstrip("/")
        self.token = access_token(str(self.settings.get("token_url") or f"{base}/oauth/token"), client_id,
                                  Secret(secret), self.runtime)
        return self.runtime.http(base, name="clearhaus", headers={"Accept": HAL}, error_parser=_clearhaus_error)

    # -- streams -----------------------------------------------------------------------------------
    @stream(description="Settled settlements (payouts), oldest payout first (cursor: payout date and ids)")
    def payouts(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        cursor = PayoutCursor.read(state, "date")
        found = [s for s in self._collection(self._link(self._api_root(), "ch:settlements"), "ch:settlements",
                                             {"query": "settled:true"})
                 if s.get("settled") and (s.get("payout") or {}).get("date")
                 and not (s.get("payout") or {}).get("cancelled_date")
                 and (cursor.since is None or s["payout"]["date"] >= cursor.since)]
        found.sort(key=lambda s: (s["payout"]["date"], s["id"]))
        yield from cursor.records((s["payout"]["date"], s["id"], records.payout(s)) for s in found)

    @stream(description="One settlement's transactions, flat fees and payout (option payout: the settlement id)",
            options_schema={"type": "object", "additionalProperties": False, "required": ["payout"],
                            "properties": {"payout": {"type": "string", "minLength": 1}}})
    def payout_lines(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        wanted = payout_option(options, "a Clearhaus settlement id")
        template = self._link(self._api_root(), "ch:settlement")
        settlement = self.get_with_token(template.replace("{id}", quote(wanted, safe="")))
        if not settlement.get("settled"):
            raise DataError(f"clearhaus: settlement {wanted} is not settled yet; its payout is not final")
        for item in self._collection(self._link(settlement, "ch:transactions"), "ch:transactions", {}):
            yield Record(key=str(item["id"]), data=records.transaction(item, settlement))
        for line in records.settlement_lines(settlement):
            yield Record(key=str(line["id"]), data=line)

    # -- hypermedia --------------------------------------------------------------------------------
    def _api_root(self) -> JSON:
        if self._root is None:
            self._root = self.get_with_token("/")
        return self._root

    @staticmethod
    def _link(document: JSON, rel: str) -> str:
        link = (document.get("_links") or {}).get(rel)
        href = link.get("href") if isinstance(link, dict) else None
        if not href:
            raise IexSystemError(f"clearhaus: the answer has no {rel} link (did the API change?)")
        return str(href)

    def _collection(self, href: str, rel: str, params: JSON) -> Iterator[JSON]:
        """Every item of a HAL collection, following ``_links.next`` as given."""
        query: JSON | None = {**params, "per_page": int(self.settings.get("page_size") or 100)}
        target = href
        while True:
            page = self.get_with_token(target, query)
            items = (page.get("_embedded") or {}).get(rel)
            if not isinstance(items, list):
                raise IexSystemError(f"clearhaus: the {rel} collection has no _embedded list")
            yield from items
            following = ((page.get("_links") or {}).get("next") or {}).get("href")
            if not following or not items:
                return
            target, query = str(following), None


def _clearhaus_error(resp: Response) -> IexError | None:
    """``{"status": {"code", "message"}}`` as the iex error class [U: the merchant API's shape]."""
    try:
        status = json.loads(resp.text).get("status") or {}
    except (ValueError, AttributeError):
        return None
    message = str(status.get("message") or "no message") if isinstance(status, dict) else str(status)
    if resp.status == 404:
        return DataError(f"clearhaus: {message}", details={"status": 404})
    if resp.status == 400:
        return IexSystemError(f"clearhaus refused the request: {message}", details={"status": 400})
    return None
