"""Moving a flow's cursor only past settled records, whatever order the workers finish in."""

from __future__ import annotations

import threading
from typing import Any

from engine.state import StateStore


class CursorTracker:
    """Numbers the polled records in source order and stores the cursor of the longest run of
    settled records from the start. A record left pending is never marked settled, so the
    cursor cannot pass it in this run. ``settled`` must be called inside the ``store.atomic()``
    that writes the record's final ledger row, so both commit together or not at all."""

    def __init__(self, store: StateStore, integration: str, flow: str, *, enabled: bool = True) -> None:
        self.store = store
        self.integration = integration
        self.flow = flow
        self.enabled = enabled
        self._lock = threading.Lock()
        self._cursors: list[Any] = []
        self._settled: set[int] = set()
        self._low = 0        # every record below this number is settled

    def register(self, cursor: Any) -> int:
        """Number the next record read from the stream; ``cursor`` is its stream state or None."""
        with self._lock:
            self._cursors.append(cursor)
            return len(self._cursors) - 1

    def settled(self, seq: int) -> None:
        """The record is done, dead-lettered, held or filtered: store the cursor if it moved."""
        with self._lock:
            self._settled.add(seq)
            moved = None
            while self._low in self._settled:
                self._settled.discard(self._low)
                if self._cursors[self._low] is not None:
                    moved = self._cursors[self._low]
                self._cursors[self._low] = None  # release memory of long streams
                self._low += 1
            if moved is not None and self.enabled:
                self.store.set_cursor(self.integration, self.flow, moved)
