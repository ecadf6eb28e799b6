"""The invoice side: what each booked invoice expects to be paid, as the DuckDB table
``invoice_payments``.

Rows come from e-conomic's booked invoices joined with the engine's ledger (which order and
transaction became which invoice, and which refund of which order and transaction became which
credit note), or from an ``--invoices`` CSV for offline use. Credit notes are invoices with a
negative amount and remainder; a refund in a payout settles the credit note of its transaction.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from engine.errors import DataError, Location
from engine.paymatch.load import ref_key_sql

CSV_COLUMNS = ("invoice_number", "customer_number", "order_ref", "transaction_id", "amount", "currency", "date",
               "remainder")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class InvoicePayment:
    """One booked invoice (or credit note) as PayMatch matches it."""

    invoice_number: int
    customer_number: int | None
    order_ref: str | None
    transaction_id: str | None
    amount: Decimal          # gross, invoice currency; negative for a credit note
    currency: str
    date: date
    remainder: Decimal       # still unpaid; 0 when settled


def create_table(con: duckdb.DuckDBPyConnection, invoices: Iterable[InvoicePayment]) -> int:
    """(Re)create ``invoice_payments`` from the given rows; returns how many."""
    count = 0
    with tempfile.TemporaryDirectory(prefix="iex-paymatch-") as tmp:
        staged = Path(tmp) / "invoices.csv"
        with staged.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(CSV_COLUMNS)
            for inv in invoices:
                writer.writerow([inv.invoice_number, _cell(inv.customer_number), _cell(inv.order_ref),
                                 _cell(inv.transaction_id), format(inv.amount, "f"), inv.currency.upper(),
                                 inv.date.isoformat(), format(inv.remainder, "f")])
                count += 1
        _from_staged(con, staged)
    return count


def _from_staged(con: duckdb.DuckDBPyConnection, staged: Path) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE invoice_payments AS
        SELECT invoice_number, customer_number, order_ref, {ref_key_sql('order_ref')} AS order_key,
               nullif(trim(transaction_id), '') AS transaction_id, amount, upper(currency) AS currency, date, remainder
        FROM read_csv(?, header = true, delim = ',', quote = '"', escape = '"',
                      columns = {{'invoice_number': 'BIGINT', 'customer_number': 'BIGINT', 'order_ref': 'VARCHAR',
                                 'transaction_id': 'VARCHAR', 'amount': 'DECIMAL(18,2)', 'currency': 'VARCHAR',
                                 'date': 'DATE', 'remainder': 'DECIMAL(18,2)'}})
    """, [str(staged)])


def read_csv_file(path: str | Path) -> list[InvoicePayment]:
    """An ``--invoices`` file: a header with the columns of ``CSV_COLUMNS`` (any order), money
    with a decimal point, dates YYYY-MM-DD. The first bad row stops the run with its place."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"invoice file {path} does not exist", location=Location(file=str(path)))
    rows: list[InvoicePayment] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = {h.strip().lower() for h in reader.fieldnames or []}
        missing = [c for c in ("invoice_number", "amount", "currency", "date", "remainder") if c not in header]
        if missing:
            raise DataError(f"the invoice file has no column {', '.join(missing)} (needs: {', '.join(CSV_COLUMNS)})",
                            location=Location(file=str(path), line=1))
        for raw in reader:
            row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            where = Location(file=str(path), line=reader.line_num)
            rows.append(InvoicePayment(
                invoice_number=_int(row["invoice_number"], "invoice_number", where, required=True),  # type: ignore[arg-type]
                customer_number=_int(row.get("customer_number", ""), "customer_number", where),
                order_ref=row.get("order_ref") or None, transaction_id=row.get("transaction_id") or None,
                amount=_decimal(row["amount"], "amount", where), currency=_currency(row["currency"], where),
                date=_date(row["date"], where), remainder=_decimal(row["remainder"], "remainder", where)))
    return rows


def from_economic(booked_invoices: Iterable[Mapping[str, Any]],
                  ledger_entries: Iterable[Any] = ()) -> list[InvoicePayment]:
    """Booked invoices and credit notes as e-conomic returns them (``economic`` stream
    ``booked_invoices``), with order and transaction references from the engine's ledger where
    a flow booked the document (``LedgerEntry.result`` holds ``bookedInvoiceNumber``, ``refs``
    the flow's references): pass the entries of the invoice step and of the credit-note step.
    Without a ledger row, ``references.other`` is taken as the order reference."""
    refs_by_invoice: dict[int, Mapping[str, Any]] = {}
    for entry in ledger_entries:
        result = _get(entry, "result")
        refs = _get(entry, "refs") or {}
        number = _invoice_number(result)
        if number is not None:
            refs_by_invoice[number] = refs
    rows = []
    for inv in booked_invoices:
        number = int(inv["bookedInvoiceNumber"])
        refs = refs_by_invoice.get(number, {})
        other = (inv.get("references") or {}).get("other")
        rows.append(InvoicePayment(
            invoice_number=number,
            customer_number=_opt_int((inv.get("customer") or {}).get("customerNumber")),
            order_ref=_opt_str(refs.get("order_number") or refs.get("order_ref") or other),
            transaction_id=_opt_str(refs.get("transaction_id")),
            amount=Decimal(inv["grossAmount"]),
            currency=str(inv["currency"]).upper(),
            date=date.fromisoformat(str(inv["date"])[:10]),
            remainder=Decimal(inv["remainder"]),
        ))
    return rows


def _get(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, Mapping) else getattr(entry, name, None)


def _invoice_number(result: Any) -> int | None:
    if isinstance(result, Mapping):
        for key in ("bookedInvoiceNumber", "invoice_number"):
            if result.get(key) is not None:
                return int(result[key])
        for nested in result.values():
            if isinstance(nested, Mapping) and nested.get("bookedInvoiceNumber") is not None:
                return int(nested["bookedInvoiceNumber"])
    return None


def _opt_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _opt_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _int(text: str, name: str, where: Location, required: bool = False) -> int | None:
    if not text and not required:
        return None
    if not text.isdigit():
        raise DataError(f"{name} {text!r} is not a whole number", location=where)
    return int(text)


def _decimal(text: str, name: str, where: Location) -> Decimal:
    if not _NUMBER.match(text):
        raise DataError(f"{name} {text!r} is not a number (use a decimal point)", location=where)
    return Decimal(text)


def _currency(text: str, where: Location) -> str:
    if not re.fullmatch(r"[A-Za-z]{3}", text):
        raise DataError(f"currency {text!r} is not an ISO code", location=where)
    return text.upper()


def _date(text: str, where: Location) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DataError(f"date {text!r} is not YYYY-MM-DD", location=where) from None
