"""What a run did, per flow: the numbers the summary table, the run log and tests read."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class FlowCounts:
    """Counters of one flow in one run. Workers add to them concurrently, hence ``add``."""

    seen: int = 0                 # records read (polled, webhook inbox, held, retried)
    filtered: int = 0             # the flow's filter said no
    done: Counter[str] = field(default_factory=Counter)       # sent and confirmed, per step
    recovered: Counter[str] = field(default_factory=Counter)  # found already done by the finder
    already_done: int = 0         # steps skipped: done before with the same input
    skipped: int = 0              # steps whose `when` was false
    updated: int = 0              # steps sent again as an update (on_change: update)
    changed: int = 0              # input changed after transfer, ignored (on_change: ignore)
    stale: int = 0                # older source version than one already settled: skipped
    dead: Counter[str] = field(default_factory=Counter)       # dead-lettered, per error class
    already_dead: int = 0         # dead-lettered before with the same input: not tried again
    held: int = 0                 # waiting for another record
    pending: int = 0              # left for the next run (transient error or stopped run)
    stopped: str | None = None    # why the flow stopped early, if it did
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, key: str | None = None, n: int = 1) -> None:
        with self._lock:
            if key is None:
                setattr(self, name, getattr(self, name) + n)
            else:
                getattr(self, name)[key] += n

    def to_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen, "filtered": self.filtered, "done": dict(self.done),
            "recovered": dict(self.recovered), "already_done": self.already_done,
            "skipped": self.skipped, "updated": self.updated, "changed": self.changed, "stale": self.stale,
            "dead": dict(self.dead), "already_dead": self.already_dead, "held": self.held,
            "pending": self.pending, "stopped": self.stopped,
        }


@dataclass
class RunSummary:
    run_id: str
    started: str
    finished: str = ""
    duration: Decimal = Decimal(0)                                    # seconds
    flows: dict[str, FlowCounts] = field(default_factory=dict)         # "integration/flow"
    api_calls: dict[str, dict[str, int]] = field(default_factory=dict)  # integration -> runtime.metrics
    messages: list[str] = field(default_factory=list)                  # stops and refusals, masked

    @property
    def outcome(self) -> str:
        return "stopped" if any(c.stopped for c in self.flows.values()) else "ok"

    def flow(self, integration: str, flow: str) -> FlowCounts:
        return self.flows.setdefault(f"{integration}/{flow}", FlowCounts())

    def total(self, name: str) -> int:
        """A counter summed over flows (and over steps or classes where it is per key)."""
        total = 0
        for counts in self.flows.values():
            value = getattr(counts, name)
            total += sum(value.values()) if isinstance(value, Counter) else value
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "started": self.started, "finished": self.finished,
            "duration": self.duration, "flows": {k: v.to_dict() for k, v in self.flows.items()},
            "api_calls": self.api_calls, "messages": self.messages, "outcome": self.outcome,
        }
