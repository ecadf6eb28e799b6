"""The sandbox's data: payouts and balance transactions as Shopify keeps them (money as decimal
strings), and the leaky bucket that rate-limits each access token."""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.sandbox.payouts import BadInput

JSON = dict[str, Any]
KINDS = ("charge", "refund", "dispute", "adjustment", "reserve", "credit", "debit")
SUMMARY_KINDS = {"charge": "charges", "refund": "refunds", "dispute": "adjustments", "adjustment": "adjustments",
                 "credit": "adjustments", "debit": "adjustments", "reserve": "reserved_funds"}


class LeakyBucket:
    """Shopify's REST limit: ``size`` calls, draining ``rate`` per second, per access token."""

    def __init__(self, size: int, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.rate, self.clock = size, rate, clock
        self.level = 0.0
        self.at = clock()

    def take(self) -> tuple[bool, float, int]:
        """(allowed, seconds to wait if not, calls in the bucket for the header)."""
        now = self.clock()
        self.level = max(0.0, self.level - (now - self.at) * self.rate)
        self.at = now
        if self.level + 1 > self.size:
            return False, (self.level + 1 - self.size) / self.rate, self.size
        self.level += 1
        return True, 0.0, math.ceil(self.level)


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.payouts: dict[int, JSON] = {}
        self.transactions: list[JSON] = []
        self._ids = itertools.count(623721858)
        self._txn_ids = itertools.count(699519475)

    # -- admin ----------------------------------------------------------------------------------
    def create_payout(self, body: JSON) -> JSON:
        currency = _text(body, "currency", "DKK").upper()
        items = body.get("transactions")
        if not isinstance(items, list) or not items:
            raise BadInput("transactions: give a non-empty list")
        payout_date = _date(body.get("date"), "date", date.today())
        payout_id = next(self._ids)
        made = [self._transaction(item, i, currency, payout_date) for i, item in enumerate(items)]
        net = sum((Decimal(t["net"]) for t in made), Decimal(0))
        made.append(self._txn("payout", -net, Decimal(0), currency, f"{payout_date.isoformat()}T02:00:00-04:00",
                              payout_id, "payout", None, None))
        status = _text(body, "status", "paid")
        summary: JSON = {}
        for group in ("adjustments", "charges", "refunds", "reserved_funds", "retried_payouts"):
            gross = sum((Decimal(t["amount"]) for t in made if SUMMARY_KINDS.get(t["type"]) == group), Decimal(0))
            fee = sum((Decimal(t["fee"]) for t in made if SUMMARY_KINDS.get(t["type"]) == group), Decimal(0))
            summary[f"{group}_fee_amount"] = _text_money(fee)
            summary[f"{group}_gross_amount"] = _text_money(gross)
        payout = {"id": payout_id, "status": status, "date": payout_date.isoformat(), "currency": currency,
                  "amount": _text_money(net), "summary": summary}
        for txn in made:
            txn["payout_id"] = payout_id
            txn["payout_status"] = status
            self.transactions.append(txn)
        self.payouts[payout_id] = payout
        return {"payout": payout, "transactions": made}

    def _transaction(self, item: Any, index: int, currency: str, payout_date: date) -> JSON:
        where = f"transactions[{index}]"
        if not isinstance(item, dict):
            raise BadInput(f"{where}: give an object")
        kind = _text(item, "type", "charge")
        if kind not in KINDS:
            raise BadInput(f"{where}.type: {kind!r} is not one of {', '.join(KINDS)}")
        amount = _money(item.get("amount"), f"{where}.amount")
        fee = _money(item.get("fee", "0"), f"{where}.fee")
        processed = str(item.get("processed_at") or f"{(payout_date - timedelta(days=2)).isoformat()}T10:00:00-04:00")
        return self._txn(kind, amount, fee, currency, processed, next(self._txn_ids), kind,
                         item.get("source_order_id"), item.get("source_order_transaction_id"))

    def _txn(self, kind: str, amount: Decimal, fee: Decimal, currency: str, processed: str, source_id: int,
             source_type: str, order_id: Any, order_txn: Any) -> JSON:
        return {"id": next(self._txn_ids), "type": kind, "test": False, "payout_id": None, "payout_status": None,
                "currency": currency, "amount": _text_money(amount), "fee": _text_money(fee),
                "net": _text_money(amount - fee), "source_id": source_id, "source_type": source_type,
                "source_order_id": order_id, "source_order_transaction_id": order_txn, "processed_at": processed}

    # -- reads ----------------------------------------------------------------------------------
    def payout_list(self) -> list[JSON]:
        """Newest first, as Shopify lists them."""
        return sorted(self.payouts.values(), key=lambda p: (p["date"], p["id"]), reverse=True)

    def transactions_of(self, payout_id: int) -> list[JSON]:
        """Most recently processed first, as Shopify lists them."""
        found = [t for t in self.transactions if t["payout_id"] == payout_id]
        return sorted(found, key=lambda t: (_when(t["processed_at"]), t["id"]), reverse=True)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _text(body: JSON, name: str, default: str) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or not value:
        raise BadInput(f"{name}: give text")
    return value


def _money(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadInput(f"{where}: give a decimal amount in major units, as text (\"12.50\")")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BadInput(f"{where}: {value!r} is not an amount") from None
    if amount != amount.quantize(Decimal("0.01")):
        raise BadInput(f"{where}: at most two decimals")
    return amount


def _text_money(amount: Decimal) -> str:
    return format(amount.quantize(Decimal("0.01")), "f")


def _date(value: Any, name: str, default: date) -> date:
    if value is None:
        return default
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadInput(f"{name}: give an ISO date (YYYY-MM-DD)") from None
