"""A rich progress bar per flow, or nothing (not a terminal and not asked for)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any


class RunProgress:
    def __init__(self, enabled: bool | None = None, console: Any = None) -> None:
        self.enabled = sys.stdout.isatty() if enabled is None else enabled
        self._progress: Any = None
        self._console = console

    def __enter__(self) -> RunProgress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("records"), TimeElapsedColumn(), console=self._console,
            )
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def flow(self, name: str) -> Callable[[], None]:
        """A counter for one flow: call it once per record settled or skipped."""
        if self._progress is None:
            return lambda: None
        task = self._progress.add_task(name, total=None)
        progress = self._progress
        return lambda: progress.advance(task)
