"""Vipps MobilePay funds entries as records: signed minor units become Decimal major units through
the currency's exponent, and each entry carries the payout (ledger day) it belongs to."""

from __future__ import annotations

from typing import Any

from engine.helpers.money import minor_to_major

JSON = dict[str, Any]
MONEY = ("amount", "balanceBefore", "balanceAfter")


def entry(obj: JSON, ledger: JSON, payout_id: str) -> JSON:
    currency = str(obj.get("currency") or ledger.get("currency") or "")
    out = dict(obj)
    out["currency"] = currency
    for name in MONEY:
        if obj.get(name) is not None:
            out[name] = minor_to_major(obj[name], currency)
    out["payout_id"] = payout_id
    return out


def payout(obj: JSON, ledger: JSON) -> JSON:
    """A ``payout-scheduled`` entry as a payout: the bank transfer of one ledger day."""
    currency = str(obj.get("currency") or ledger.get("currency") or "")
    return {"id": f"{ledger['ledgerId']}:{obj['ledgerDate']}", "ledger_id": str(ledger["ledgerId"]),
            "date": obj["ledgerDate"], "amount": -minor_to_major(obj["amount"], currency), "currency": currency,
            "pspReference": obj.get("pspReference"), "time": obj.get("time")}
