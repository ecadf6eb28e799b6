"""The state store interface: what the runner, the CLI and PayMatch may ask of the state.

The SQLite store (``engine.state.sqlite``) is the default; a PostgreSQL store can implement the
same class later. Every method is a short transaction of its own unless it runs inside
``atomic()``, which joins the calls made in it into one transaction. That is how the runner
writes the ledger row that settles a record and the cursor that passes it together.

Every JSON value handed to the store is written with Decimals exact and secrets masked
(``engine.state.codec``).
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from engine.errors import ErrorClass, IexError

JSON = dict[str, Any]


class LedgerStatus(StrEnum):
    PENDING = "pending"  # written before the action is called; outcome unknown until settled
    DONE = "done"        # the target confirmed; never sent again for the same input
    FAILED = "failed"    # the call ended in a transient error; the next run asks the finder first
    DEAD = "dead"        # dead-lettered (data or system error); see dead_letters
    HELD = "held"        # waits for another record; retried at the start of every later run


#: statuses that let the cursor pass the record
SETTLED = frozenset({LedgerStatus.DONE, LedgerStatus.DEAD, LedgerStatus.HELD})


@dataclass(frozen=True)
class StepKey:
    """Identity of one step of one record: the ledger's primary key."""

    integration: str
    flow: str
    record_key: str
    step: str

    def __str__(self) -> str:
        return f"{self.integration}/{self.flow} record {self.record_key} step {self.step}"


@dataclass(frozen=True)
class LedgerEntry:
    integration: str
    flow: str
    record_key: str
    step: str
    status: LedgerStatus
    attempts: int
    reference: str | None       # what the target calls it (invoice number, file name)
    result: Any                 # the action's result, reused as steps.<name>
    payload_hash: str | None
    recipe_digest: str | None
    refs: JSON | None           # the flow's refs for this record
    error_class: str | None     # last error (failed, dead, held)
    error: str | None
    record: JSON | None         # the record data, kept while held
    updated: str


@dataclass(frozen=True)
class DeadLetter:
    id: int
    integration: str
    flow: str
    record_key: str
    step: str
    error_class: ErrorClass
    message: str
    field_path: str | None
    who: str
    recipe_version: str | None
    recipe_digest: str | None
    record: JSON | None
    created: str
    retried: str | None         # when it was retried or its record went through later


@dataclass(frozen=True)
class InboxItem:
    id: int
    integration: str
    flow: str
    record_key: str
    record: JSON
    received: str
    version: str | None = None  # the source's version of the record (``Record.version``)


@dataclass(frozen=True)
class RunLog:
    id: str
    started: str
    finished: str | None
    counts: JSON
    outcome: str | None


class InstanceBusyError(IexError):
    """Another iex process holds the instance lock. Nothing is wrong; try again later."""

    error_class = ErrorClass.TRANSIENT


