"""Booked entries (``/accounting-years/{year}/entries``) and account balances.

Sign convention as e-conomic shows balances: debit positive, credit negative. Entries on a
debtor account that carry a customer are open items: they keep a ``remainder`` that payments
reduce, and the customer's balance is the sum of them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Doc = dict[str, Any]
CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round to cents, halves away from zero (as the invoice module rounds)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_base(amount: Decimal, exchange_rate: Decimal) -> Decimal:
    """Amount in base currency; ``exchange_rate`` is the price of 100 units in base currency."""
    return money(amount * exchange_rate / Decimal(100))


def post(
    store: Any,
    *,
    account: int,
    amount_base: Decimal,
    date: str,
    entry_type: str,
    text: str,
    voucher_number: int,
    amount: Decimal | None = None,
    currency: str = "DKK",
    customer: int | None = None,
    booked_invoice: int | None = None,
    due_date: str | None = None,
    vat_code: str | None = None,
    open_item: bool = False,
) -> Doc:
    """Add one booked entry and move the account's balance (caller holds ``store.lock``)."""
    number = store.take("next_ledger_entry")
    year = store.year_of(date)
    entry: Doc = {
        "entryNumber": number,
        "entryType": entry_type,
        "account": {"accountNumber": account},
        "amount": money(amount if amount is not None else amount_base),
        "amountInBaseCurrency": money(amount_base),
        "currency": currency,
        "date": date,
        "text": text,
        "voucherNumber": voucher_number,
        "_year": year["year"] if year else date[:4],
    }
    if customer is not None:
        entry["customer"] = {"customerNumber": customer}
    if booked_invoice is not None:
        entry["bookedInvoice"] = {"bookedInvoiceNumber": booked_invoice}
        entry["invoiceNumber"] = str(booked_invoice)
    if due_date:
        entry["dueDate"] = due_date
    if vat_code:
        entry["vatAccount"] = {"vatCode": vat_code}
    if open_item:
        entry["remainder"] = entry["amount"]
        entry["remainderInBaseCurrency"] = entry["amountInBaseCurrency"]
    store.ledger.put(entry)
    acc = store.accounts.get(account)
    if acc is not None:
        acc["balance"] = money(acc.get("balance", Decimal(0)) + amount_base)
    if customer is not None:
        store.customer_balance[customer] = money(store.customer_balance[customer] + amount_base)
    return entry


def settle_open_item(entry: Doc, amount: Decimal, amount_base: Decimal) -> None:
    """Reduce an open item's remainder by a (signed) payment."""
    entry["remainder"] = money(entry.get("remainder", Decimal(0)) + amount)
    entry["remainderInBaseCurrency"] = money(entry.get("remainderInBaseCurrency", Decimal(0)) + amount_base)
