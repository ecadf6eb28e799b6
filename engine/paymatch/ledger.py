"""The match ledger: which payout lines were posted, in which voucher, by which rule version.

It lives in the instance's SQLite state file, in PayMatch's own table ``paymatch_ledger``. The
key is (integration, line identity): a line is posted once, whatever report it arrives in again
and whatever the rules say by then. The rule version is stored with it (which logic decided),
but is deliberately not part of the key: a key with it would post a line again after a rule
change.

Posting is exactly-once in two steps: lines are written ``pending`` with their voucher reference
before the voucher is sent and ``posted`` once e-conomic confirmed it. Pending lines found by a
later run are settled first by asking the journal whether the voucher is there.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from engine.errors import IexSystemError
from engine.paymatch.match import POSTED_DDL
from engine.paymatch.posting import Voucher

SCHEMA = """
CREATE TABLE IF NOT EXISTS paymatch_ledger (
    integration TEXT NOT NULL,
    line_key TEXT NOT NULL,
    line_ref TEXT,
    payout_id TEXT NOT NULL,
    class TEXT NOT NULL,
    invoice_number INTEGER,
    rule_version TEXT NOT NULL,
    voucher TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'posted')),
    updated TEXT NOT NULL,
    PRIMARY KEY (integration, line_key)
);
CREATE INDEX IF NOT EXISTS paymatch_ledger_voucher ON paymatch_ledger (integration, voucher);
"""


class MatchLedger:
    """PayMatch's table in the state file (its own connection; SQLite serialises writers)."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if not Path(path).exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # the state file is the owner's only
        self.path = str(path)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 30000")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> MatchLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def to_duckdb(self, con: duckdb.DuckDBPyConnection, integration: str) -> int:
        """Copy this integration's posted (and pending) lines into DuckDB ``posted_lines``."""
        con.execute("DROP TABLE IF EXISTS posted_lines")
        con.execute(POSTED_DDL)
        rows = self._db.execute(
            "SELECT line_key, class, invoice_number, voucher, rule_version FROM paymatch_ledger WHERE integration = ?",
            (integration,)).fetchall()
        if rows:
            con.executemany("INSERT INTO posted_lines VALUES (?, ?, ?, ?, ?)", rows)
        return len(rows)

    def pending_vouchers(self, integration: str) -> list[str]:
        rows = self._db.execute(
            "SELECT DISTINCT voucher FROM paymatch_ledger WHERE integration = ? AND status = 'pending' ORDER BY voucher",
            (integration,)).fetchall()
        return [r[0] for r in rows]

    def mark_pending(self, integration: str, voucher: Voucher, lines: Iterable[tuple[str, str, str, int | None]],
                     rule_version: str) -> None:
        """Before sending: ``lines`` are (line_key, line_ref, class, invoice_number)."""
        now = _now()
        try:
            with self._transaction():
                self._db.executemany(
                    "INSERT INTO paymatch_ledger (integration, line_key, line_ref, payout_id, class, invoice_number, "
                    "rule_version, voucher, status, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                    [(integration, key, ref, voucher.payout_id, cls, inv, rule_version, voucher.reference, now)
                     for key, ref, cls, inv in lines])
        except sqlite3.IntegrityError:
            # another process posted some of these lines since this run read the ledger
            raise IexSystemError(f"voucher {voucher.reference}: some of its lines were posted by another run "
                                 "meanwhile; nothing was sent. Run again to see what is left") from None

    def mark_posted(self, integration: str, voucher_reference: str) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE paymatch_ledger SET status = 'posted', updated = ? WHERE integration = ? AND voucher = ?",
                (_now(), integration, voucher_reference))

    def forget(self, integration: str, voucher_reference: str) -> None:
        """The voucher never reached the journal: its lines may be posted again."""
        with self._transaction():
            self._db.execute("DELETE FROM paymatch_ledger WHERE integration = ? AND voucher = ? AND status = 'pending'",
                             (integration, voucher_reference))

    def counts(self, integration: str) -> dict[str, int]:
        rows = self._db.execute("SELECT status, count(*) FROM paymatch_ledger WHERE integration = ? GROUP BY status",
                                (integration,)).fetchall()
        return {status: n for status, n in rows}

    def _transaction(self) -> _Tx:
        return _Tx(self._db)


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
