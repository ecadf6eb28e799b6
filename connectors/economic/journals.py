"""Journal vouchers (kassekladde) and booking the journal through the Journals API.

Vouchers go to legacy REST ``POST /journals/{n}/vouchers`` in bulk (an array, up to
``CHUNK`` per call). Each voucher's reference (e.g. the payout id) is written into every entry's
text as ``[reference]``: the journal's draft entries then tell which vouchers are already there,
so a repeat after a crash posts only what is missing. Legacy REST cannot book; the Journals API
``POST /journals/{n}/book`` books every draft entry of the journal, so automated postings belong
in a journal of their own (economic-api §8.4).
"""

from __future__ import annotations

import hashlib
from typing import Any

from engine.connector import ActionContext
from engine.errors import DataError

from connectors.economic.client import EconomicApi, to_decimal
from connectors.economic.reference import Reference

CHUNK = 500
MAX_TEXT = 250
ENTRY_TYPES = ("customerPayments", "financeVouchers", "manualCustomerInvoices", "supplierInvoices", "supplierPayments")
AMOUNT_FIELDS = ("amount", "amountBaseCurrency", "exchangeRate", "vatAmount", "contraVatAmount")


def marker(reference: str) -> str:
    return f"[{reference}]"


def post_vouchers(api: EconomicApi, ref: Reference, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    journal = _journal(ref, data)
    vouchers = [_voucher(ref, data, journal, v, i) for i, v in enumerate(data.get("vouchers") or [])]
    present = existing_references(api, journal)
    todo = [(i, body) for i, body in enumerate(vouchers) if _ref(body) not in present]
    numbers = {reference: present[reference] for reference in map(_ref, vouchers) if reference in present}
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start:start + CHUNK]
        bodies = [{k: v for k, v in body.items() if k != "_reference"} for _, body in chunk]
        try:
            answer = api.post(f"/journals/{journal}/vouchers", bodies)
        except DataError as exc:
            raise _located(exc, chunk) from None
        answer = answer if isinstance(answer, list) else [answer]
        for (_, body), posted in zip(chunk, answer):
            numbers[_ref(body)] = None if api.dry_run else _voucher_number(posted)
    return {
        "journalNumber": journal,
        "vouchers": [{"reference": _ref(body), "voucherNumber": numbers.get(_ref(body))} for body in vouchers],
        "posted": len(todo),
        "skipped": len(vouchers) - len(todo),
    }


def find_vouchers(api: EconomicApi, ref: Reference, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any] | None:
    """After a crash: the result if every voucher is already in the journal, else None (the
    action then posts only the missing ones)."""
    journal = _journal(ref, data)
    references = [str(v.get("reference") or "") for v in data.get("vouchers") or []]
    present = existing_references(api, journal)
    if not all(r in present for r in references):
        return None
    return {
        "journalNumber": journal,
        "vouchers": [{"reference": r, "voucherNumber": present[r]} for r in references],
        "posted": 0,
        "skipped": len(references),
    }


def existing_references(api: EconomicApi, journal: int) -> dict[str, Any]:
    """Reference -> voucher number of every draft entry in the journal that carries a marker."""
    found: dict[str, Any] = {}
    for entry in api.iterate(f"/journals/{journal}/entries"):
        text = str(entry.get("text") or "")
        start = text.rfind("[")
        if start >= 0 and text.endswith("]"):
            found.setdefault(text[start + 1:-1], _voucher_number(entry))
    return found


