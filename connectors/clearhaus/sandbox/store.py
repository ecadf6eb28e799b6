"""The sandbox's settlements and their transactions in minor units, as Clearhaus keeps them:
amounts unsigned, a summary per bucket, flat fees, and a payout that is what is left."""

from __future__ import annotations

import itertools
import threading
import uuid
from datetime import date, timedelta
from typing import Any

from engine.sandbox.payouts import BadInput

JSON = dict[str, Any]
KINDS = ("capture", "refund", "credit", "chargeback", "chargeback_reversal")
OUT = ("refund", "credit", "chargeback")         # money leaving the merchant
FEE_NAMES = ("sales", "refunds", "authorisations", "credits", "interchange", "scheme", "service", "wire_transfer",
             "chargebacks", "retrieval_requests", "series", "3dsecure", "late_capture")
FLAT = ("service", "wire_transfer", "authorisations", "retrieval_requests", "series", "3dsecure", "chargebacks")


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.settlements: dict[str, JSON] = {}
        self.transactions: dict[str, list[JSON]] = {}
        self.tokens: set[str] = set()
        self._numbers = itertools.count(1)

    def create(self, body: JSON) -> JSON:
        currency = str(body.get("currency") or "DKK").upper()
        items = body.get("transactions")
        if not isinstance(items, list):
            raise BadInput("transactions: give a list")
        end = _date(body.get("period_end") or body.get("payout_date"), "period_end")
        start = _date(body.get("period_start") or (end - timedelta(days=6)).isoformat(), "period_start")
        payout_date = _date(body.get("payout_date") or (end + timedelta(days=3)).isoformat(), "payout_date")
        made = [self._transaction(item, i, currency, end) for i, item in enumerate(items)]
        fees = {name: 0 for name in FEE_NAMES}
        for name, value in (body.get("fees") or {}).items():
            if name not in FLAT:
                raise BadInput(f"fees.{name}: the admin sets flat fees only ({', '.join(FLAT)})")
            fees[name] = _minor(value, f"fees.{name}")
        fees["sales"] = sum(t["settlement"]["fees"] for t in made if t["type"] not in OUT)
        fees["refunds"] = sum(t["settlement"]["fees"] for t in made if t["type"] in OUT)
        summary = {
            "sales": sum(t["settlement"]["amount_gross"] for t in made if t["type"] == "capture"),
            "credits": -sum(t["settlement"]["amount_gross"] for t in made if t["type"] == "credit"),
            "refunds": -sum(t["settlement"]["amount_gross"] for t in made if t["type"] == "refund"),
            "chargebacks": sum(t["settlement"]["amount_gross"] * (-1 if t["type"] == "chargeback" else 1)
                               for t in made if t["type"].startswith("chargeback")),
            "fees": -sum(fees.values()), "other_postings": 0}
        summary["net"] = sum(summary.values())
        number = next(self._numbers)
        settlement_id = str(uuid.uuid4())
        settled = bool(body.get("settled", True))
        settlement = {
            "id": settlement_id, "settled": settled, "currency": currency,
            "period": {"start_date": start.isoformat(), "end_date": end.isoformat()},
            "payout": {"amount": summary["net"], "date": payout_date.isoformat() if settled else None,
                       "cancelled_date": None, "reference_number": f"CH{number:08d}",
                       "descriptor": f"CLEARHAUS {number:08d}"},
            "summary": summary, "fees": fees,
            "reserve": {"amount": 0, "date": None, "cancelled_date": None, "reference_number": None, "descriptor": None},
            "other_postings": [],
        }
        self.settlements[settlement_id] = settlement
        self.transactions[settlement_id] = made
        return settlement

    def _transaction(self, item: Any, index: int, currency: str, end: date) -> JSON:
        where = f"transactions[{index}]"
        if not isinstance(item, dict):
            raise BadInput(f"{where}: give an object")
        kind = item.get("type", "capture")
        if kind not in KINDS:
            raise BadInput(f"{where}.type: {kind!r} is not one of {', '.join(KINDS)}")
        amount = _minor(item.get("amount"), f"{where}.amount")
        fee = _minor(item.get("fee", 0), f"{where}.fee")
        net = amount + fee if kind in OUT else amount - fee          # unsigned, like the gross [U]
        return {
            "id": str(item.get("id") or uuid.uuid4()), "rrn": f"{next(self._numbers):012d}", "arn": None,
            "type": kind, "processed_at": item.get("processed_at") or f"{end.isoformat()}T12:00:00+00:00",
            "amount": amount, "currency": currency, "text_on_statement": "SANDBOX SHOP",
            "reference": item.get("reference"), "threed_secure": False, "recurring": False, "region": "intra",
            "payment_method": "card", "status": {"code": 20000, "message": "Approved"},
            "card": {"type": "debit", "scheme": "visa", "country": "DK", "last4": "0004", "bin": "412345"},
            "settlement": {"amount_gross": amount, "amount_net": net, "fees": fee, "currency": currency,
                           "fee_details": [{"type": "sales" if kind == "capture" else "refunds", "amount": fee}]
                           if fee else []},
        }


def _minor(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadInput(f"{where}: give a whole, unsigned number of minor units")
    return value


def _date(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadInput(f"{name}: give an ISO date (YYYY-MM-DD)") from None
