"""Journal vouchers (``POST /journals/{n}/vouchers``): draft entries that wait in the journal
(kassekladde) until the journal is booked through the Journals API (``journal_booking.py``).

The body may be one voucher or an array of vouchers; the answer is ALWAYS an array of vouchers
whose entries carry their ``journalEntryNumber`` (reference §6.15).
"""

from __future__ import annotations

import copy
from typing import Any

from connectors.economic.sandbox.errors import Path, ValidationErrors, error
from connectors.economic.sandbox.rules import ENTRY_REQUIRED, ENTRY_TYPES
from connectors.economic.sandbox.validation import add, check_document, resolve

Doc = dict[str, Any]


def create_vouchers(store: Any, journal_number: int, body: Any) -> list[Doc]:
    """Validate every voucher, then store all entries (all or nothing). Caller holds the lock."""
    many = isinstance(body, list)
    vouchers = body if many else [body]
    if not vouchers:
        raise error(400, "No vouchers in the request body.", "Send one voucher object or an array of vouchers.")
    errs = ValidationErrors()
    prepared = [_prepare(store, journal_number, v, errs, ("", i) if many else ()) for i, v in enumerate(vouchers)]
    errs.raise_if_any()
    return [_store(store, journal_number, voucher) for voucher in prepared]


def _prepare(store: Any, journal_number: int, voucher: Any, errs: ValidationErrors, prefix: Path) -> Doc:
    if not isinstance(voucher, dict):
        add(errs, (*prefix, "entries") if prefix else ("entries",), "E04320", None, expected="a voucher object")
        return {}
    voucher = copy.deepcopy(voucher)
    year = None
    if voucher.get("accountingYear") is None:
        add(errs, (*prefix, "accountingYear"), "E04300")
    else:
        found = resolve(store, "accountingYear", voucher["accountingYear"], errs, (*prefix, "accountingYear"))
        year = store.accounting_years.get(found["year"]) if found else None
    journal = voucher.get("journal")
    if isinstance(journal, dict) and journal.get("journalNumber") not in (None, journal_number):
        add(errs, (*prefix, "journal"), "E04395", journal.get("journalNumber"),
            message=f"The voucher names journal {journal.get('journalNumber')} but was posted to journal {journal_number}.")
    number = voucher.get("voucherNumber")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < 1):
        add(errs, (*prefix, "voucherNumber"), "E04320", number, expected="a positive whole number")
    entries = voucher.get("entries")
    if not isinstance(entries, dict) or not any(entries.get(kind) for kind in ENTRY_TYPES):
        add(errs, (*prefix, "entries"), "E04395", message=f"A voucher needs at least one entry in {', '.join(ENTRY_TYPES)}.")
        entries = {}
    for kind, spec in ENTRY_TYPES.items():
        rows = entries.get(kind) or []
        if not isinstance(rows, list):
            add(errs, (*prefix, "entries", kind), "E04320", None, expected="a list of entries")
            continue
        for index, entry in enumerate(rows):
            _check_entry(store, entry, kind, spec, year, errs, (*prefix, "entries", kind, index))
    voucher["_year"] = year["year"] if year else None
    return voucher


def _check_entry(store: Any, entry: Any, kind: str, spec: Doc, year: Doc | None, errs: ValidationErrors, path: Path) -> None:
    if not isinstance(entry, dict):
        add(errs, path, "E04320", None, expected="an entry object")
        return
    for field in ENTRY_REQUIRED:
        if entry.get(field) is None:
            add(errs, (*path, field), "E04300")
    check_document(store, entry, "entry", errs, path)
    invoice = entry.get("customerInvoice")
    if invoice is not None and (isinstance(invoice, bool) or not isinstance(invoice, int)):
        add(errs, (*path, "customerInvoice"), "E04320", invoice, expected="a booked invoice number (integer)")
    one_of = spec["one_of"]
    inferable = kind == "customerPayments" and isinstance(invoice, int) and invoice in store.booked
    if not any(entry.get(field) is not None for field in one_of) and not inferable:
        add(errs, (*path, one_of[0]), "E04300" if len(one_of) == 1 else "E04395",
            message=f"Either {' or '.join(one_of)} is required.")
    date = entry.get("date")
    if year is not None and isinstance(date, str) and not (year["fromDate"] <= date <= year["toDate"]):
        add(errs, (*path, "date"), "E04395", date, message=f"The date {date} is outside accounting year {year['year']}.")


def _store(store: Any, journal_number: int, voucher: Doc) -> Doc:
    year = voucher["_year"]
    number = voucher.get("voucherNumber")
    counter = (journal_number, year)
    if number is None:
        number = store.next_voucher[counter]
    store.next_voucher[counter] = max(store.next_voucher[counter], number + 1)
    out_entries: dict[str, list[Doc]] = {}
    for kind, spec in ENTRY_TYPES.items():
        for entry in voucher["entries"].get(kind) or []:
            entry = {k: v for k, v in entry.items() if k not in ("self", "journalEntryNumber", "entryType", "type", "voucher")}
            if kind == "customerPayments" and entry.get("customer") is None and entry.get("customerInvoice") in store.booked:
                entry["customer"] = dict(store.booked.get(entry["customerInvoice"])["customer"])
            entry.update({
                "journalEntryNumber": store.take("next_journal_entry"),
                "entryType": spec["entryType"],
                "journal": {"journalNumber": journal_number},
                "voucher": {"voucherNumber": number, "accountingYear": {"year": year}},
                "_kind": kind,
                "_year": year,
            })
            store.journal_entries.put(entry)
            out_entries.setdefault(kind, []).append(entry)
    return {"accountingYear": {"year": year}, "journal": {"journalNumber": journal_number}, "voucherNumber": number,
            "entries": out_entries}


def vouchers_of(store: Any, journal_number: int) -> list[Doc]:
    """The journal's draft entries grouped as vouchers, in voucher order."""
    grouped: dict[tuple[str, int], Doc] = {}
    for entry in store.journal_entries.lookup("journal.journalNumber", journal_number) or []:
        key = (entry["_year"], entry["voucher"]["voucherNumber"])
        voucher = grouped.setdefault(key, {"accountingYear": {"year": key[0]}, "journal": {"journalNumber": journal_number},
                                           "voucherNumber": key[1], "entries": {}})
        voucher["entries"].setdefault(entry["_kind"], []).append(entry)
    return [grouped[k] for k in sorted(grouped)]
