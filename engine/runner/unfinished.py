"""A ``iex dlq retry`` that a fault interrupted (a 503, a rate limit, a config problem) is
finished by the next ordinary run, not only by another retry.

The record cannot come back by itself: its first run dead-lettered it, so the cursor passed it
long ago. So it is queued in the flow's inbox, which every run (``iex run``, each scheduled run,
``iex serve`` at start) works through before the stream, through the same ledger: steps already
done are skipped, a ``pending`` step asks its finder first. Its dead letter stays open (``iex dlq
list`` shows it as queued) until the record goes through, which closes it.

A retry stopped before it reached its dead step leaves that step ``dead``, and an ordinary run
does not try a dead step with unchanged input again. So the step is first marked as what the
retry was about to do: ``pending`` (ask the finder, then send) when the action has a finder,
else ``failed`` (send at once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.errors import IexError
from engine.state import LedgerStatus

if TYPE_CHECKING:
    from engine.runner.steps import FlowEnv, Job


def queue_unfinished_retry(env: FlowEnv, job: Job, error: IexError) -> None:
    """Queue the retried record for the next run (once), its dead step made sendable."""
    integration, flow = env.integration.name, env.flow.name
    if job.start_step is not None:
        key = env.step_key(job, job.start_step)
        entry = env.store.ledger_get(key)
        if entry is not None and entry.status is LedgerStatus.DEAD:
            if _has_finder(env, job.start_step):
                env.store.ledger_pending(key, payload_hash=entry.payload_hash or "", recipe_digest=entry.recipe_digest)
            else:
                env.store.ledger_failed(key, error)
    queued = any(item.record_key == job.key and item.record == job.data
                 for item in env.store.inbox_pending(integration, flow))
    if not queued:
        # The newest version settled now: a newer one settled before the queued record is
        # finished makes it stale, so it can never roll an updated document back.
        version = job.version or env.store.record_version(integration, flow, job.key)
        env.store.inbox_add(integration, flow, job.key, job.data, version=version)
    env.unfinished_retries.append(job.key)


def _has_finder(env: FlowEnv, step_name: str) -> bool:
    """Whether the step's action can look up its effect; when that cannot be told (the
    connection itself failed), asking first is the safe side."""
    step = next((s for s in env.flow.steps if s.name == step_name), None)
    if step is None:
        return True
    try:
        spec = env.connections.get(step.connection).actions().get(step.action)
    except Exception:  # noqa: BLE001 - the connection is what failed; see the docstring
        return True
    return spec is None or spec.find is not None
