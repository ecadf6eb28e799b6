"""State of an instance: cursors, the exactly-once ledger, dead letters, inbox, run log, lock.

``open_store(path)`` is the one way in; the rest of the engine talks to ``StateStore``.
"""

from __future__ import annotations

import os

from engine.state.base import (
    SETTLED,
    DeadLetter,
    InboxItem,
    InstanceBusyError,
    LedgerEntry,
    LedgerStatus,
    RunLog,
    StateStore,
    StepKey,
)


def open_store(path: str | os.PathLike[str]) -> StateStore:
    """Open (creating if needed, mode 0600) the SQLite state store at ``path``."""
    from engine.state.sqlite import SqliteStore

    return SqliteStore(path)


__all__ = [
    "SETTLED", "DeadLetter", "InboxItem", "InstanceBusyError", "LedgerEntry", "LedgerStatus",
    "RunLog", "StateStore", "StepKey", "open_store",
]
