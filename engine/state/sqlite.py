"""The SQLite state store (default).

One file per instance, created owner-only (0600), in WAL mode so ``iex dlq list`` can read while
a run writes. One connection per store, shared by the runner's worker threads behind a lock;
``atomic()`` turns the calls inside it into one ``BEGIN IMMEDIATE`` transaction.

Tables:

* ``cursors(integration, flow, state, updated)``: the stream state of each flow.
* ``ledger(integration, flow, record_key, step, status, attempts, reference, result,
  payload_hash, recipe_digest, error_class, error, record, created, updated)``: one row per
  step of each record; ``payload_hash`` is sha256 of the canonical input JSON; ``record`` holds
  the record data only while the row is ``held``.
* ``record_refs(integration, flow, record_key, refs, updated)``: the flow's ``refs`` per record.
* ``record_versions(integration, flow, record_key, version, updated)``: the newest source
  version settled per record; an older one is skipped as stale.
* ``dead_letters(id, integration, flow, record_key, step, error_class, message, field_path, who,
  recipe_version, recipe_digest, record, created, retried)``; ``retried`` also closes a letter
  whose record went through later.
* ``inbox(id, integration, flow, record_key, record, received, processed, version)``: webhook
  deliveries.
* ``runs(id, started, finished, counts, outcome)``: the run log.

The instance lock is an exclusive ``flock`` on ``<state file>.lock``, which also holds the
holder's PID, command and start time for the refusal message. The kernel drops the lock when its
process dies, so the lock of a crashed run is taken over without any stale-lock guessing.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.errors import ErrorClass, IexError
from engine.secrets import mask
from engine.state import codec
from engine.state.base import (
    JSON,
    DeadLetter,
    InboxItem,
    InstanceBusyError,
    LedgerEntry,
    LedgerStatus,
    RunLog,
    StateStore,
    StepKey,
)

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (
    integration TEXT NOT NULL, flow TEXT NOT NULL, state TEXT, updated TEXT NOT NULL,
    PRIMARY KEY (integration, flow));
CREATE TABLE IF NOT EXISTS ledger (
    integration TEXT NOT NULL, flow TEXT NOT NULL, record_key TEXT NOT NULL, step TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, reference TEXT, result TEXT,
    payload_hash TEXT, recipe_digest TEXT, error_class TEXT, error TEXT, record TEXT,
    created TEXT NOT NULL, updated TEXT NOT NULL,
    PRIMARY KEY (integration, flow, record_key, step));
CREATE INDEX IF NOT EXISTS ledger_status ON ledger (integration, flow, status);
CREATE TABLE IF NOT EXISTS record_refs (
    integration TEXT NOT NULL, flow TEXT NOT NULL, record_key TEXT NOT NULL, refs TEXT NOT NULL,
    updated TEXT NOT NULL, PRIMARY KEY (integration, flow, record_key));
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT, integration TEXT NOT NULL, flow TEXT NOT NULL,
    record_key TEXT NOT NULL, step TEXT NOT NULL, error_class TEXT NOT NULL, message TEXT NOT NULL,
    field_path TEXT, who TEXT NOT NULL, recipe_version TEXT, recipe_digest TEXT, record TEXT,
    created TEXT NOT NULL, retried TEXT);
CREATE INDEX IF NOT EXISTS dead_letters_record ON dead_letters (integration, flow, record_key);
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, integration TEXT NOT NULL, flow TEXT NOT NULL,
    record_key TEXT NOT NULL, record TEXT NOT NULL, received TEXT NOT NULL, processed TEXT);
CREATE INDEX IF NOT EXISTS inbox_open ON inbox (integration, flow, processed);
CREATE TABLE IF NOT EXISTS record_versions (
    integration TEXT NOT NULL, flow TEXT NOT NULL, record_key TEXT NOT NULL, version TEXT NOT NULL,
    updated TEXT NOT NULL, PRIMARY KEY (integration, flow, record_key));
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, started TEXT NOT NULL, finished TEXT, counts TEXT, outcome TEXT);
"""


