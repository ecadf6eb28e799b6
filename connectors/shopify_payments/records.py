"""Shopify Payments objects as records: decimal strings become Decimal (never float), and a
balance transaction carries its payout's id and date for PayMatch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.helpers.money import money

JSON = dict[str, Any]
PAYOUT_MONEY = ("amount",)
TRANSACTION_MONEY = ("amount", "fee", "net")


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else money(value)


def payout(obj: JSON) -> JSON:
    out = dict(obj)
    for name in PAYOUT_MONEY:
        out[name] = _decimal(obj.get(name))
    out["summary"] = {k: _decimal(v) if k.endswith("_amount") else v for k, v in (obj.get("summary") or {}).items()}
    return out


def balance_transaction(obj: JSON, paid_out_by: JSON) -> JSON:
    out = dict(obj)
    for name in TRANSACTION_MONEY:
        out[name] = _decimal(obj.get(name))
    out["payout_id"] = paid_out_by["id"]
    out["payout_date"] = paid_out_by.get("date")
    return out
