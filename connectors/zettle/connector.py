"""The Zettle connector: Finance API v2 liquid-account transactions, cut into payouts.

* Auth: an access token by the assertion grant (``auth``), as ``Authorization: Bearer``.
* ``GET /v2/accounts/liquid/transactions?start=&end=&limit=&offset=&includeTransactionType=``:
  ``start`` inclusive, ``end`` exclusive, UTC; paged with ``offset`` until a page has fewer than
  ``limit`` rows.
* A payout is a ``PAYOUT`` row: it moves the liquid balance to the bank, so a payout's lines are
  the rows after the previous ``PAYOUT`` up to and including it. Rows name their originating
  transaction ``originatorTransactionUuid`` (API yaml) or ``originatingTransactionUuid`` (guides);
  both are read.
* Amounts arrive as signed minor units and leave as Decimal major units. Rows carry no currency;
  the connection's ``currency`` is added to every record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.connector import Record, Runtime, stream
from engine.errors import DataError, IexError, IexSystemError
from engine.http import HttpClient, Response
from engine.secrets import Secret

from connectors.payouts import PayoutConnector, PayoutCursor, payout_option
from connectors.zettle import records
from connectors.zettle.auth import access_token

JSON = dict[str, Any]
PAYOUT = "PAYOUT"
LIQUID = "/v2/accounts/liquid/transactions"

SETTINGS_SCHEMA: JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["client_id", "api_key"],
    "properties": {
        "client_id": {"type": "string", "title": "Client id of the self-hosted app"},
        "api_key": {"type": "string", "x-secret": True, "title": "API key (the assertion, a JWT)"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "title": "Account currency",
                     "description": "Finance rows carry none; it is added to every line"},
        "base_url": {"type": "string", "default": "https://finance.izettle.com", "format": "uri"},
        "oauth_url": {"type": "string", "default": "https://oauth.zettle.com", "format": "uri"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000},
        "history_days": {"type": "integer", "minimum": 1, "maximum": 1100, "default": 90,
                         "description": "How far back the first read of payouts, and the search for a payout, go"},
    },
}


class ZettleConnector(PayoutConnector):
    name = "zettle"
    title = "Zettle (PayPal POS) payouts"
    settings_schema = SETTINGS_SCHEMA
    sandbox = "connectors.zettle.sandbox:create_app"
    payout_format = "zettle_finance"

    def __init__(self, settings: Mapping[str, Any], runtime: Runtime) -> None:
        super().__init__(settings, runtime)
        self.now = lambda: datetime.now(UTC)            # tests move the clock

    def connect(self) -> HttpClient:
        client_id, key = self.required("client_id", "api_key")
        self.token = access_token(str(self.settings.get("oauth_url") or "https://oauth.zettle.com"), client_id,
                                  Secret(key), self.runtime)
        return self.runtime.http(str(self.settings.get("base_url") or "https://finance.izettle.com"),
                                 name="zettle", error_parser=_finance_error)

    @property
    def currency(self) -> str | None:
        value = self.settings.get("currency")
        return str(value) if value else None

    # -- streams -----------------------------------------------------------------------------------
    @stream(description="PAYOUT rows of the liquid account, oldest first (cursor: timestamp and ids on it)")
    def payouts(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        cursor = PayoutCursor.read(state, "timestamp")
        start = records.when({"timestamp": cursor.since}) if cursor.since else self.now() - self._history()
        payouts = (records.payout(row, self.currency) for row in self._payout_rows(start))
        yield from cursor.records((payout["timestamp"], payout["id"], payout) for payout in payouts)

    @stream(description="The rows one PAYOUT closes (option payout: the PAYOUT row's uuid)",
            options_schema={"type": "object", "additionalProperties": False, "required": ["payout"],
                            "properties": {"payout": {"type": "string", "minLength": 1}}})
    def payout_lines(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        wanted = payout_option(options, "the uuid of a PAYOUT row")
        window_start = self.now() - self._history()
        earlier: JSON | None = None
        target: JSON | None = None
        for row in self._payout_rows(window_start):
            if records.uuid(row) == wanted:
                target = row
                break
            earlier = row
        if target is None:
            raise DataError(f"zettle: no payout {wanted} in the last {self._history().days} days "
                            "(raise history_days in the connection to look further back)")
        payout = records.payout(target, self.currency)
        start = records.when(earlier) if earlier is not None else window_start
        end = records.when(target) + timedelta(milliseconds=1)
        for i, row in enumerate(self._rows(start, end, ())):
            if earlier is not None and records.when(row) <= records.when(earlier):
                continue                                   # the previous payout's own rows
            if row.get("originatorTransactionType") == PAYOUT and records.uuid(row) != wanted:
                continue
            yield Record(key=f"{records.uuid(row)}/{row.get('originatorTransactionType')}/{row['timestamp']}/{i}",
                         data=records.row(row, self.currency, payout))

    # -- reading ---------------------------------------------------------------------------------
    def _history(self) -> timedelta:
        return timedelta(days=int(self.settings.get("history_days") or 90))

    def _payout_rows(self, start: datetime) -> list[JSON]:
        end = self.now() + timedelta(days=1)
        return sorted(self._rows(start, end, (PAYOUT,)), key=lambda r: (records.when(r), records.uuid(r) or ""))

    def _rows(self, start: datetime, end: datetime, types: tuple[str, ...]) -> Iterator[JSON]:
        limit = int(self.settings.get("page_size") or 1000)
        params: JSON = {"start": _iso(start), "end": _iso(end), "limit": limit, "offset": 0}
        if types:
            params["includeTransactionType"] = list(types)
        while True:
            page = self.get_with_token(LIQUID, params)
            if not isinstance(page, list):
                raise IexSystemError(f"zettle answered GET {LIQUID} with something that is not a list")
            yield from page
            if len(page) < limit:
                return
            params["offset"] += limit


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _finance_error(resp: Response) -> IexError | None:
    """``{"errorType", "developerMessage", "violations"}`` as the iex error class [U: shape]."""
    try:
        body = json.loads(resp.text)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    text = str(body.get("developerMessage") or body.get("errorType") or "no message")
    if resp.status == 404:
        return DataError(f"zettle: {text}", details={"status": 404})
    if resp.status == 400:
        return IexSystemError(f"zettle refused the request: {text}", details={"status": 400})
    return None
