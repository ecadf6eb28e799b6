"""One record through the steps of its flow, through the ledger: the exactly-once core.

For each step: evaluate ``when`` and the input mapping, hash the input, then look in the ledger:

* ``done`` with the same hash: skip, reuse the stored result as ``steps.<name>``;
* ``done`` with another hash: ``on_change: update`` (a literal, or a template over the
  integration's settings evaluated once per flow run) on an updatable action calls it again with
  ``ctx.previous`` (no ``pending`` row: the old result stays until the update is confirmed, and a
  crash simply repeats the update); otherwise count it as changed after transfer and skip;
* ``pending`` (a crash or a timeout after sending): ask the action's finder; found means done
  without sending, None means send, LookupError dead-letters the step ("cannot tell");
* ``dead`` with the same hash: not tried again until ``iex dlq retry`` (a changed input is); a
  retry that a fault leaves pending is queued for the next ordinary run (``unfinished``);
* otherwise commit ``pending``, call the action, and write ``done``.

The final ledger write of a record (its last step done, a dead letter, a hold) is made in one
``store.atomic()`` together with the flow's cursor, the record's refs and its inbox mark.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from engine.connector import ActionContext, Connector, Runtime
from engine.errors import ConfigError, ErrorClass, IexError, IexSystemError, Location, classify
from engine.secrets import mask
from engine.state import LedgerStatus, StateStore, StepKey
from engine.state.codec import payload_hash
from engine.runner.cursor import CursorTracker
from engine.runner.summary import FlowCounts
from engine.runner.support import Connections, idempotency_key, reference_of
from engine.runner.unfinished import queue_unfinished_retry

log = logging.getLogger("iex")

#: pseudo-steps under which problems before the first step are dead-lettered
READ, FILTER, KEY, REFS = "(read)", "(filter)", "(key)", "(refs)"
_SEND = object()  # the finder found nothing: send the action


class Outcome(Enum):
    SETTLED = "settled"                    # done, skipped, dead-lettered or held: cursor may pass
    PENDING = "pending"                    # try again next run: cursor must not pass
    STOP_FLOW = "stop_flow"                # config error: the flow stops
    STOP_INTEGRATION = "stop_integration"  # rate limited: the integration's run stops


@dataclass
class Job:
    """One record on its way through a flow."""

    data: dict[str, Any]
    key: str
    seq: int | None = None            # position in the polled stream (cursor); None: inbox, held, retry
    inbox_id: int | None = None
    start_step: str | None = None     # dlq retry: earlier steps are taken from the ledger as they are
    force: bool = False               # dlq retry: try the failed step even if its input is unchanged
    letter_id: int | None = None      # dlq retry: the dead letter being retried
    error: IexError | None = None     # found before the steps (unreadable row, filter, key)
    error_step: str = READ
    version: str | None = None        # the source's version (Record.version): older than stored is stale


@dataclass
class PlanLine:
    """What one step would send for one record (``iex plan``)."""

    integration: str
    flow: str
    record_key: str
    step: str
    action: str
    note: str                          # "would send", "already done", ...
    input: Any = None
    requests: list[dict[str, Any]] = field(default_factory=list)


class FlowEnv:
    """Everything the records of one flow share during one run."""

    def __init__(
        self, *, integration: Any, flow: Any, connections: Connections, store: StateStore,
        runtime: Runtime, run: dict[str, Any], counts: FlowCounts, tracker: CursorTracker,
        dry_run: bool = False,
    ) -> None:
        self.integration = integration
        self.flow = flow
        self.connections = connections
        self.store = store
        self.runtime = runtime
        self.run = run
        self.counts = counts
        self.tracker = tracker
        self.dry_run = dry_run
        self.plan: list[PlanLine] = []
        self.stop_flow: str | None = None
        self.stop_integration: str | None = None
        self.unfinished_retries: list[str] = []   # keys of dlq retries a fault left for the next run
        self._key_locks: dict[str, list[Any]] = {}
        self._on_change: dict[str, str] = {}
        self._key_locks_guard = threading.Lock()

    @property
    def stopped(self) -> bool:
        return bool(self.stop_flow or self.stop_integration)

    def context(self, data: dict[str, Any], key: str | None) -> dict[str, Any]:
        return {"record": data, "settings": self.integration.settings, "steps": {}, "key": key, "run": self.run,
                "ledger": self.ledger}

    def ledger(self, flow: str, key: Any, step: str) -> Any:
        """``ledger(flow, key, step)`` in templates: the result of a done step of any flow of this
        integration, else None (a refund reads its order's booked invoice; None holds it)."""
        entry = self.store.ledger_get(StepKey(self.integration.name, str(flow), str(key), str(step)))
        return entry.result if entry is not None and entry.status is LedgerStatus.DONE else None

    def on_change(self, step: Any) -> str:
        """``update`` or ``ignore`` for this integration; a template over settings is evaluated
        once per flow run (settings do not change during a run)."""
        policy = self._on_change.get(step.name)
        if policy is None:
            from engine.recipe import change_policy

            policy = change_policy(getattr(step, "on_change", "ignore"), self.integration.settings,
                                   where=f"flow {self.flow.name} step {step.name} on_change")
            self._on_change[step.name] = policy
        return policy

    # -- per-record exclusion: the same record never runs on two workers at once ----------
    def _acquire(self, key: str) -> None:
        with self._key_locks_guard:
            entry = self._key_locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        entry[0].acquire()

    def _release(self, key: str) -> None:
        with self._key_locks_guard:
            entry = self._key_locks[key]
            entry[0].release()
            entry[1] -= 1
            if entry[1] == 0:
                del self._key_locks[key]

    # -- entry point --------------------------------------------------------------------------
    def process(self, job: Job) -> Outcome:
        """Run ``job`` through the flow; never raises (a state store failure stops the flow)."""
        if self.stopped:
            self.counts.add("pending")
            return Outcome.PENDING
        self._acquire(job.key)
        try:
            return self._process(job)
        except Exception as exc:  # noqa: BLE001 - the state store or a bug: stop, keep what is committed
            message = mask(f"flow {self.flow.name} stopped: internal error at record {job.key}: "
                           f"{type(exc).__name__}: {exc}")
            log.error(message)
            self.stop_flow = message
            self.counts.add("pending")
            return Outcome.PENDING
        finally:
            self._release(job.key)

    def _process(self, job: Job) -> Outcome:
        if job.error is not None:
            # the same problem with the same record (even from another copy of a file) is one letter
            problem = {"error": job.error.message, "field": job.error.field_path}
            hashed = payload_hash(problem if job.error_step == READ else {"record": job.data})
            return self._fail(job, job.error_step, job.error, hashed, None)
        if self._is_stale(job):
            self.counts.add("stale")
            log.info("skipped %s/%s record %s: version %s is older than one already settled",
                     self.integration.name, self.flow.name, job.key, job.version)
            return self._finish(job, None, {}, refs=False)
        context = self.context(job.data, job.key)
        steps = list(self.flow.steps)
        start = 0
        if job.start_step is not None:
            names = [s.name for s in steps]
            start = names.index(job.start_step) if job.start_step in names else 0
            for step in steps[:start]:
                entry = self.store.ledger_get(self.step_key(job, step.name))
                context["steps"][step.name] = entry.result if entry and entry.status is LedgerStatus.DONE else None
        for index in range(start, len(steps)):
            step = steps[index]
            last = index == len(steps) - 1
            outcome = self._step(job, step, context, last=last, force=job.force and index == start)
            if outcome is not None:
                return outcome
        return self._finish(job, None, context)

    def _is_stale(self, job: Job) -> bool:
        """Checked under the record's lock, so a newer version settled by an earlier job of the
        same key (an out-of-order webhook retry) is seen."""
        if not job.version:
            return False
        stored = self.store.record_version(self.integration.name, self.flow.name, job.key)
        return stored is not None and job.version < stored

    # -- one step -------------------------------------------------------------------------
    def step_key(self, job: Job, step: str) -> StepKey:
        return StepKey(self.integration.name, self.flow.name, job.key, step)

    def _step(self, job: Job, step: Any, context: dict[str, Any], *, last: bool, force: bool) -> Outcome | None:
        """Run one step; None means go on with the next step, an Outcome ends the record."""
        skey = self.step_key(job, step.name)
        record_hash = payload_hash({"record": job.data})
        try:
            if step.when is not None and not step.when.evaluate(context):
                self.counts.add("skipped")
                context["steps"][step.name] = None
                return None
            payload = step.input.evaluate(context) if step.input is not None else {}
            hashed = payload_hash(payload)
        except Exception as exc:  # noqa: BLE001 - classified below
            return self._fail(job, step.name, self._locate(classify(exc), job, step.name), record_hash, None)

        entry = self.store.ledger_get(skey)
        try:
            connector = self.connections.get(step.connection)
            spec = connector.actions().get(step.action)
            if spec is None:
                raise ConfigError(
                    f"flow {self.flow.name} step {step.name}: connector {connector.name} has no action "
                    f"{step.action!r} (it has: {', '.join(sorted(connector.actions())) or 'none'})"
                )
        except Exception as exc:  # noqa: BLE001
            return self._fail(job, step.name, classify(exc), hashed, None)
        ctx = ActionContext(
            idempotency_key=idempotency_key(self.integration.name, self.flow.name, job.key, step.name),
            record_key=job.key, dry_run=self.dry_run,
        )
        action = f"{step.connection}.{step.action}"

        if entry is not None and entry.status is LedgerStatus.DONE:
            if entry.payload_hash == hashed:
                self.counts.add("already_done")
                self._plan(job, step, action, "already done", payload)
                context["steps"][step.name] = entry.result
                return None
            try:
                update = self.on_change(step) == "update"
            except IexError as exc:
                return self._fail(job, step.name, exc, hashed, None)
            if not (update and spec.updatable):
                self.counts.add("changed")
                self._plan(job, step, action, "changed after transfer, ignored", payload)
                context["steps"][step.name] = entry.result
                return None
            ctx.previous = entry.result
            return self._send(job, step, skey, connector, ctx, payload, hashed, context, last=last, update=True)

        if entry is not None and entry.status is LedgerStatus.DEAD and entry.payload_hash == hashed and not force:
            self.counts.add("already_dead")
            self._plan(job, step, action, "dead-lettered before with this input", payload)
            return self._finish(job, None, context, refs=False)

        if entry is not None and (entry.status is LedgerStatus.PENDING or (force and spec.find is not None)):
            if self.dry_run:
                self._plan(job, step, action, "left pending by an earlier run: would ask the finder first", payload)
            else:
                outcome = self._settle_by_finder(job, step, skey, connector, ctx, payload, hashed, context,
                                                 last=last, must_know=entry.status is LedgerStatus.PENDING)
                if outcome is not _SEND:
                    return outcome  # type: ignore[return-value]
        return self._send(job, step, skey, connector, ctx, payload, hashed, context, last=last, update=False)

    def _settle_by_finder(
        self, job: Job, step: Any, skey: StepKey, connector: Connector, ctx: ActionContext,
        payload: Any, hashed: str, context: dict[str, Any], *, last: bool, must_know: bool,
    ) -> Outcome | None | object:
        """After a crash: the finder decides. Returns ``_SEND`` to send, else like ``_step``."""
        try:
            found = connector.find_effect(step.action, payload, ctx)
        except LookupError:
            if not must_know:
                return _SEND
            error = IexSystemError(
                f"cannot tell whether {step.connection}.{step.action} was done for record {job.key}: "
                "an earlier run stopped after sending it, and the action cannot look up its effect. "
                "Check the target system; if the effect is missing, run `iex dlq retry` for this letter",
                location=Location(record_key=job.key),
            )
            return self._fail(job, step.name, error, hashed, None)
        except Exception as exc:  # noqa: BLE001
            return self._fail(job, step.name, classify(exc), hashed, skey, attempted=False)
        if found is None:
            return _SEND
        self.counts.add("recovered", step.name)
        context["steps"][step.name] = found
        write = self._done_writer(skey, found, hashed)
        if last:
            return self._finish(job, write, context)
        write()
        return None

    def _send(
        self, job: Job, step: Any, skey: StepKey, connector: Connector, ctx: ActionContext,
        payload: Any, hashed: str, context: dict[str, Any], *, last: bool, update: bool,
    ) -> Outcome | None:
        action = f"{step.connection}.{step.action}"
        if self.dry_run:
            plan = self.runtime.cache.setdefault("plan", [])
            before = len(plan)
        elif not update:
            self.store.ledger_pending(skey, payload_hash=hashed, recipe_digest=self._digest)
        try:
            result = connector.run_action(step.action, payload, ctx)
        except Exception as exc:  # noqa: BLE001 - classified below
            return self._fail(job, step.name, self._locate(classify(exc), job, step.name), hashed, skey,
                              attempted=not update)
        if self.dry_run:
            self.env_plan(job, step, action, "would update" if update else "would send", payload,
                          plan[before:])
        self.counts.add("updated" if update else "done", None if update else step.name)
        context["steps"][step.name] = result
        write = self._done_writer(skey, result, hashed)
        if last:
            return self._finish(job, write, context)
        if not self.dry_run:
            write()
        return None

    # -- settling -------------------------------------------------------------------------
    @property
    def _digest(self) -> str | None:
        return getattr(self.integration.recipe, "digest", None)

    def _done_writer(self, skey: StepKey, result: Any, hashed: str) -> Callable[[], None]:
        def write() -> None:
            self.store.ledger_done(skey, result=result, reference=reference_of(result),
                                   payload_hash=hashed, recipe_digest=self._digest)
        return write

    def _finish(self, job: Job, write: Callable[[], None] | None, context: dict[str, Any], *,
                refs: bool = True) -> Outcome:
        """Commit the record's final ledger write with its refs, cursor and inbox mark."""
        if self.dry_run:
            return Outcome.SETTLED
        values, refs_error = (self._refs(context) if refs else (None, None))
        with self.store.atomic():
            if write is not None:
                write()
            if refs:  # the record went through: its earlier dead letters are settled too
                self.store.resolve_dead_letters(self.integration.name, self.flow.name, job.key)
                if values:
                    self.store.set_refs(self.integration.name, self.flow.name, job.key, values)
                if refs_error is not None:
                    self._dead_letter(job, REFS, refs_error, None)
            self._settle(job)
        return Outcome.SETTLED

    def _settle(self, job: Job) -> None:
        """Inside the final transaction: move the cursor, close the inbox item, the dead letter,
        keep the record's newest source version."""
        if job.version:
            self.store.set_record_version(self.integration.name, self.flow.name, job.key, job.version)
        if job.seq is not None:
            self.tracker.settled(job.seq)
        if job.inbox_id is not None:
            self.store.inbox_processed(job.inbox_id)
        if job.letter_id is not None:
            self.store.mark_retried(job.letter_id)

    def _refs(self, context: dict[str, Any]) -> tuple[dict[str, Any] | None, IexError | None]:
        refs = getattr(self.flow, "refs", None) or {}
        if not refs:
            return None, None
        try:
            return {name: expr.evaluate(context) for name, expr in refs.items()}, None
        except Exception as exc:  # noqa: BLE001
            error = classify(exc)
            return None, IexSystemError(f"the flow's refs cannot be computed: {error.message}",
                                        field_path=error.field_path)

    def _dead_letter(self, job: Job, step: str, error: IexError, hashed: str | None) -> None:
        self.store.dead_letter(
            self.step_key(job, step), error, record=job.data, payload_hash=hashed,
            recipe_version=getattr(self.integration.recipe, "version", None), recipe_digest=self._digest,
        )

    def _fail(self, job: Job, step: str, error: IexError, hashed: str | None, skey: StepKey | None,
              *, attempted: bool = False) -> Outcome:
        """Act on an error by its class (see engine/errors.py)."""
        cls = error.error_class
        where = mask(f"{self.integration.name}/{self.flow.name} record {job.key} step {step}: {error}")
        if cls in (ErrorClass.DATA, ErrorClass.SYSTEM):
            if self.dry_run:
                self._plan_error(job, step, error)
                return Outcome.SETTLED
            existing = self.store.ledger_get(self.step_key(job, step))
            if (existing is not None and existing.status is LedgerStatus.DEAD and existing.payload_hash == hashed
                    and not job.force):
                self.counts.add("already_dead")
                return self._finish(job, None, {}, refs=False)
            log.warning("dead-lettered %s", where)
            self.counts.add("dead", str(cls))
            return self._finish(job, lambda: self._dead_letter(job, step, error, hashed), {}, refs=False)
        if cls is ErrorClass.HELD:
            self.counts.add("held")
            log.info("held %s", where)
            if self.dry_run:
                self._plan_error(job, step, error)
                return Outcome.SETTLED
            key = self.step_key(job, step)
            return self._finish(job, lambda: self.store.ledger_held(key, error, record=job.data, payload_hash=hashed),
                                {}, refs=False)
        # transient, rate limited, config: the record stays for a later run
        self.counts.add("pending")
        if skey is not None and attempted and not self.dry_run:
            applied = error.details.get("maybe_applied", cls is ErrorClass.TRANSIENT)
            if not applied:
                self.store.ledger_failed(skey, error)  # provably not sent: the next run sends at once
        if job.letter_id is not None and not self.dry_run:
            queue_unfinished_retry(self, job, error)   # the next ordinary run finishes the retry
        if cls is ErrorClass.RATE_LIMITED:
            self.stop_integration = mask(f"integration {self.integration.name} stopped (rate limited): {error}")
            log.warning(self.stop_integration)
            return Outcome.STOP_INTEGRATION
        if cls is ErrorClass.CONFIG:
            self.stop_flow = mask(f"flow {self.integration.name}/{self.flow.name} stopped: {error}. {error.who}")
            log.error(self.stop_flow)
            return Outcome.STOP_FLOW
        log.warning("left pending for the next run: %s", where)
        return Outcome.PENDING

    @staticmethod
    def _locate(error: IexError, job: Job, step: str) -> IexError:
        """Add the record key to an error that does not say where it happened."""
        if error.location is None:
            error.location = Location(record_key=job.key)
        return error

    # -- plan ------------------------------------------------------------------------------
    def _plan(self, job: Job, step: Any, action: str, note: str, payload: Any) -> None:
        if self.dry_run:
            self.env_plan(job, step, action, note, payload, [])

    def env_plan(self, job: Job, step: Any, action: str, note: str, payload: Any,
                 requests: list[dict[str, Any]]) -> None:
        self.plan.append(PlanLine(self.integration.name, self.flow.name, job.key, step.name, action, note,
                                  payload, list(requests)))

    def _plan_error(self, job: Job, step: str, error: IexError) -> None:
        self.plan.append(PlanLine(self.integration.name, self.flow.name, job.key, step, "",
                                  mask(f"would fail ({error.error_class}): {error}")))


__all__ = ["READ", "FILTER", "KEY", "REFS", "FlowEnv", "Job", "Outcome", "PlanLine"]
