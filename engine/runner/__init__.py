"""The runner: reads each flow's source, filters, maps, calls actions through the exactly-once
ledger, and moves cursors only past settled records.

Modules: ``run`` (instance, lock, run log), ``flow`` (held, inbox, stream -> jobs), ``steps``
(one record through the ledger), ``pool`` (ordered worker lanes), ``cursor`` (settled prefix),
``summary`` (counters), ``progress`` (rich bar), ``unfinished`` (a dlq retry a fault interrupted,
queued for the next run).
"""

from engine.runner.run import DEFAULT_CONCURRENCY, Runner
from engine.runner.steps import Job, Outcome, PlanLine
from engine.runner.support import idempotency_key
from engine.runner.summary import FlowCounts, RunSummary

__all__ = ["DEFAULT_CONCURRENCY", "FlowCounts", "Job", "Outcome", "PlanLine", "RunSummary", "Runner",
           "idempotency_key"]
