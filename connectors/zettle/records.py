"""Zettle Finance rows as records: signed minor units become Decimal major units through the
currency's exponent; each row carries its payout, and the currency the connection names (rows
have none). The originating transaction's id is spelt two ways; ``uuid`` reads either."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from engine.helpers.money import minor_to_major

JSON = dict[str, Any]
UUID_FIELDS = ("originatorTransactionUuid", "originatingTransactionUuid")


def uuid(row: JSON) -> str | None:
    for name in UUID_FIELDS:
        if row.get(name):
            return str(row[name])
    return None


def when(row: JSON) -> datetime:
    """The row's timestamp (``2024-03-04T10:00:00.000+0000``) as an aware UTC datetime."""
    parsed = datetime.fromisoformat(str(row["timestamp"]).replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def row(obj: JSON, currency: str | None, payout: JSON) -> JSON:
    out = dict(obj)
    out["amount"] = _major(obj["amount"], currency)
    if currency:
        out["currency"] = currency
    out["payout_id"] = payout["id"]
    out["payout_date"] = payout["date"]
    return out


def payout(obj: JSON, currency: str | None) -> JSON:
    """A PAYOUT row as a payout: negative on the account, so its amount is the transfer's."""
    moment = when(obj)
    return {"id": uuid(obj), "timestamp": obj["timestamp"], "date": moment.date().isoformat(),
            "amount": -_major(obj["amount"], currency), "currency": currency}


def _major(amount: Any, currency: str | None) -> Any:
    """Every currency Zettle settles in (DKK, SEK, NOK, EUR, GBP, ...) has two decimals, so a
    connection without ``currency`` still converts right; with it, the exponent table decides."""
    return minor_to_major(amount, currency or "EUR")
