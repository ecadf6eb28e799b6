"""Stripe objects as records: minor-unit integers become Decimal major units through the
currency's exponent (12345 DKK -> 123.45; JPY has none), and a balance transaction carries what
PayMatch needs to match it (its payout, the charge it belongs to, the charge's metadata)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.helpers.money import minor_to_major

JSON = dict[str, Any]


def money(units: Any, currency: str) -> Decimal:
    if isinstance(units, bool) or not isinstance(units, int | Decimal):
        raise ValueError(f"{units!r} is not a whole number of minor units")
    return minor_to_major(units, currency)


def payout(obj: JSON) -> JSON:
    out = dict(obj)
    out["amount"] = money(obj["amount"], obj["currency"])
    return out


def balance_transaction(obj: JSON, paid_out_by: JSON) -> JSON:
    """One balance transaction of ``paid_out_by`` (a payout as Stripe sends it)."""
    currency = obj["currency"]
    out = dict(obj)
    for name in ("amount", "fee", "net"):
        out[name] = money(obj[name], currency)
    out["fee_details"] = [{**d, "amount": money(d["amount"], d.get("currency") or currency)}
                          for d in obj.get("fee_details") or []]
    source = obj.get("source")
    if isinstance(source, dict):                      # expanded with expand[]=data.source
        out["source"] = source.get("id")
        # the charge a refund or dispute belongs to: what the order flow stored as transaction id
        charge = source.get("id") if source.get("object") == "charge" else source.get("charge")
        out["charge_id"] = charge.get("id") if isinstance(charge, dict) else charge
        out["source_metadata"] = dict(source.get("metadata") or {})
    out["payout_id"] = paid_out_by["id"]
    out["payout_arrival_date"] = paid_out_by.get("arrival_date")
    return out
