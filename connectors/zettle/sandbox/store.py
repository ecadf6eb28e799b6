"""The sandbox's liquid account: rows in minor units with timestamps, and PAYOUT rows that move
the balance to the bank."""

from __future__ import annotations

import threading
import uuid as uuids
from datetime import UTC, datetime
from typing import Any

from engine.sandbox.payouts import BadInput

JSON = dict[str, Any]
TYPES = ("ADJUSTMENT", "ADVANCE", "ADVANCE_DOWNPAYMENT", "ADVANCE_FEE_DOWNPAYMENT", "CASHBACK", "FAILED_PAYOUT",
         "FROZEN_FUNDS", "INVOICE_PAYMENT", "INVOICE_PAYMENT_FEE", "PAYMENT", "PAYMENT_FEE", "PAYMENT_PAYOUT", "PAYOUT")


class Store:
    def __init__(self, uuid_field: str) -> None:
        self.lock = threading.Lock()
        self.uuid_field = uuid_field
        self.reset()

    def reset(self) -> None:
        self.rows: list[tuple[datetime, JSON]] = []
        self.tokens: set[str] = set()

    def add(self, body: JSON) -> JSON:
        """Book the given rows; then (unless ``payout`` is false) a PAYOUT of the balance."""
        items = body.get("transactions")
        if not isinstance(items, list):
            raise BadInput("transactions: give a list")
        paid_at = _moment(body.get("timestamp"), "timestamp")
        made = [self._row(item, i, paid_at) for i, item in enumerate(items)]
        payout_id = None
        if body.get("payout", True):
            balance = sum(r["amount"] for _, r in self.rows_since_payout())
            payout_id = str(body.get("uuid") or uuids.uuid4())
            made.append(self._book(paid_at, PAYOUT_ROW, -balance, payout_id))
        return {"payout": payout_id, "rows": made}

    def rows_since_payout(self) -> list[tuple[datetime, JSON]]:
        last = max((i for i, (_, r) in enumerate(self.rows) if r["originatorTransactionType"] == PAYOUT_ROW),
                   default=-1)
        return self.rows[last + 1:]

    def _row(self, item: Any, index: int, paid_at: datetime) -> JSON:
        where = f"transactions[{index}]"
        if not isinstance(item, dict):
            raise BadInput(f"{where}: give an object")
        kind = item.get("type", "PAYMENT")
        if kind not in TYPES or kind == PAYOUT_ROW:
            raise BadInput(f"{where}.type: {kind!r} is not a row type the admin books (one of {', '.join(TYPES[:-1])})")
        amount = item.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise BadInput(f"{where}.amount: give a whole number of minor units, signed")
        at = _moment(item.get("timestamp"), f"{where}.timestamp") if item.get("timestamp") else paid_at
        if at > paid_at:
            raise BadInput(f"{where}.timestamp: after the payout")
        return self._book(at, kind, amount, str(item.get("uuid") or uuids.uuid4()))

    def _book(self, at: datetime, kind: str, amount: int, uuid: str) -> JSON:
        row = {"timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000",
               "amount": amount, "originatorTransactionType": kind, self.uuid_field: uuid}
        self.rows.append((at, row))
        self.rows.sort(key=lambda pair: pair[0])
        return row


PAYOUT_ROW = "PAYOUT"


def _moment(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise BadInput(f"{name}: give an ISO date-time (UTC)")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{name}: {value!r} is not an ISO date-time") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def parse_moment(value: str) -> datetime:
    return _moment(value, "")
