"""Running an instance: every enabled integration, its flows in recipe order, under the
instance lock, with a run log row and a summary."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from engine.connector import Runtime
from engine.secrets import mask
from engine.state import DeadLetter, StateStore
from engine.runner.cursor import CursorTracker
from engine.runner.flow import FlowRun
from engine.runner.progress import RunProgress
from engine.runner.steps import FILTER, KEY, READ, REFS, FlowEnv, Job, PlanLine
from engine.runner.support import Connections
from engine.runner.summary import RunSummary

log = logging.getLogger("iex")

DEFAULT_CONCURRENCY = 4


class Runner:
    """Runs the flows of one instance against its state store."""

    def __init__(self, instance: Any, store: StateStore, *, concurrency: int | None = None,
                 progress: bool | None = None, console: Any = None) -> None:
        self.instance = instance
        self.store = store
        self.concurrency = concurrency
        self.progress = progress
        self.console = console
        self.plan: list[PlanLine] = []
        self._limit: int | None = None
        self._unfinished: set[tuple[str, str, str]] = set()   # (integration, flow, key) queued by a retry

    # -- public -------------------------------------------------------------------------------
    def run(
        self, *, flows: Iterable[str] | None = None, integrations: Iterable[str] | None = None,
        dry_run: bool = False, backfill: dict[str, Any] | None = None, poll: bool = True,
        wait: bool = False, owner: str = "iex run", limit: int | None = None,
    ) -> RunSummary:
        """Run the selected flows once. ``flows`` holds flow names or ``integration/flow``;
        ``backfill`` holds stream options (``since``, ``until``) and leaves the cursor alone;
        ``poll=False`` processes held records and the webhook inbox only; ``limit`` caps the
        records read per flow (for plan)."""
        wanted_flows = set(flows) if flows is not None else None
        wanted_integrations = set(integrations) if integrations is not None else None

        def selected(integration: Any, flow: str) -> bool:
            if wanted_integrations is not None and integration.name not in wanted_integrations:
                return False
            return wanted_flows is None or flow in wanted_flows or f"{integration.name}/{flow}" in wanted_flows

        self._limit = limit
        return self._execute(selected, dry_run=dry_run, backfill=backfill, poll=poll, wait=wait,
                             owner=owner, retries=None)

    def retry(self, letters: Iterable[DeadLetter], *, wait: bool = False) -> RunSummary:
        """Send dead-lettered records through their flows again, from the failed step on."""
        self._limit = None
        self._unfinished = set()
        by_flow: dict[tuple[str, str], list[DeadLetter]] = {}
        for letter in letters:
            by_flow.setdefault((letter.integration, letter.flow), []).append(letter)
        summary = self._execute(lambda i, f: (i.name, f) in by_flow, dry_run=False, backfill=None, poll=False,
                                wait=wait, owner="iex dlq retry", retries=by_flow)
        self._note_untried(summary, by_flow)
        for integration, flow in by_flow:
            known = self.instance.integrations.get(integration)
            if known is None or not getattr(known, "enabled", True) or flow not in known.recipe.flows:
                summary.messages.append(
                    f"dead letters of {integration}/{flow} were not retried: the instance has no such enabled flow"
                )
        return summary

    def _note_untried(self, summary: RunSummary, by_flow: dict[tuple[str, str], list[DeadLetter]]) -> None:
        """Letters of flows that ran, still open, that no fault queued: the run stopped before
        them (a rate limit, a config error), so only another retry sends them."""
        untried = []
        for (integration, flow), letters in by_flow.items():
            if f"{integration}/{flow}" not in summary.flows:
                continue  # no such enabled flow: said below
            for letter in letters:
                current = self.store.get_dead_letter(letter.id)
                if (current is not None and current.retried is None and letter.step != READ
                        and (integration, flow, letter.record_key) not in self._unfinished):
                    untried.append(str(letter.id))
        if untried:
            ids = " ".join(untried)
            summary.messages.append(f"dead letter(s) {ids} were not retried: the run stopped before them; "
                                    f"run `iex dlq retry {ids}` again once the cause is fixed")

    # -- the run ------------------------------------------------------------------------------
    def _execute(self, selected: Any, *, dry_run: bool, backfill: dict[str, Any] | None, poll: bool,
                 wait: bool, owner: str, retries: dict[tuple[str, str], list[DeadLetter]] | None) -> RunSummary:
        summary = RunSummary(run_id=uuid.uuid4().hex[:12], started=_now())
        clock = time.monotonic()
        self.plan = []
        if dry_run:
            self._integrations(summary, selected, dry_run=True, backfill=backfill, poll=poll, retries=retries)
        else:
            with self.store.lock(owner, wait=wait):
                self.store.run_started(summary.run_id, summary.started)
                try:
                    self._integrations(summary, selected, dry_run=False, backfill=backfill, poll=poll,
                                       retries=retries)
                finally:
                    self._close(summary, clock)
                    self.store.run_finished(summary.run_id, summary.finished, summary.to_dict(), summary.outcome)
                return summary
        self._close(summary, clock)
        return summary

    @staticmethod
    def _close(summary: RunSummary, clock: float) -> None:
        summary.finished = _now()
        summary.duration = Decimal(str(round(time.monotonic() - clock, 3)))

    def _integrations(self, summary: RunSummary, selected: Any, *, dry_run: bool,
                      backfill: dict[str, Any] | None, poll: bool,
                      retries: dict[tuple[str, str], list[DeadLetter]] | None) -> None:
        run = {"started": summary.started, "id": summary.run_id}
        with RunProgress(self.progress, self.console) as progress:
            for integration in self.instance.integrations.values():
                if not getattr(integration, "enabled", True):
                    continue
                flows = [f for name, f in integration.recipe.flows.items() if selected(integration, name)]
                if not flows:
                    continue
                runtime = Runtime(dry_run=dry_run, logger=log)
                connections = Connections(integration, runtime)
                try:
                    for flow in flows:
                        env = FlowEnv(
                            integration=integration, flow=flow, connections=connections, store=self.store,
                            runtime=runtime, run=run, counts=summary.flow(integration.name, flow.name),
                            tracker=CursorTracker(self.store, integration.name, flow.name,
                                                  enabled=not dry_run and backfill is None),
                            dry_run=dry_run,
                        )
                        flow_run = FlowRun(env, workers=self._workers(integration),
                                           on_record=progress.flow(f"{integration.name}/{flow.name}"))
                        jobs = self._retry_jobs(flow_run, retries.get((integration.name, flow.name), []),
                                                summary) if retries is not None else ()
                        flow_run.run(poll=poll and retries is None, backfill=backfill, retries=jobs,
                                     limit=self._limit)
                        self.plan.extend(env.plan)
                        if env.unfinished_retries:
                            self._unfinished.update((integration.name, flow.name, k) for k in env.unfinished_retries)
                            summary.messages.append(mask(
                                f"{len(env.unfinished_retries)} retried record(s) of {integration.name}/{flow.name} "
                                f"were left pending by a fault ({', '.join(env.unfinished_retries)}); they are "
                                "queued, and the next `iex run` (or scheduled run) finishes them; their dead "
                                "letters close when they go through"))
                        stop = env.stop_integration or env.stop_flow
                        if stop:
                            env.counts.stopped = stop
                            summary.messages.append(stop)
                        if env.stop_integration:
                            break
                finally:
                    connections.close()
                    runtime.close()
                    summary.api_calls[integration.name] = dict(runtime.metrics)

    def _workers(self, integration: Any) -> int:
        return self.concurrency or getattr(integration, "concurrency", None) or DEFAULT_CONCURRENCY

    def _retry_jobs(self, flow_run: FlowRun, letters: list[DeadLetter], summary: RunSummary) -> list[Job]:
        jobs: list[Job] = []
        step_names = {s.name for s in flow_run.env.flow.steps}
        for letter in letters:
            if letter.step == READ or letter.record is None:
                summary.messages.append(mask(
                    f"dead letter {letter.id} ({letter.record_key}): the record could not be read from the "
                    "source, so there is nothing to retry. Fix the source (for files: correct the row and put "
                    "the file into the input folder again); the letter closes when the record goes through"
                ))
                continue
            if letter.step in (FILTER, KEY):
                prepared = flow_run.prepare(letter.record, letter.record_key)
                if prepared is None:  # filtered out now: nothing left to do
                    self.store.mark_retried(letter.id)
                    continue
                job = prepared[0]
            else:
                job = Job(data=letter.record, key=letter.record_key,
                          start_step=letter.step if letter.step in step_names else None)
                flow_run.env.counts.add("seen")
            job.force = letter.step != REFS
            job.letter_id = letter.id
            jobs.append(job)
        return jobs


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