def now() -> str:
    """UTC timestamp as stored everywhere in the state."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _owner_only(path: Path) -> None:
    """Create ``path`` (if missing) readable by its owner only."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class SqliteStore(StateStore):
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _owner_only(self.path)
        self._mutex = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self.atomic():
            self._migrate()
        for suffix in ("-wal", "-shm"):  # SQLite copies the file's mode; make sure of it
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                os.chmod(side, 0o600)

    # -- transactions ---------------------------------------------------------------------
    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._mutex:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._db.execute("ROLLBACK")
                raise
            self._depth = 0
            self._db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise IexError(
                f"state file {self.path} was written by a newer iex (schema {version}); upgrade iex"
            )
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)
        # schema 1 -> 2: webhook deliveries carry their source version
        inbox_columns = {row["name"] for row in self._db.execute("PRAGMA table_info(inbox)")}
        if "version" not in inbox_columns:
            self._db.execute("ALTER TABLE inbox ADD COLUMN version TEXT")
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self.atomic():
            return self._db.execute(sql, params)

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._mutex:
            return self._db.execute(sql, params).fetchall()

    # -- cursors ----------------------------------------------------------------------------
    def get_cursor(self, integration: str, flow: str) -> JSON | None:
        rows = self._query("SELECT state FROM cursors WHERE integration=? AND flow=?", (integration, flow))
        return codec.loads(rows[0]["state"]) if rows else None

    def set_cursor(self, integration: str, flow: str, state: JSON | None) -> None:
        self._exec(
            "INSERT INTO cursors (integration, flow, state, updated) VALUES (?,?,?,?) "
            "ON CONFLICT (integration, flow) DO UPDATE SET state=excluded.state, updated=excluded.updated",
            (integration, flow, codec.dumps(state), now()),
        )

    # -- ledger -----------------------------------------------------------------------------
    def ledger_get(self, key: StepKey) -> LedgerEntry | None:
        rows = self._query(
            _ENTRY_SELECT + " WHERE l.integration=? AND l.flow=? AND l.record_key=? AND l.step=?",
            (key.integration, key.flow, key.record_key, key.step),
        )
        return _entry(rows[0]) if rows else None

    def _upsert(self, key: StepKey, **columns: Any) -> None:
        """Write the given columns of one ledger row, creating it if needed."""
        stamp = now()
        columns["updated"] = stamp
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        updates = ", ".join(f"{name}=excluded.{name}" for name in columns)
        self._exec(
            f"INSERT INTO ledger (integration, flow, record_key, step, created, {names}) "
            f"VALUES (?,?,?,?,?, {marks}) "
            f"ON CONFLICT (integration, flow, record_key, step) DO UPDATE SET {updates}",
            (key.integration, key.flow, key.record_key, key.step, stamp, *columns.values()),
        )

    def ledger_pending(self, key: StepKey, *, payload_hash: str, recipe_digest: str | None) -> int:
        with self.atomic():
            self._db.execute(
                "INSERT INTO ledger (integration, flow, record_key, step, status, attempts, "
                "payload_hash, recipe_digest, created, updated) VALUES (?,?,?,?,?,1,?,?,?,?) "
                "ON CONFLICT (integration, flow, record_key, step) DO UPDATE SET "
                "status=excluded.status, attempts=ledger.attempts+1, payload_hash=excluded.payload_hash, "
                "recipe_digest=excluded.recipe_digest, updated=excluded.updated",
                (key.integration, key.flow, key.record_key, key.step, LedgerStatus.PENDING,
                 payload_hash, recipe_digest, now(), now()),
            )
            row = self._db.execute(
                "SELECT attempts FROM ledger WHERE integration=? AND flow=? AND record_key=? AND step=?",
                (key.integration, key.flow, key.record_key, key.step),
            ).fetchone()
        return int(row["attempts"])

    def ledger_done(
        self, key: StepKey, *, result: Any, reference: str | None, payload_hash: str,
        recipe_digest: str | None,
    ) -> None:
        self._upsert(
            key, status=LedgerStatus.DONE, result=codec.dumps(result),
            reference=mask(reference) if reference is not None else None,
            payload_hash=payload_hash, recipe_digest=recipe_digest,
            error_class=None, error=None, record=None,
        )

    def ledger_failed(self, key: StepKey, error: IexError) -> None:
        self._upsert(key, status=LedgerStatus.FAILED, error_class=str(error.error_class), error=_message(error))

    def ledger_held(self, key: StepKey, error: IexError, *, record: JSON, payload_hash: str | None) -> None:
        self._upsert(
            key, status=LedgerStatus.HELD, error_class=str(error.error_class), error=_message(error),
            record=codec.dumps(record), payload_hash=payload_hash,
        )

    def set_refs(self, integration: str, flow: str, record_key: str, refs: JSON) -> None:
        self._exec(
            "INSERT INTO record_refs (integration, flow, record_key, refs, updated) VALUES (?,?,?,?,?) "
            "ON CONFLICT (integration, flow, record_key) DO UPDATE SET refs=excluded.refs, updated=excluded.updated",
            (integration, flow, record_key, codec.dumps(refs), now()),
        )

    def ledger_entries(
        self, integration: str, flow: str, step: str | None = None,
        status: LedgerStatus | None = None,
    ) -> Iterator[LedgerEntry]:
        sql = _ENTRY_SELECT + " WHERE l.integration=? AND l.flow=?"
        params: list[Any] = [integration, flow]
        if step is not None:
            sql += " AND l.step=?"
            params.append(step)
        if status is not None:
            sql += " AND l.status=?"
            params.append(str(status))
        rows = self._query(sql + " ORDER BY l.record_key, l.created", tuple(params))
        return (_entry(row) for row in rows)

    def record_version(self, integration: str, flow: str, record_key: str) -> str | None:
        rows = self._query(
            "SELECT version FROM record_versions WHERE integration=? AND flow=? AND record_key=?",
            (integration, flow, record_key),
        )
        return rows[0]["version"] if rows else None

    def set_record_version(self, integration: str, flow: str, record_key: str, version: str) -> None:
        self._exec(
            "INSERT INTO record_versions (integration, flow, record_key, version, updated) VALUES (?,?,?,?,?) "
            "ON CONFLICT (integration, flow, record_key) DO UPDATE SET version=excluded.version, "
            "updated=excluded.updated WHERE excluded.version > record_versions.version",
            (integration, flow, record_key, version, now()),
        )

    # -- dead letters -----------------------------------------------------------------------
    def dead_letter(
        self, key: StepKey, error: IexError, *, record: JSON | None, payload_hash: str | None,
        recipe_version: str | None, recipe_digest: str | None,
    ) -> int:
        with self.atomic():
            self._upsert(
                key, status=LedgerStatus.DEAD, error_class=str(error.error_class), error=_message(error),
                payload_hash=payload_hash, record=None,
            )
            cursor = self._db.execute(
                "INSERT INTO dead_letters (integration, flow, record_key, step, error_class, message, "
                "field_path, who, recipe_version, recipe_digest, record, created) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (key.integration, key.flow, key.record_key, key.step, str(error.error_class),
                 _message(error), mask(error.field_path) if error.field_path else None, error.who,
                 recipe_version, recipe_digest, codec.dumps(record) if record is not None else None, now()),
            )
            return int(cursor.lastrowid or 0)

    def dead_letters(
        self, integration: str | None = None, flow: str | None = None, *, include_retried: bool = False,
    ) -> list[DeadLetter]:
        sql = "SELECT * FROM dead_letters WHERE 1=1"
        params: list[Any] = []
        if integration is not None:
            sql += " AND integration=?"
            params.append(integration)
        if flow is not None:
            sql += " AND flow=?"
            params.append(flow)
        if not include_retried:
            sql += " AND retried IS NULL"
        return [_letter(row) for row in self._query(sql + " ORDER BY id", tuple(params))]

    def get_dead_letter(self, letter_id: int) -> DeadLetter | None:
        rows = self._query("SELECT * FROM dead_letters WHERE id=?", (letter_id,))
        return _letter(rows[0]) if rows else None

    def mark_retried(self, letter_id: int) -> None:
        self._exec("UPDATE dead_letters SET retried=? WHERE id=?", (now(), letter_id))

    def resolve_dead_letters(self, integration: str, flow: str, record_key: str) -> int:
        cursor = self._exec(
            "UPDATE dead_letters SET retried=? WHERE integration=? AND flow=? AND record_key=? AND retried IS NULL",
            (now(), integration, flow, record_key),
        )
        return cursor.rowcount

    # -- inbox ------------------------------------------------------------------------------
    def inbox_add(self, integration: str, flow: str, record_key: str, record: JSON,
                  version: str | None = None) -> int:
        cursor = self._exec(
            "INSERT INTO inbox (integration, flow, record_key, record, received, version) VALUES (?,?,?,?,?,?)",
            (integration, flow, record_key, codec.dumps(record), now(), version),
        )
        return int(cursor.lastrowid or 0)

    def inbox_pending(self, integration: str, flow: str) -> list[InboxItem]:
        rows = self._query(
            "SELECT * FROM inbox WHERE integration=? AND flow=? AND processed IS NULL ORDER BY id",
            (integration, flow),
        )
        return [
            InboxItem(row["id"], row["integration"], row["flow"], row["record_key"],
                      codec.loads(row["record"]), row["received"], row["version"])
            for row in rows
        ]

    def inbox_processed(self, item_id: int) -> None:
        self._exec("UPDATE inbox SET processed=? WHERE id=?", (now(), item_id))

    # -- run log ----------------------------------------------------------------------------
    def run_started(self, run_id: str, started: str) -> None:
        self._exec("INSERT INTO runs (id, started) VALUES (?,?)", (run_id, started))

    def run_finished(self, run_id: str, finished: str, counts: JSON, outcome: str) -> None:
        self._exec(
            "UPDATE runs SET finished=?, counts=?, outcome=? WHERE id=?",
            (finished, codec.dumps(counts), mask(outcome), run_id),
        )

    def runs(self, limit: int = 20) -> list[RunLog]:
        rows = self._query("SELECT * FROM runs ORDER BY started DESC LIMIT ?", (limit,))
        return [RunLog(r["id"], r["started"], r["finished"], codec.loads(r["counts"]) or {}, r["outcome"]) for r in rows]

    # -- instance lock ----------------------------------------------------------------------
    @contextmanager
    def lock(self, owner: str, *, wait: bool = False, timeout: float | None = None) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        _owner_only(lock_path)
        fd = os.open(lock_path, os.O_RDWR)
        try:
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not wait or (deadline is not None and time.monotonic() >= deadline):
                        holder = Path(lock_path).read_text(encoding="utf-8", errors="replace").strip()
                        raise InstanceBusyError(
                            f"another iex process is working on this instance ({holder or 'holder unknown'}); "
                            f"state {self.path}. Wait for it to finish, or pass --wait to queue behind it"
                        ) from None
                    time.sleep(0.1)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"PID {os.getpid()}, {mask(owner)}, since {now()}".encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def close(self) -> None:
        with self._mutex:
            self._db.close()


