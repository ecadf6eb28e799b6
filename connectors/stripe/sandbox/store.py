"""The sandbox's data: charges, refunds, disputes, balance transactions and payouts, in minor
units as Stripe keeps them. ``create_payout`` is what an automatic payout does: it gathers the
given transactions, and pays their net out in one payout with its own balance transaction."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from datetime import UTC, date, datetime
from typing import Any

from engine.sandbox.payouts import BadInput

JSON = dict[str, Any]

#: the admin's kinds -> (balance transaction type, reporting_category, source object, id prefix)
KINDS: dict[str, tuple[str, str, str | None, str]] = {
    "charge": ("charge", "charge", "charge", "ch_"),
    "refund": ("refund", "refund", "refund", "re_"),
    "dispute": ("adjustment", "dispute", "dispute", "dp_"),
    "dispute_reversal": ("adjustment", "dispute_reversal", "dispute", "dp_"),
    "partial_capture_reversal": ("adjustment", "partial_capture_reversal", "charge", "ch_"),
    "stripe_fee": ("stripe_fee", "fee", None, ""),
    "adjustment": ("adjustment", "other_adjustment", None, ""),
}


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.payouts: dict[str, JSON] = {}
        self.transactions: list[JSON] = []          # oldest first; lists answer newest first
        self.sources: dict[str, JSON] = {}          # ch_/re_/dp_ objects by id
        self._seq = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._seq):06d}{secrets.token_hex(6)}"

    # -- admin ----------------------------------------------------------------------------------
    def create_payout(self, body: JSON) -> JSON:
        currency = _text(body, "currency", "dkk").lower()
        items = body.get("transactions")
        if not isinstance(items, list) or not items:
            raise BadInput("transactions: give a non-empty list")
        now = int(time.time())
        created_default = _unix(body.get("created"), "created", now)
        made: list[JSON] = []
        for i, item in enumerate(items):
            made.append(self._transaction(item, i, currency, created_default))
        net = sum(t["net"] for t in made)
        payout_id = self.new_id("po_")
        arrival = _unix(body.get("arrival_date"), "arrival_date", created_default + 2 * 86400)
        payout_txn = self._balance_txn("payout", "payout", -net, 0, currency, arrival, payout_id, "STRIPE PAYOUT")
        payout: JSON = {
            "id": payout_id, "object": "payout", "amount": net, "currency": currency,
            "arrival_date": arrival, "created": arrival - 86400, "automatic": bool(body.get("automatic", True)),
            "status": _text(body, "status", "paid"), "balance_transaction": payout_txn["id"],
            "method": "standard", "type": "bank_account", "source_type": "card",
            "statement_descriptor": None, "failure_code": None, "failure_message": None,
            "reconciliation_status": "completed", "livemode": False, "metadata": {},
        }
        for txn in [*made, payout_txn]:
            txn["_payout"] = payout_id
            self.transactions.append(txn)
        self.payouts[payout_id] = payout
        return {**payout, "transactions": [public(t) for t in [*made, payout_txn]]}

    def _transaction(self, item: Any, index: int, currency: str, created_default: int) -> JSON:
        where = f"transactions[{index}]"
        if not isinstance(item, dict):
            raise BadInput(f"{where}: give an object")
        kind = _text(item, "type", "charge")
        if kind not in KINDS:
            raise BadInput(f"{where}.type: {kind!r} is not one of {', '.join(KINDS)}")
        txn_type, category, source_object, prefix = KINDS[kind]
        amount = _int(item, "amount", where)
        fee = _int(item, "fee", where, default=0)
        created = _unix(item.get("created"), f"{where}.created", created_default)
        charge_id = item.get("charge_id") or item.get("source")
        source_id = None
        if source_object == "charge":
            source_id = charge_id or self.new_id("ch_")
            self.sources[source_id] = {"id": source_id, "object": "charge", "amount": abs(amount),
                                       "currency": currency, "metadata": dict(item.get("metadata") or {}),
                                       "created": created, "paid": True, "captured": True}
        elif source_object is not None:
            if not charge_id:
                raise BadInput(f"{where}.charge_id: a {kind} names the charge it belongs to")
            source_id = self.new_id(prefix)
            self.sources[source_id] = {"id": source_id, "object": source_object, "amount": abs(amount),
                                       "currency": currency, "charge": charge_id,
                                       "metadata": dict(item.get("metadata") or {}), "created": created}
        return self._balance_txn(txn_type, category, amount, fee, currency, created, source_id,
                                 item.get("description"))

    def _balance_txn(self, txn_type: str, category: str, amount: int, fee: int, currency: str, created: int,
                     source: str | None, description: str | None) -> JSON:
        return {
            "id": self.new_id("txn_"), "object": "balance_transaction", "amount": amount, "fee": fee,
            "net": amount - fee, "currency": currency, "created": created, "available_on": created + 2 * 86400,
            "description": description, "exchange_rate": None, "status": "available", "type": txn_type,
            "reporting_category": category, "source": source,
            "fee_details": [{"amount": fee, "application": None, "currency": currency,
                             "description": "Stripe processing fees", "type": "stripe_fee"}] if fee else [],
        }

    # -- reads ------------------------------------------------------------------------------------
    def payout_list(self) -> list[JSON]:
        return sorted(self.payouts.values(), key=lambda p: (p["created"], p["id"]), reverse=True)

    def transactions_of(self, payout_id: str) -> list[JSON]:
        return [t for t in reversed(self.transactions) if t["_payout"] == payout_id]


def public(txn: JSON) -> JSON:
    return {k: v for k, v in txn.items() if not k.startswith("_")}


def _text(body: JSON, name: str, default: str) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or not value:
        raise BadInput(f"{name}: give text")
    return value


def _int(body: JSON, name: str, where: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{where}.{name}: give a whole number of minor units (cents/øre)")
    return value


def _unix(value: Any, name: str, default: int) -> int:
    """Unix seconds, or an ISO date/date-time (taken as UTC)."""
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return int(datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC).timestamp())
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())
        except ValueError:
            pass
    raise BadInput(f"{name}: give unix seconds or an ISO date")
