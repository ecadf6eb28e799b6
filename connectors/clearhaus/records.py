"""Clearhaus settlements and transactions as records: integer minor units [U] become Decimal major
units through the currency's exponent (unsigned, as the API has them: the format signs them by
type), and a settlement adds two lines of its own: the fees not charged per transaction, and the
payout."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.helpers.money import minor_to_major

JSON = dict[str, Any]
#: settlement fees that no transaction carries (sales, refunds and credits fees are per transaction)
FLAT_FEES = ("service", "wire_transfer", "authorisations", "retrieval_requests", "series", "3dsecure", "chargebacks")


def _major(value: Any, currency: str) -> Decimal | None:
    return None if value is None else minor_to_major(value, currency)


def payout(settlement: JSON) -> JSON:
    currency = settlement["currency"]
    paid = settlement.get("payout") or {}
    return {"id": settlement["id"], "date": paid.get("date"), "amount": _major(paid.get("amount"), currency),
            "currency": currency, "reference_number": paid.get("reference_number"),
            "descriptor": paid.get("descriptor"), "period": dict(settlement.get("period") or {}),
            "summary": {k: _major(v, currency) for k, v in (settlement.get("summary") or {}).items()}}


def transaction(obj: JSON, settlement: JSON) -> JSON:
    out = {k: v for k, v in obj.items() if not k.startswith("_")}
    out["amount"] = _major(obj.get("amount"), obj.get("currency") or settlement["currency"])
    own = dict(obj.get("settlement") or {})
    currency = own.get("currency") or settlement["currency"]
    for name in ("amount_gross", "amount_net", "fees"):
        own[name] = _major(own.get(name), currency)
    own["fee_details"] = [{**d, "amount": _major(d.get("amount"), currency)} for d in own.get("fee_details") or []]
    own["currency"] = currency
    out["settlement"] = own
    return _of(out, settlement)


def settlement_lines(settlement: JSON) -> list[JSON]:
    """The flat fees (when any) and the payout, shaped like transactions."""
    currency = settlement["currency"]
    fees = settlement.get("fees") or {}
    flat = sum(int(fees.get(name) or 0) for name in FLAT_FEES)
    lines = []
    if flat:
        lines.append(_line(f"{settlement['id']}:fees", "settlement_fees", (settlement.get("period") or {}).get("end_date"),
                           flat, currency, settlement))
    paid = settlement.get("payout") or {}
    lines.append(_line(paid.get("reference_number") or f"{settlement['id']}:payout", "payout", paid.get("date"),
                       int(paid.get("amount") or 0), currency, settlement))
    return lines


def _line(line_id: str, kind: str, when: Any, minor: int, currency: str, settlement: JSON) -> JSON:
    amount = minor_to_major(minor, currency)
    return _of({"id": line_id, "type": kind, "processed_at": when, "reference": None, "currency": currency,
                "settlement": {"amount_gross": amount, "amount_net": amount, "fees": Decimal(0), "currency": currency}},
               settlement)


def _of(line: JSON, settlement: JSON) -> JSON:
    line["payout_id"] = settlement["id"]
    line["payout_date"] = (settlement.get("payout") or {}).get("date")
    return line
