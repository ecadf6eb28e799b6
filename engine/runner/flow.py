"""One flow in one run: held records first, then the webhook inbox, then the source stream,
each record through the worker pool in source order per lane."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from engine.errors import DataError, ErrorClass, IexError, Location, classify
from engine.secrets import mask
from engine.state import LedgerStatus
from engine.runner.pool import LanePool
from engine.runner.steps import FILTER, KEY, READ, FlowEnv, Job
from engine.runner.support import record_key_text, resolve

log = logging.getLogger("iex")


class FlowRun:
    def __init__(self, env: FlowEnv, *, workers: int, on_record: Callable[[], None] | None = None) -> None:
        self.env = env
        self.workers = 1 if env.dry_run else workers
        self.on_record = on_record or (lambda: None)

    def run(self, *, poll: bool = True, backfill: dict[str, Any] | None = None,
            retries: Iterable[Job] = (), limit: int | None = None) -> None:
        """Held records, inbox, then (with ``poll``) the stream; ``retries`` are dlq jobs only;
        ``limit`` stops reading the stream after that many records (plan)."""
        pool = LanePool(self.workers, self._handle)
        try:
            retries = list(retries)
            if retries:
                for job in retries:
                    self._submit(pool, job, job.key)
                return
            for job in self._held():
                self._submit(pool, job, job.key)
            for prepared in self._inbox():
                self._submit(pool, *prepared)
            if poll:
                for prepared in self._stream(backfill, limit):
                    self._submit(pool, *prepared)
        except BaseException:  # Ctrl-C or a kill: queued records stay pending, running ones finish
            self.env.stop_flow = self.env.stop_flow or f"flow {self.env.flow.name} interrupted"
            raise
        finally:
            pool.join()

    def _submit(self, pool: LanePool, job: Job, lane: str) -> None:
        if self.env.stopped:
            self.env.counts.add("pending")
            return
        pool.submit(lane, job)

    def _handle(self, job: Job) -> None:
        self.env.process(job)
        self.on_record()

    # -- sources of jobs ----------------------------------------------------------------------
    def _held(self) -> Iterator[Job]:
        env = self.env
        seen: set[str] = set()
        for entry in env.store.ledger_entries(env.integration.name, env.flow.name, status=LedgerStatus.HELD):
            if entry.record_key in seen or entry.record is None:
                continue
            seen.add(entry.record_key)
            env.counts.add("seen")
            yield Job(data=entry.record, key=entry.record_key)

    def _inbox(self) -> Iterator[tuple[Job, str]]:
        env = self.env
        for item in env.store.inbox_pending(env.integration.name, env.flow.name):
            prepared = self.prepare(item.record, item.record_key, inbox_id=item.id, version=item.version)
            if prepared is not None:
                yield prepared

    def _stream(self, backfill: dict[str, Any] | None, limit: int | None) -> Iterator[tuple[Job, str]]:
        env = self.env
        source = env.flow.source
        try:
            connector = env.connections.get(source.connection)
            options = resolve(dict(source.options or {}), {"settings": env.integration.settings, "run": env.run})
            if backfill:
                options.update({k: v for k, v in backfill.items() if v is not None})
                state = None
            else:
                state = env.store.get_cursor(env.integration.name, env.flow.name)
            records = iter(connector.read(source.stream, state, options))
            read = 0
            while not env.stopped and (limit is None or read < limit):
                read += 1
                try:
                    record = next(records)
                except StopIteration:
                    return
                seq = env.tracker.register(record.cursor)
                if record.data is None:  # a checkpoint: the stream moved on without a record
                    self._settle_now(Job(data={}, key=record.key, seq=seq))
                    continue
                prepared = self.prepare(record.data, record.key, seq=seq, error=getattr(record, "error", None),
                                        version=getattr(record, "version", None))
                if prepared is not None:
                    yield prepared
        except Exception as exc:  # noqa: BLE001 - a failing read stops this flow for this run
            self._read_failed(classify(exc))

    def _read_failed(self, error: IexError) -> None:
        env = self.env
        what = f"reading {env.flow.source.connection}.{env.flow.source.stream} failed: {error}"
        if error.error_class is ErrorClass.RATE_LIMITED:
            env.stop_integration = mask(f"integration {env.integration.name} stopped (rate limited): {what}")
        elif error.error_class is ErrorClass.TRANSIENT:
            env.counts.stopped = mask(f"{what}; the flow goes on from here next run")
            log.warning(env.counts.stopped)
            return
        else:
            env.stop_flow = mask(f"flow {env.integration.name}/{env.flow.name} stopped: {what}. {error.who}")
        log.error(env.stop_flow or env.stop_integration)

    # -- one record into a job ----------------------------------------------------------
    def prepare(self, data: dict[str, Any], fallback_key: str, *, seq: int | None = None,
                inbox_id: int | None = None, error: IexError | None = None,
                version: str | None = None) -> tuple[Job, str] | None:
        """Filter, key and lane of a record (cheap, in the reading thread). None: filtered out."""
        env, flow = self.env, self.env.flow
        env.counts.add("seen")
        job = Job(data=data, key=fallback_key, seq=seq, inbox_id=inbox_id, version=version)
        if error is not None:
            job.error, job.error_step = error, READ
            return job, job.key
        context = env.context(data, None)
        try:
            if flow.filter is not None and not flow.filter.evaluate(context):
                env.counts.add("filtered")
                if version:  # a newer version filtered out still makes older ones stale
                    try:
                        job.key = self._key(data, fallback_key)
                    except Exception:  # noqa: BLE001 - no key, no version kept; nothing is sent anyway
                        job.version = None
                self._settle_now(job)
                self.on_record()
                return None
        except Exception as exc:  # noqa: BLE001
            job.error, job.error_step = self._at(classify(exc), fallback_key), FILTER
            return job, job.key
        try:
            key = self._key(data, fallback_key)
        except Exception as exc:  # noqa: BLE001
            job.error, job.error_step = self._at(classify(exc), fallback_key), KEY
            return job, job.key
        job.key = key
        lane = key
        if getattr(flow, "concurrency_key", None) is not None:
            try:
                lane = str(flow.concurrency_key.evaluate({**context, "key": key}))
            except Exception:  # noqa: BLE001 - ordering falls back to the record key
                lane = key
        return job, lane

    def _key(self, data: dict[str, Any], fallback_key: str) -> str:
        flow = self.env.flow
        key = record_key_text(flow.key.search(data)) if getattr(flow, "key", None) is not None else fallback_key
        if key is None:
            raise DataError("the flow's key gives no value for this record (is the key field empty?)",
                            field_path="key")
        return key

    @staticmethod
    def _at(error: IexError, key: str) -> IexError:
        if error.location is None:
            error.location = Location(record_key=key)
        return error

    def _settle_now(self, job: Job) -> None:
        """A record that needs no ledger write (filtered out) still lets the cursor pass."""
        if self.env.dry_run:
            return
        with self.env.store.atomic():
            if job.version:
                self.env.store.set_record_version(self.env.integration.name, self.env.flow.name, job.key, job.version)
            if job.seq is not None:
                self.env.tracker.settled(job.seq)
            if job.inbox_id is not None:
                self.env.store.inbox_processed(job.inbox_id)


__all__ = ["FlowRun"]
