"""One PayMatch run over lines already in ``payout_lines``: invoices in, earlier postings out,
match, vouchers, and (unless dry) posting through the journal exactly once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import duckdb

from engine.connector import ActionContext, Connector
from engine.errors import IexSystemError
from engine.paymatch import invoices as invoice_side
from engine.paymatch.ledger import MatchLedger
from engine.paymatch.match import match
from engine.paymatch.posting import Voucher, build_vouchers, voucher_input
from engine.paymatch.rules import rule_version
from engine.paymatch.settings import PayMatchSettings


class Journal(Protocol):
    """Where vouchers go: e-conomic's journal through the connector (tests may pass a fake)."""

    def post(self, data: dict[str, Any], key: str) -> dict[str, Any]: ...
    def find(self, data: dict[str, Any], key: str) -> dict[str, Any] | None: ...
    def book(self, data: dict[str, Any], key: str) -> dict[str, Any]: ...


class ConnectorJournal:
    """The e-conomic connector's ``post_vouchers``/``book_journal`` actions and their finder."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector

    def post(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        return self.connector.run_action("post_vouchers", data, _ctx(key))

    def find(self, data: dict[str, Any], key: str) -> dict[str, Any] | None:
        return self.connector.find_effect("post_vouchers", data, _ctx(key))

    def book(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        return self.connector.run_action("book_journal", data, _ctx(key))


def _ctx(key: str) -> ActionContext:
    return ActionContext(idempotency_key=key, record_key=key)


@dataclass
class Outcome:
    rule_version: str
    vouchers: list[Voucher]
    posted: list[str] = field(default_factory=list)        # references of vouchers sent in this run
    settled_pending: list[str] = field(default_factory=list)
    booked: bool = False


def reconcile(con: duckdb.DuckDBPyConnection, settings: PayMatchSettings, *, integration: str,
              invoices: Iterable[invoice_side.InvoicePayment], ledger: MatchLedger | None = None,
              journal: Journal | None = None, dry_run: bool = False) -> Outcome:
    """Match the loaded ``payout_lines`` and post what is new. Without a journal (or dry) the
    vouchers are only built."""
    invoice_side.create_table(con, invoices)
    settled: list[str] = []
    if ledger is not None:
        if journal is not None and not dry_run:
            settled = _settle_pending(ledger, journal, settings, integration)
        ledger.to_duckdb(con, integration)
    version = rule_version(settings.rules)
    match(con, settings.rules)
    vouchers = build_vouchers(con, settings)
    outcome = Outcome(version, vouchers, settled_pending=settled)
    if dry_run or journal is None or not vouchers:
        return outcome
    if ledger is None:
        raise IexSystemError("posting needs the match ledger (it keeps re-runs from posting twice)")
    for voucher in vouchers:
        ledger.mark_pending(integration, voucher, _ledger_rows(con, voucher), version)
    digest = hashlib.sha256("\n".join(v.reference for v in vouchers).encode()).hexdigest()[:16]
    key = f"paymatch:{integration}:{digest}"
    journal.post(voucher_input(vouchers, settings), key)
    for voucher in vouchers:
        ledger.mark_posted(integration, voucher.reference)
        outcome.posted.append(voucher.reference)
    if settings.book:
        data: dict[str, Any] = {"journalNumber": settings.journal_number}
        journal.book(data, f"paymatch:{integration}:book:{key}")
        outcome.booked = True
    return outcome


def _ledger_rows(con: duckdb.DuckDBPyConnection, voucher: Voucher) -> list[tuple[str, str, str, int | None]]:
    return con.execute(
        "SELECT line_key, line_ref, class, invoice_number FROM match_results WHERE line_key IN "
        "(SELECT unnest(?::VARCHAR[]))", [voucher.line_keys]).fetchall()


def _settle_pending(ledger: MatchLedger, journal: Journal, settings: PayMatchSettings, integration: str) -> list[str]:
    """Lines left pending by a crash: posted if the journal holds their voucher, else free again."""
    settled = []
    for reference in ledger.pending_vouchers(integration):
        probe = {"journalNumber": settings.journal_number, "vouchers": [{"reference": reference}]}
        if journal.find(probe, f"paymatch:{integration}:{reference}") is not None:
            ledger.mark_posted(integration, reference)
        else:
            ledger.forget(integration, reference)
        settled.append(reference)
    return settled
