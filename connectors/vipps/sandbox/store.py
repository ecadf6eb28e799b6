"""The sandbox's ledgers and their entries, as the Report API keeps them: signed minor units,
a running balance, one ``payout-scheduled`` entry per ledger day that empties the balance."""

from __future__ import annotations

import itertools
import secrets
import threading
from datetime import date
from typing import Any

from engine.sandbox.payouts import BadInput

JSON = dict[str, Any]
FUNDS_TYPES = ("capture", "refund", "fees-retained", "payout-aborted", "retained-disputed-capture",
               "returned-disputed-capture", "correction", "top-up", "credit-note")


class Store:
    def __init__(self, ledger_id: str, currency: str, msn: str) -> None:
        self.lock = threading.Lock()
        self.ledger_id, self.currency, self.msn = ledger_id, currency, msn
        self.reset()

    def reset(self) -> None:
        self.ledgers: dict[str, JSON] = {self.ledger_id: self._ledger(self.ledger_id, self.currency, self.msn)}
        self.entries: dict[str, list[JSON]] = {self.ledger_id: []}
        self.tokens: set[str] = set()
        self._seq = itertools.count(1)

    @staticmethod
    def _ledger(ledger_id: str, currency: str, msn: str) -> JSON:
        return {"ledgerId": ledger_id, "currency": currency,
                "payoutBankAccount": {"scheme": "BBAN:DK", "id": "****1234"},
                "owner": {"scheme": "business:DK:CVR", "id": "12345678"},
                "settlesForRecipientHandles": [f"DK:{msn}"]}

    # -- admin ----------------------------------------------------------------------------------
    def add_day(self, body: JSON) -> JSON:
        """Book the given entries on one ledger day and (unless ``payout`` is false) pay the
        balance out with a ``payout-scheduled`` entry."""
        ledger_id = str(body.get("ledgerId") or self.ledger_id)
        if ledger_id not in self.ledgers:
            if not body.get("currency"):
                raise BadInput(f"ledgerId: {ledger_id} is unknown; give its currency to open it")
            self.ledgers[ledger_id] = self._ledger(ledger_id, str(body["currency"]), "000000")
            self.entries[ledger_id] = []
        try:
            day = date.fromisoformat(str(body.get("ledgerDate"))).isoformat()
        except ValueError:
            raise BadInput("ledgerDate: give an ISO date (YYYY-MM-DD)") from None
        items = body.get("entries")
        if not isinstance(items, list):
            raise BadInput("entries: give a list")
        ledger = self.ledgers[ledger_id]
        made = [self._entry(ledger_id, ledger, day, item, i) for i, item in enumerate(items)]
        if body.get("payout", True):
            balance = self._balance(ledger_id)
            made.append(self._book(ledger_id, ledger, {
                "pspReference": f"payout-{day}-{secrets.token_hex(3)}", "entryType": "payout-scheduled",
                "amount": -balance, "reference": None, "time": f"{day}T23:59:00Z"}, day))
        return {"payout_id": f"{ledger_id}:{day}", "entries": made}

    def _entry(self, ledger_id: str, ledger: JSON, day: str, item: Any, index: int) -> JSON:
        where = f"entries[{index}]"
        if not isinstance(item, dict):
            raise BadInput(f"{where}: give an object")
        kind = item.get("entryType", "capture")
        if kind not in FUNDS_TYPES and not item.get("allowUnknownType"):
            raise BadInput(f"{where}.entryType: {kind!r} is not one of {', '.join(FUNDS_TYPES)}")
        amount = item.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise BadInput(f"{where}.amount: give a whole number of minor units (øre), signed")
        return self._book(ledger_id, ledger, {
            "pspReference": str(item.get("pspReference") or f"{next(self._seq):010d}"), "entryType": kind,
            "amount": amount, "reference": item.get("reference"), "time": item.get("time") or f"{day}T12:00:00Z"}, day)

    def _book(self, ledger_id: str, ledger: JSON, fields: JSON, day: str) -> JSON:
        before = self._balance(ledger_id)
        entry = {"pspReference": fields["pspReference"], "time": fields["time"], "ledgerDate": day,
                 "entryType": fields["entryType"], "reference": fields["reference"], "currency": ledger["currency"],
                 "amount": fields["amount"], "balanceBefore": before, "balanceAfter": before + fields["amount"],
                 "recipientHandle": ledger["settlesForRecipientHandles"][0], "message": None}
        self.entries[ledger_id].append(entry)
        return entry

    def _balance(self, ledger_id: str) -> int:
        found = self.entries[ledger_id]
        return found[-1]["balanceAfter"] if found else 0
