"""The Vipps MobilePay connector: Report API funds entries, one payout per ledger day.

* Auth: an access token (``auth``) as ``Authorization: Bearer``, with the subscription key in
  ``Ocp-Apim-Subscription-Key`` on every call and the ``Vipps-System-*`` headers Vipps asks
  integrators to send.
* Ledgers: ``GET /settlement/v1/ledgers``; the connection names one (``ledger_id``) or has
  exactly one.
* A payout is a ledger day: Vipps settles each ledger in one bank transfer per day, booked as a
  ``payout-scheduled`` entry. ``payouts`` finds them in ``GET /report/v2/ledgers/{id}/funds/feed``
  (cursor paging; the stream's cursor is the feed cursor); ``payout_lines`` reads one day from
  ``GET /report/v2/ledgers/{id}/funds/dates/{ledgerDate}``.
* Amounts arrive as signed minor-unit integers and leave as Decimal major units.
* Errors of the Report API are RFC 7807 problem documents (``title``, ``detail``) [U].
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from engine import __version__
from engine.connector import Record, Runtime, stream
from engine.errors import ConfigError, DataError, IexError, IexSystemError
from engine.http import HttpClient, Response
from engine.secrets import Secret

from connectors.payouts import PayoutConnector, payout_option
from connectors.vipps import records
from connectors.vipps.auth import access_token

JSON = dict[str, Any]
PAYOUT_ENTRY = "payout-scheduled"
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

SETTINGS_SCHEMA: JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["client_id", "client_secret", "subscription_key"],
    "properties": {
        "client_id": {"type": "string", "title": "Client id"},
        "client_secret": {"type": "string", "x-secret": True, "title": "Client secret"},
        "subscription_key": {"type": "string", "x-secret": True, "title": "Ocp-Apim-Subscription-Key"},
        "merchant_serial_number": {"type": "string", "pattern": r"^\d+$", "title": "Merchant serial number (MSN)"},
        "ledger_id": {"type": "string", "title": "Ledger", "description": "Needed when the keys reach several ledgers"},
        "base_url": {"type": "string", "default": "https://api.vipps.no", "format": "uri"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000},
    },
}


class VippsConnector(PayoutConnector):
    name = "vipps"
    title = "Vipps MobilePay"
    settings_schema = SETTINGS_SCHEMA
    sandbox = "connectors.vipps.sandbox:create_app"
    payout_format = "vipps_funds"

    def __init__(self, settings: Mapping[str, Any], runtime: Runtime) -> None:
        super().__init__(settings, runtime)
        self._ledgers: list[JSON] | None = None

    def connect(self) -> HttpClient:
        client_id, client_secret, key = self.required("client_id", "client_secret", "subscription_key")
        base = str(self.settings.get("base_url") or "https://api.vipps.no")
        common: dict[str, str | Secret] = {
            "Ocp-Apim-Subscription-Key": Secret(key),
            "Vipps-System-Name": "iex", "Vipps-System-Version": __version__,
            "Vipps-System-Plugin-Name": "iex-paymatch", "Vipps-System-Plugin-Version": __version__}
        if self.settings.get("merchant_serial_number"):
            common["Merchant-Serial-Number"] = str(self.settings["merchant_serial_number"])
        self.token = access_token(base, {**common, "client_id": client_id, "client_secret": Secret(client_secret)},
                                  self.runtime)
        return self.runtime.http(base, name="vipps", headers=common, error_parser=_vipps_error)

    # -- ledgers ---------------------------------------------------------------------------------
    def ledger(self, wanted: str | None = None) -> JSON:
        """The ledger the connection reads (``ledger_id``, else the only one the keys reach)."""
        if self._ledgers is None:
            self._ledgers = list(self.get_with_token("/settlement/v1/ledgers").get("items") or [])
        wanted = wanted or self.settings.get("ledger_id")
        if wanted:
            for ledger in self._ledgers:
                if str(ledger.get("ledgerId")) == str(wanted):
                    return ledger
            raise ConfigError(f"the vipps keys do not reach ledger {wanted} (they reach: "
                              f"{', '.join(str(x.get('ledgerId')) for x in self._ledgers) or 'none'})")
        if len(self._ledgers) != 1:
            raise ConfigError("the vipps keys reach several ledgers; set ledger_id in the connection (one of "
                              f"{', '.join(str(x.get('ledgerId')) for x in self._ledgers)})" if self._ledgers
                              else "the vipps keys reach no ledger: grant the sales unit to these keys")
        return self._ledgers[0]

    # -- streams -----------------------------------------------------------------------------------
    @stream(description="Payouts (one per ledger day), in feed order (cursor: the funds feed cursor)")
    def payouts(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        ledger = self.ledger()
        ledger_id = str(ledger["ledgerId"])
        position = str((state or {}).get("feed") or "")
        seen = set((state or {}).get("seen") or [])
        size = int(self.settings.get("page_size") or 1000)
        while True:
            params: JSON = {"pagesize": size}
            if position:
                params["cursor"] = position
            page = self.get_with_token(f"/report/v2/ledgers/{ledger_id}/funds/feed", params)
            items = page.get("items") or []
            for entry in items:
                if entry.get("entryType") != PAYOUT_ENTRY:
                    continue
                payout = records.payout(entry, ledger)
                if payout["id"] in seen:
                    continue
                seen.add(payout["id"])
                yield Record(key=payout["id"], data=payout, cursor={"feed": position, "seen": sorted(seen)})
            following = str(page.get("cursor") or "")
            if not items or page.get("tryLater") or not following or following == position:
                return
            position, seen = following, set()
            # the page is done: later runs start after it
            yield Record(key=f"(feed {following})", data=None, cursor={"feed": following, "seen": []})

    @stream(description="Funds entries of one ledger day (option payout: ledgerId:YYYY-MM-DD or YYYY-MM-DD)",
            options_schema={"type": "object", "additionalProperties": False, "required": ["payout"],
                            "properties": {"payout": {"type": "string", "pattern": r"^([^:]+:)?\d{4}-\d{2}-\d{2}$"}}})
    def payout_lines(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        wanted = payout_option(options, "ledgerId:YYYY-MM-DD", lambda text: DAY.match(text.rpartition(":")[2]))
        ledger_id, _, day = wanted.rpartition(":")
        ledger = self.ledger(ledger_id or None)
        payout_id = f"{ledger['ledgerId']}:{day}"
        params: JSON = {"pagesize": int(self.settings.get("page_size") or 1000)}
        while True:
            page = self.get_with_token(f"/report/v2/ledgers/{ledger['ledgerId']}/funds/dates/{day}", params)
            items = page.get("items") or []
            for i, entry in enumerate(items):
                yield Record(key=f"{entry.get('pspReference')}/{entry.get('entryType')}/{day}/{i}",
                             data=records.entry(entry, ledger, payout_id))
            following = str(page.get("cursor") or "")
            if not items or not following or following == params.get("cursor"):
                return
            params["cursor"] = following


def _vipps_error(resp: Response) -> IexError | None:
    """A problem document (``title``, ``detail``) as the iex error class."""
    try:
        problem = json.loads(resp.text)
    except ValueError:
        return None
    if not isinstance(problem, dict):
        return None
    text = ": ".join(str(problem[k]) for k in ("title", "detail") if problem.get(k)) or str(problem.get("message") or "")
    if resp.status == 404:
        return DataError(f"vipps: {text or 'not found'}", details={"status": 404})
    if resp.status == 400:
        return IexSystemError(f"vipps refused the request: {text}", details={"status": 400})
    return None