def book_journal(api: EconomicApi, ref: Reference, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    journal = _journal(ref, data)
    # The Journals API honours Idempotency-Key (answers cached for an hour), which also lets the
    # HTTP client retry this POST after a lost answer.
    key = hashlib.sha256(ctx.idempotency_key.encode()).hexdigest()
    try:
        api.journals.post(f"/journals/{journal}/book", headers={"Idempotency-Key": key})
    except DataError:
        # "nothing to book" after an earlier attempt whose answer was lost is success; anything
        # else (entries that do not balance) is the customer's to fix.
        if find_booked_journal(api, ref, data, ctx) is None:
            raise
    return {"booked": True, "journalNumber": journal}


def find_booked_journal(api: EconomicApi, ref: Reference, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any] | None:
    """After a crash: booked when no draft entries are left in the journal."""
    journal = _journal(ref, data)
    for _ in api.iterate(f"/journals/{journal}/entries", pagesize=1):
        return None
    return {"booked": True, "journalNumber": journal}


def _journal(ref: Reference, data: dict[str, Any]) -> int:
    number = data.get("journalNumber")
    ref.require("journals", number, "journalNumber")
    return int(number)


def _ref(body: dict[str, Any]) -> str:
    return body["_reference"]


def _voucher(ref: Reference, data: dict[str, Any], journal: int, voucher: dict[str, Any], index: int) -> dict[str, Any]:
    reference = str(voucher.get("reference") or "").strip()
    if not reference:
        raise DataError("every voucher needs a reference (e.g. the payout id)", field_path=f"vouchers[{index}].reference")
    if "[" in reference or "]" in reference:
        raise DataError("a voucher reference cannot contain [ or ]", field_path=f"vouchers[{index}].reference")
    entries: dict[str, list[dict[str, Any]]] = {}
    for kind, items in (voucher.get("entries") or {}).items():
        if kind not in ENTRY_TYPES:
            raise DataError(f"unknown entry type {kind} (known: {', '.join(ENTRY_TYPES)})",
                            field_path=f"vouchers[{index}].entries.{kind}")
        entries[kind] = [_entry(item, voucher.get("text"), reference) for item in items or []]
    if not any(entries.values()):
        raise DataError("a voucher needs at least one entry", field_path=f"vouchers[{index}].entries")
    first_date = next(e.get("date") for items in entries.values() for e in items)
    year = data.get("accountingYear") or ref.accounting_year_for(str(first_date), f"vouchers[{index}].entries")
    body: dict[str, Any] = {"accountingYear": {"year": str(year)}, "journal": {"journalNumber": journal},
                            "entries": entries, "_reference": reference}
    if voucher.get("voucherNumber") is not None:
        body["voucherNumber"] = int(voucher["voucherNumber"])
    return body


def _entry(entry: dict[str, Any], voucher_text: Any, reference: str) -> dict[str, Any]:
    out = dict(entry)
    for name in AMOUNT_FIELDS:
        if out.get(name) is not None:
            out[name] = to_decimal(out[name])
    text = str(out.get("text") or voucher_text or "").strip()
    tag = marker(reference)
    if not text.endswith(tag):
        room = MAX_TEXT - len(tag) - 1
        text = f"{text[:room].rstrip()} {tag}".strip()
    out["text"] = text
    return out


def _voucher_number(item: dict[str, Any]) -> Any:
    """A voucher number from a voucher (top level) or an entry (``voucher.voucherNumber``)."""
    if item.get("voucherNumber") is not None:
        return item["voucherNumber"]
    voucher = item.get("voucher") or {}
    if voucher.get("voucherNumber") is not None:
        return voucher["voucherNumber"]
    for items in (item.get("entries") or {}).values():
        for entry in items or []:
            number = (entry.get("voucher") or {}).get("voucherNumber")
            if number is not None:
                return number
    return None


def _located(exc: DataError, chunk: list[tuple[int, dict[str, Any]]]) -> DataError:
    """A bulk 400 says ``[k].entries...``: point at the input voucher and name its reference."""
    path = exc.field_path or ""
    if path.startswith("["):
        k = int(path[1:path.index("]")])
        if k < len(chunk):
            index, body = chunk[k]
            return DataError(f"voucher {_ref(body)}: {exc.message}",
                             field_path=f"vouchers[{index}]{path[path.index(']') + 1:]}", details=exc.details)
    return exc

