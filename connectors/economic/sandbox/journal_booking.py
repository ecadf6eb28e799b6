"""Booking a journal (Journals API ``POST /journalsapi/v5.0.0/journals/{n}/book``): every draft
entry of the journal is posted, or none when a voucher does not balance.

Postings per entry (amounts in base currency; debit positive):

* financeVouchers: ``account`` +amount (less VAT to the VAT code's account), ``contraAccount``
  -amount (less contra VAT).
* customerPayments: the customer's debtor account +amount, ``contraAccount`` -amount. With the
  default ``payment_sign="negative"`` a payment is entered negative (a credit to the debtor,
  reference §6.15); ``"positive"`` flips it. ``customerInvoice`` names the open item (the booked
  invoice, or the card company's item of that invoice) whose remainder the payment reduces.
* manualCustomerInvoices: debtor +amount (a new open item), ``contraAccount`` -amount.
* supplierInvoices / supplierPayments: creditor account -amount / +amount, contra the opposite.

Entries without a contra account are one-sided; their voucher must balance with other entries.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from connectors.economic.sandbox import seed
from connectors.economic.sandbox.errors import problem
from connectors.economic.sandbox.ledger import money, post, settle_open_item, to_base

Doc = dict[str, Any]
ZERO = Decimal("0.00")


def book_journal(store: Any, journal_number: int, from_date: str | None = None, to_date: str | None = None) -> int:
    """Post the journal's draft entries (optionally only those dated in [from, to]); returns
    how many were booked. Caller holds the lock."""
    if journal_number not in store.journals:
        raise problem(404, "Not Found", f"Journal {journal_number} does not exist.", "JournalNotFound")
    entries = [e for e in store.journal_entries.lookup("journal.journalNumber", journal_number) or []
               if (from_date is None or e["date"] >= from_date) and (to_date is None or e["date"] <= to_date)]
    if not entries:
        raise problem(400, "Validation error", f"Journal {journal_number} has no draft entries to book.", "NoEntriesToBook")
    plans: dict[tuple[str, int], list[tuple[Doc, list[Doc]]]] = defaultdict(list)
    for entry in entries:
        key = (entry["_year"], entry["voucher"]["voucherNumber"])
        plans[key].append((entry, _postings(store, entry)))
    unbalanced = []
    for (year, voucher), items in sorted(plans.items()):
        total = sum((p["amount_base"] for _, postings in items for p in postings), ZERO)
        if total:
            unbalanced.append({"property": "voucherNumber",
                               "message": f"Voucher {voucher} ({year}) does not balance: debit minus credit is {money(total)} DKK.",
                               "errorCode": "VoucherDoesNotBalance"})
    if unbalanced:
        raise problem(400, "Validation error", "The entries do not balance per voucher; nothing was booked. "
                      + " ".join(e["message"] for e in unbalanced), "EntriesDoNotBalance", unbalanced)
    for (_, voucher), items in sorted(plans.items()):
        for entry, postings in items:
            for posting in postings:
                _apply(store, entry, voucher, posting)
            store.journal_entries.delete(entry["journalEntryNumber"])
    return len(entries)


def _base(store: Any, entry: Doc, amount: Decimal) -> Decimal:
    currency = (entry.get("currency") or {}).get("code", seed.BASE_CURRENCY)
    rate = entry.get("exchangeRate") or store.exchange_rate(currency)
    return to_base(amount, Decimal(rate))


def _postings(store: Any, entry: Doc) -> list[Doc]:
    """The balance movements of one entry, before anything is applied."""
    amount = Decimal(entry["amount"])
    base = _base(store, entry, amount)
    kind = entry["_kind"]
    account = (entry.get("account") or {}).get("accountNumber")
    contra = (entry.get("contraAccount") or {}).get("accountNumber")
    text = entry.get("text", "")
    out: list[Doc] = []
    if kind == "financeVouchers":
        out += _with_vat(store, account, base, entry.get("vatAccount"), text)
        if contra is not None:
            out += _with_vat(store, contra, -base, entry.get("contraVatAccount"), text)
    elif kind in ("customerPayments", "manualCustomerInvoices"):
        if kind == "customerPayments" and store.options.payment_sign == "positive":
            amount, base = -amount, -base
        customer = entry["customer"]["customerNumber"]
        out.append({"account": store.debtor_account(customer), "amount_base": base, "amount": amount, "customer": customer,
                    "text": text, "invoice": entry.get("customerInvoice"), "open_item": kind == "manualCustomerInvoices",
                    "due_date": entry.get("dueDate")})
        if contra is not None:
            out.append({"account": contra, "amount_base": -base, "text": text})
    else:  # supplier entries: the creditor side is credited by an invoice, debited by a payment
        sign = Decimal(-1) if kind == "supplierInvoices" else Decimal(1)
        out.append({"account": seed.CREDITORS, "amount_base": sign * base, "text": text})
        if contra is not None:
            out.append({"account": contra, "amount_base": -sign * base, "text": text})
    return out


def _with_vat(store: Any, account: int | None, base: Decimal, vat_ref: Doc | None, text: str) -> list[Doc]:
    if account is None:
        return []
    vat = store.vat_accounts.get((vat_ref or {}).get("vatCode")) if vat_ref else None
    if not vat or not vat["ratePercentage"]:
        return [{"account": account, "amount_base": base, "text": text}]
    rate = vat["ratePercentage"]
    vat_amount = money(base * rate / (Decimal(100) + rate))
    return [{"account": account, "amount_base": base - vat_amount, "text": text, "vat_code": vat["vatCode"]},
            {"account": vat["account"]["accountNumber"], "amount_base": vat_amount, "text": text, "vat_code": vat["vatCode"]}]


def _apply(store: Any, entry: Doc, voucher: int, posting: Doc) -> None:
    entry_type = entry["entryType"]
    invoice = posting.get("invoice")
    currency = (entry.get("currency") or {}).get("code", seed.BASE_CURRENCY)
    post(store, account=posting["account"], amount_base=posting["amount_base"], date=entry["date"],
         entry_type=entry_type, text=posting["text"], voucher_number=voucher, amount=posting.get("amount"),
         currency=currency if posting.get("amount") is not None else seed.BASE_CURRENCY,
         customer=posting.get("customer"), vat_code=posting.get("vat_code"),
         booked_invoice=invoice if invoice in store.booked else None,
         due_date=posting.get("due_date"), open_item=posting.get("open_item", False))
    if entry_type == "customerPayment" and invoice is not None:
        _settle(store, posting["customer"], invoice, posting["amount_base"], posting["amount"], currency)


def _settle(store: Any, customer: int, invoice: int, amount_base: Decimal, amount: Decimal, currency: str) -> None:
    """Reduce the open item of ``invoice`` held by ``customer`` (its own invoice, or the card
    company's item of a card-paid invoice)."""
    for item in store.ledger.lookup("bookedInvoice.bookedInvoiceNumber", invoice) or []:
        if "remainder" not in item or (item.get("customer") or {}).get("customerNumber") != customer:
            continue
        booked = store.booked.get(invoice)
        own = booked is not None and booked.get("_receivable") == item["entryNumber"]
        item_currency = booked["currency"] if own else seed.BASE_CURRENCY
        if currency == item_currency:
            in_item_currency = amount
        elif item_currency == seed.BASE_CURRENCY:
            in_item_currency = amount_base
        else:
            in_item_currency = money(amount_base * Decimal(100) / booked["exchangeRate"])
        settle_open_item(item, in_item_currency, amount_base)
        if own:
            booked["remainder"] = item["remainder"]
            booked["remainderInBaseCurrency"] = item["remainderInBaseCurrency"]
        return
