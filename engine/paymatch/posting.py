"""Vouchers for e-conomic's journal, one per payout, from ``match_results``.

Itemised (PayMatch): every entry has the acquirer clearing account as contra account, so the
clearing account nets to zero per voucher when the payout is fully accounted for:

* a matched payment -> ``customerPayments`` settling its invoice; amount NEGATIVE (credit to the
  debtor, economic-api §6.15). A refund paid back settles its credit note (``customerInvoice`` is
  the credit note's number; without one, the invoice) with a POSITIVE amount: a debit to the
  debtor that closes the credit note's negative remainder (the sandbox's default
  ``payment_sign="negative"`` convention, the same as for payments);
* a difference within tolerance -> the error account; fees -> the fee account (one line);
* chargebacks -> the chargeback account; adjustments -> the adjustment account; anything that
  needs review -> the suspense account;
* the net payout -> one bank line.

Pooled (import only): bank (+net), fees (+fees) and acquirer receivable (-gross), no contra.

A ``financeVouchers`` amount is a debit of ``account`` (and credit of ``contraAccount``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb

from engine.paymatch.settings import PayMatchSettings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass
class Voucher:
    """One voucher and the payout lines it posts (their keys go to the match ledger)."""

    reference: str
    payout_id: str
    body: dict[str, Any]
    line_keys: list[str] = field(default_factory=list)


def build_vouchers(con: duckdb.DuckDBPyConnection, settings: PayMatchSettings) -> list[Voucher]:
    """Vouchers for every payout line not posted before (``post_as <> 'already_posted'``)."""
    rows = con.execute("""
        SELECT payout_id, payout_date, line_key, line_ref, type, class, post_as, amount, fee, net, currency, date,
               invoice_number, document, customer_number, invoice_currency, compare_amount, settle_amount
        FROM match_results WHERE post_as <> 'already_posted' ORDER BY payout_id, seq""").fetchall()
    names = ("payout_id", "payout_date", "line_key", "line_ref", "type", "class", "post_as", "amount", "fee", "net",
             "currency", "date", "invoice_number", "document", "customer_number", "invoice_currency",
             "compare_amount", "settle_amount")
    by_payout: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_payout[row[0]].append(dict(zip(names, row)))
    build = _itemised if settings.mode == "itemised" else _pooled
    return [build(payout_id, lines, settings) for payout_id, lines in by_payout.items()]


def voucher_input(vouchers: Iterable[Voucher], settings: PayMatchSettings) -> dict[str, Any]:
    """The input of the e-conomic action ``post_vouchers``."""
    data: dict[str, Any] = {"journalNumber": settings.journal_number, "vouchers": [v.body for v in vouchers]}
    if settings.accounting_year:
        data["accountingYear"] = settings.accounting_year
    return data


_MARK = "\u0000dec:"
_MARKED = re.compile(r'"\\u0000dec:(-?[0-9.]+)"')


def vouchers_json(data: dict[str, Any]) -> str:
    """The vouchers as JSON text with amounts as exact numbers (``702.85``, never a float), fast
    enough for a payout of a million lines: the C encoder writes each Decimal as a marked string,
    and the marks are taken off the digits afterwards."""
    text = json.dumps(data, ensure_ascii=False, default=lambda v: _MARK + format(v, "f") if isinstance(v, Decimal)
                      else _unserializable(v))
    return _MARKED.sub(r"\1", text)


def _unserializable(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def _reference(payout_id: str, lines: list[dict[str, Any]]) -> str:
    """Stable for the same lines, so a repeat after a crash is recognised in the journal."""
    digest = hashlib.sha256("\n".join(sorted(l["line_key"] for l in lines)).encode()).hexdigest()[:8]
    clean = payout_id.replace("[", "(").replace("]", ")")
    return f"PM {clean[:60]} {digest}"


def _voucher_date(lines: list[dict[str, Any]]) -> str:
    dates = [l["payout_date"] for l in lines if l["payout_date"] is not None] or [l["date"] for l in lines]
    return max(dates).isoformat() if isinstance(max(dates), date) else str(max(dates))


def _kind(line: dict[str, Any]) -> str:
    """``chargeback_reversal`` -> ``Chargeback reversal`` for entry texts."""
    return str(line["type"]).replace("_", " ").capitalize()


def _document(line: dict[str, Any]) -> str:
    """What the line settles, for entry texts: ``invoice`` or ``credit note``."""
    return "credit note" if line["document"] == "credit_note" else "invoice"


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _finance(account: int, amount: Decimal, currency: str, day: str, text: str,
             contra: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"account": {"accountNumber": account}, "amount": _money(amount),
                             "currency": {"code": currency}, "date": day, "text": text[:200]}
    if contra is not None:
        entry["contraAccount"] = {"accountNumber": contra}
    return entry


def _itemised(payout_id: str, lines: list[dict[str, Any]], settings: PayMatchSettings) -> Voucher:
    acc = settings.accounts
    day = _voucher_date(lines)
    currency = lines[0]["currency"]
    reference = _reference(payout_id, lines)
    payments: list[dict[str, Any]] = []
    finance: list[dict[str, Any]] = []
    clearing_total = ZERO          # what the entries put on the clearing account, in payout currency
    fees = ZERO
    bank = ZERO
    for line in lines:
        amount, fee, net = line["amount"], line["fee"], line["net"]
        if line["type"] == "payout":
            continue
        bank += net
        fees += fee
        role = line["post_as"]
        if role == "fees":
            fees -= amount
            continue
        if role == "customer_payment":
            settle = _money(line["settle_amount"])
            rate = Decimal(1) if line["invoice_currency"] == currency else amount / line["compare_amount"]
            in_payout_currency = _money(settle * rate)
            payment: dict[str, Any] = {
                "customer": {"customerNumber": line["customer_number"]},
                "amount": -settle,          # a payment credits the debtor; a refund (settle < 0) debits it
                "currency": {"code": line["invoice_currency"]},
                "date": day,
                "text": f"{_kind(line)} {line['line_ref']} {_document(line)} {line['invoice_number']}"[:200],
                "customerInvoice": int(line["invoice_number"]),
                "contraAccount": {"accountNumber": acc["clearing"]},
            }
            if line["invoice_currency"] != currency:
                # e-conomic's rate is per 100 units; the payout currency is taken to be the
                # agreement's base currency [?], so the entry's base amount is what the payout paid.
                payment["exchangeRate"] = (rate * 100).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
            payments.append(payment)
            clearing_total += in_payout_currency
            continue
        text = f"{_kind(line)} {line['line_ref']}" + (
            f" {_document(line)} {line['invoice_number']}" if line["invoice_number"] is not None else "")
        finance.append(_finance(acc[role], -amount, currency, day, text, acc["clearing"]))
        clearing_total += _money(amount)
    if fees:
        finance.append(_finance(acc["fees"], fees, currency, day, f"Fees payout {payout_id}", acc["clearing"]))
        clearing_total -= _money(fees)
    bank_entry = _finance(acc["bank"], bank, currency, day, f"Payout {payout_id}", acc["clearing"])
    clearing_total -= _money(bank)
    # differences within tolerance, and rounding to cents, close the clearing account
    if clearing_total:
        finance.append(_finance(acc["errors"], clearing_total, currency, day,
                                f"Differences payout {payout_id}", acc["clearing"]))
    finance.insert(0, bank_entry)
    entries: dict[str, Any] = {"financeVouchers": finance}
    if payments:
        entries["customerPayments"] = payments
    body = {"reference": reference, "text": f"Payout {payout_id}", "entries": entries}
    return Voucher(reference, payout_id, body, [l["line_key"] for l in lines])


def _pooled(payout_id: str, lines: list[dict[str, Any]], settings: PayMatchSettings) -> Voucher:
    acc = settings.accounts
    day = _voucher_date(lines)
    currency = lines[0]["currency"]
    fees = net = ZERO
    for line in lines:
        if line["type"] == "payout":
            continue
        net += line["net"]
        fees += line["fee"]
        if line["type"] == "fee":
            fees -= line["amount"]
    finance = [_finance(acc["bank"], net, currency, day, f"Payout {payout_id}")]
    if fees:
        finance.append(_finance(acc["fees"], fees, currency, day, f"Fees payout {payout_id}"))
    # gross = net + fees; taken from the rounded lines so the three always balance
    receivable = -(_money(net) + _money(fees))
    finance.append(_finance(acc["clearing"], receivable, currency, day, f"Acquirer receivable payout {payout_id}"))
    reference = _reference(payout_id, lines)
    body = {"reference": reference, "text": f"Payout {payout_id}", "entries": {"financeVouchers": finance}}
    return Voucher(reference, payout_id, body, [l["line_key"] for l in lines])
