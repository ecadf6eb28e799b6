"""A bounded pool of worker lanes: jobs with the same lane value run in submission order on one
lane, jobs of different values run side by side."""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("iex")

_STOP = object()


class LanePool:
    """``workers`` threads, each with its own FIFO queue. With one worker, jobs run inline in
    the caller's thread (plan mode and tests see a plain loop)."""

    def __init__(self, workers: int, handle: Callable[[Any], None], *, queue_size: int = 64) -> None:
        self.workers = max(1, workers)
        self.handle = handle
        self._queues: list[queue.Queue[Any]] = []
        self._threads: list[threading.Thread] = []
        if self.workers > 1:
            for n in range(self.workers):
                q: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
                thread = threading.Thread(target=self._work, args=(q,), name=f"iex-worker-{n}", daemon=True)
                self._queues.append(q)
                self._threads.append(thread)
                thread.start()

    def submit(self, lane: str, job: Any) -> None:
        """Queue ``job`` on the lane of ``lane`` (blocks while that lane is full)."""
        if self.workers == 1:
            self._run(job)
            return
        digest = hashlib.blake2b(lane.encode("utf-8"), digest_size=8).digest()
        self._queues[int.from_bytes(digest, "big") % self.workers].put(job)

    def join(self) -> None:
        """Wait until every queued job has run, then stop the threads."""
        for q in self._queues:
            q.put(_STOP)
        for thread in self._threads:
            thread.join()
        self._queues.clear()
        self._threads.clear()

    def _work(self, q: queue.Queue[Any]) -> None:
        while True:
            job = q.get()
            if job is _STOP:
                return
            self._run(job)

    def _run(self, job: Any) -> None:
        try:
            self.handle(job)
        except Exception:  # noqa: BLE001 - handle() reports its own failures; this is a last guard
            log.exception("iex worker failed on a job")