class StateStore(abc.ABC):
    """Cursors, the exactly-once ledger, dead letters, the webhook inbox, the run log and the
    instance lock of one iex instance."""

    location: str

    # -- transactions ---------------------------------------------------------------------
    @abc.abstractmethod
    def atomic(self) -> AbstractContextManager[None]:
        """Join every store call inside the block into one transaction (all or nothing)."""

    # -- cursors ----------------------------------------------------------------------------
    @abc.abstractmethod
    def get_cursor(self, integration: str, flow: str) -> JSON | None:
        """The stream state stored for a flow, or None before its first settled record."""

    @abc.abstractmethod
    def set_cursor(self, integration: str, flow: str, state: JSON | None) -> None:
        """Store the stream state; call it in the same ``atomic()`` as the settling write."""

    # -- ledger -----------------------------------------------------------------------------
    @abc.abstractmethod
    def ledger_get(self, key: StepKey) -> LedgerEntry | None:
        """The ledger row of one step of one record."""

    @abc.abstractmethod
    def ledger_pending(self, key: StepKey, *, payload_hash: str, recipe_digest: str | None) -> int:
        """Mark the step pending before its action is called; returns the attempt number."""

    @abc.abstractmethod
    def ledger_done(
        self, key: StepKey, *, result: Any, reference: str | None, payload_hash: str,
        recipe_digest: str | None,
    ) -> None:
        """Record the confirmed effect; the step is never sent again for the same input."""

    @abc.abstractmethod
    def ledger_failed(self, key: StepKey, error: IexError) -> None:
        """The call ended in a transient error; the step stays unsettled for the next run."""

    @abc.abstractmethod
    def ledger_held(self, key: StepKey, error: IexError, *, record: JSON, payload_hash: str | None) -> None:
        """Keep the record (its data stored) to retry it at the start of later runs."""

    @abc.abstractmethod
    def set_refs(self, integration: str, flow: str, record_key: str, refs: JSON) -> None:
        """Store the flow's ``refs`` for one record (read back through ``ledger_entries``)."""

    @abc.abstractmethod
    def ledger_entries(
        self, integration: str, flow: str, step: str | None = None,
        status: LedgerStatus | None = None,
    ) -> Iterator[LedgerEntry]:
        """Every ledger row of a flow (optionally one step or one status), by record key."""

    @abc.abstractmethod
    def record_version(self, integration: str, flow: str, record_key: str) -> str | None:
        """The newest source version settled for a record, or None."""

    @abc.abstractmethod
    def set_record_version(self, integration: str, flow: str, record_key: str, version: str) -> None:
        """Keep ``version`` if it is newer than the stored one (text order); call it in the same
        ``atomic()`` as the settling write."""

    # -- dead letters -----------------------------------------------------------------------
    @abc.abstractmethod
    def dead_letter(
        self, key: StepKey, error: IexError, *, record: JSON | None, payload_hash: str | None,
        recipe_version: str | None, recipe_digest: str | None,
    ) -> int:
        """Mark the step dead in the ledger and add a dead letter; returns its id."""

    @abc.abstractmethod
    def dead_letters(
        self, integration: str | None = None, flow: str | None = None, *, include_retried: bool = False,
    ) -> list[DeadLetter]:
        """Dead letters, oldest first; retried ones only when asked."""

    @abc.abstractmethod
    def get_dead_letter(self, letter_id: int) -> DeadLetter | None:
        """One dead letter by id."""

    @abc.abstractmethod
    def mark_retried(self, letter_id: int) -> None:
        """Note that a dead letter was sent through its flow again."""

    @abc.abstractmethod
    def resolve_dead_letters(self, integration: str, flow: str, record_key: str) -> int:
        """The record went through after all (fixed at the source and read again): close its
        open dead letters; returns how many."""

    # -- inbox ------------------------------------------------------------------------------
    @abc.abstractmethod
    def inbox_add(self, integration: str, flow: str, record_key: str, record: JSON,
                  version: str | None = None) -> int:
        """Queue a record that arrived by webhook for a flow (with its source version); returns its id."""

    @abc.abstractmethod
    def inbox_pending(self, integration: str, flow: str) -> list[InboxItem]:
        """Queued records not yet processed, in arrival order."""

    @abc.abstractmethod
    def inbox_processed(self, item_id: int) -> None:
        """The record is settled; call it in the same ``atomic()`` as the settling write."""

    # -- run log ----------------------------------------------------------------------------
    @abc.abstractmethod
    def run_started(self, run_id: str, started: str) -> None:
        """Open a run log row."""

    @abc.abstractmethod
    def run_finished(self, run_id: str, finished: str, counts: JSON, outcome: str) -> None:
        """Close a run log row with its summary."""

    @abc.abstractmethod
    def runs(self, limit: int = 20) -> list[RunLog]:
        """The latest runs, newest first."""

    # -- instance lock ----------------------------------------------------------------------
    @abc.abstractmethod
    def lock(self, owner: str, *, wait: bool = False, timeout: float | None = None) -> AbstractContextManager[None]:
        """Hold the instance lock for the block, so two runners never both send. Raises
        InstanceBusyError naming the holder unless ``wait`` (then waits up to ``timeout``)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection."""
