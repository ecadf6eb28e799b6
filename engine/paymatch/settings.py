"""The PayMatch section of an integration's settings (``settings.paymatch`` in ``iex.yaml``):
its JSON Schema (for ``iex validate`` and editors) and the typed model the run uses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from engine.errors import ConfigError, Location
from engine.paymatch.rules import Rule, rules_from_settings

SCHEMA_FILE = Path(__file__).with_name("settings.schema.json")
ACCOUNT_ROLES = ("bank", "clearing", "fees", "errors", "suspense", "chargebacks", "adjustments")


@cache
def schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of ``settings.paymatch``."""
    return json.loads(SCHEMA_FILE.read_text())


@dataclass(frozen=True)
class PayMatchSettings:
    format: str
    mode: str                       # itemised | pooled
    currency: str | None            # for report lines that carry none (Zettle)
    journal_number: int
    accounting_year: str | None
    book: bool
    accounts: dict[str, int]        # role -> account number (chargebacks/adjustments default to suspense)
    rules: tuple[Rule, ...]
    invoice_flow: str               # ledger flow/step whose results are the booked invoices
    invoice_step: str
    credit_note_flow: str           # ledger flow/step whose results are the booked credit notes
    credit_note_step: str
    economic_connection: str
    payout_connection: str


def parse(data: Mapping[str, Any] | None, *, where: Location | None = None,
          position: Any = None) -> PayMatchSettings:
    """Check ``data`` against the schema and type it. ``position(path) -> (line, col)`` locates
    errors in the instance file when given."""
    errors = sorted(Draft202012Validator(schema()).iter_errors(dict(data or {})),
                    key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        error = errors[0]
        path = ".".join(str(p) for p in error.absolute_path)
        location = where
        if position is not None and where is not None:
            line, col = position(tuple(error.absolute_path))
            location = Location(file=where.file, line=line, col=col)
        raise ConfigError(f"paymatch settings{'.' + path if path else ''}: {error.message}", location=location)
    data = dict(data or {})
    accounts = {k: int(v) for k, v in data["accounts"].items()}
    accounts.setdefault("chargebacks", accounts["suspense"])
    accounts.setdefault("adjustments", accounts["suspense"])
    journal = data["journal"]
    invoices = data.get("invoices", {})
    credit_notes = invoices.get("credit_notes", {})
    return PayMatchSettings(
        format=data.get("format", "stripe_itemized"), mode=data.get("mode", "itemised"),
        currency=data.get("currency"), journal_number=int(journal["number"]),
        accounting_year=None if journal.get("accounting_year") is None else str(journal["accounting_year"]),
        book=bool(journal.get("book", False)), accounts=accounts, rules=rules_from_settings(data.get("rules")),
        invoice_flow=invoices.get("flow", "orders"), invoice_step=invoices.get("step", "invoice"),
        credit_note_flow=credit_notes.get("flow", "refunds"), credit_note_step=credit_notes.get("step", "credit_note"),
        economic_connection=invoices.get("connection", "economic"),
        payout_connection=data.get("payouts", {}).get("connection", "stripe"),
    )