_ENTRY_SELECT = (
    "SELECT l.*, r.refs AS refs FROM ledger l LEFT JOIN record_refs r "
    "ON r.integration=l.integration AND r.flow=l.flow AND r.record_key=l.record_key"
)


def _message(error: IexError) -> str:
    where = str(error.location) if error.location else ""
    return mask(f"{where}: {error.message}" if where else error.message)


def _entry(row: sqlite3.Row) -> LedgerEntry:
    return LedgerEntry(
        integration=row["integration"], flow=row["flow"], record_key=row["record_key"], step=row["step"],
        status=LedgerStatus(row["status"]), attempts=row["attempts"], reference=row["reference"],
        result=codec.loads(row["result"]), payload_hash=row["payload_hash"],
        recipe_digest=row["recipe_digest"], refs=codec.loads(row["refs"]),
        error_class=row["error_class"], error=row["error"], record=codec.loads(row["record"]),
        updated=row["updated"],
    )


def _letter(row: sqlite3.Row) -> DeadLetter:
    return DeadLetter(
        id=row["id"], integration=row["integration"], flow=row["flow"], record_key=row["record_key"],
        step=row["step"], error_class=ErrorClass(row["error_class"]), message=row["message"],
        field_path=row["field_path"], who=row["who"], recipe_version=row["recipe_version"],
        recipe_digest=row["recipe_digest"], record=codec.loads(row["record"]), created=row["created"],
        retried=row["retried"],
    )
