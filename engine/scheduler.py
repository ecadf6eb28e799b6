"""When flows run under ``iex serve`` / ``iex run`` (no ``--once``): ``every`` intervals, 5-field
cron expressions (UTC), and webhook deliveries waiting in the inbox.

One scheduler thread runs one flow batch at a time through the runner, so runs never overlap
inside a process; the instance lock keeps other processes out (the scheduler waits for it).
A flow with ``every`` runs at start and then each interval after its previous start; a flow
with ``cron`` runs in the minutes its expression matches; ``manual`` flows and flows without a
trigger never run on their own. Webhook deliveries a stopped process accepted into the inbox but
never processed are run first, before anything else (``drain_inbox``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.errors import ConfigError, IexError
from engine.secrets import mask

log = logging.getLogger("iex")

_INTERVAL = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_interval(text: str) -> timedelta:
    """``30s``, ``5m``, ``1h30m``, ``1d`` as a timedelta."""
    parts = _INTERVAL.findall(text or "")
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ConfigError(f"{text!r} is not an interval like 30s, 5m, 1h30m or 1d")
    delta = timedelta()
    for number, unit in parts:
        delta += timedelta(**{_UNITS[unit]: int(number)})
    if delta <= timedelta():
        raise ConfigError(f"interval {text!r} must be longer than zero")
    return delta


_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}


class Cron:
    """A 5-field cron expression: minute hour day-of-month month day-of-week, in UTC.

    Fields take ``*``, numbers, ranges ``a-b``, steps ``*/n`` and ``a-b/n``, lists ``a,b`` and
    names (``jan``, ``mon``); day-of-week 0 and 7 are Sunday. As in classic cron, when both
    day-of-month and day-of-week are restricted, a day matching either one runs."""

    _FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}),
               ("month", 1, 12, _MONTHS), ("day of week", 0, 7, _DAYS))

    def __init__(self, expression: str) -> None:
        self.expression = expression
        parts = expression.split()
        if len(parts) != 5:
            raise ConfigError(f"cron {expression!r} needs five fields (minute hour day month weekday)")
        sets = [self._field(p, *spec) for p, spec in zip(parts, self._FIELDS, strict=True)]
        self.minutes, self.hours, self.days, self.months, weekdays = sets
        self.weekdays = {d % 7 for d in weekdays}
        self.days_restricted = parts[2] != "*"
        self.weekdays_restricted = parts[4] != "*"

    def _field(self, text: str, name: str, low: int, high: int, names: dict[str, int]) -> set[int]:
        values: set[int] = set()
        for item in text.lower().split(","):
            base, _, step_text = item.partition("/")
            try:
                step = int(step_text) if step_text else 1
                if base == "*":
                    start, end = low, high
                elif "-" in base:
                    a, b = base.split("-", 1)
                    start, end = self._number(a, names), self._number(b, names)
                else:
                    start = self._number(base, names)
                    end = high if step_text else start
            except ValueError:
                raise ConfigError(f"cron {self.expression!r}: {item!r} is not a valid {name}") from None
            if step < 1 or not (low <= start <= high and low <= end <= high) or start > end:
                raise ConfigError(f"cron {self.expression!r}: {item!r} is outside {low}-{high} for the {name}")
            values.update(range(start, end + 1, step))
        return values

    @staticmethod
    def _number(text: str, names: dict[str, int]) -> int:
        return names[text] if text in names else int(text)

    def _day_matches(self, moment: datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7  # Python: Monday=0; cron: Sunday=0
        day_ok = moment.day in self.days
        weekday_ok = weekday in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return day_ok or weekday_ok
        return day_ok and weekday_ok

    def matches(self, moment: datetime) -> bool:
        return (moment.minute in self.minutes and moment.hour in self.hours
                and moment.month in self.months and self._day_matches(moment))

    def next_after(self, moment: datetime) -> datetime:
        """The first matching minute strictly after ``moment`` (within five years)."""
        t = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = t + timedelta(days=366 * 5)
        while t < limit:
            if t.month not in self.months or not self._day_matches(t):
                t = (t + timedelta(days=1)).replace(hour=0, minute=0)
            elif t.hour not in self.hours:
                t = (t + timedelta(hours=1)).replace(minute=0)
            elif t.minute not in self.minutes:
                t += timedelta(minutes=1)
            else:
                return t
        raise ConfigError(f"cron {self.expression!r} never matches")


@dataclass
class Entry:
    """One scheduled flow."""

    integration: str
    flow: str
    every: timedelta | None
    cron: Cron | None
    webhook: bool
    next_due: datetime | None = None

    @property
    def name(self) -> str:
        return f"{self.integration}/{self.flow}"

    def plan_next(self, now: datetime) -> None:
        if self.every is not None:
            self.next_due = now + self.every
        elif self.cron is not None:
            self.next_due = self.cron.next_after(now)


def entries(instance: Any, now: datetime) -> list[Entry]:
    """Every flow of every enabled integration that has an automatic trigger."""
    found: list[Entry] = []
    for integration in instance.integrations.values():
        if not getattr(integration, "enabled", True):
            continue
        for name, flow in integration.recipe.flows.items():
            trigger = getattr(flow, "trigger", None)
            if trigger is None or getattr(trigger, "manual", False):
                continue
            every = trigger.every
            if isinstance(every, str):
                every = parse_interval(every)
            cron = Cron(trigger.cron) if getattr(trigger, "cron", None) else None
            entry = Entry(integration.name, name, every, cron, bool(getattr(trigger, "webhook", False)))
            if every is not None:
                entry.next_due = now                      # an interval flow runs at start
            elif cron is not None:
                entry.next_due = cron.next_after(now - timedelta(minutes=1)) if cron.matches(now) else cron.next_after(now)
            if every is not None or cron is not None or entry.webhook:
                found.append(entry)
    return found


class Scheduler:
    """Runs due flows and webhook deliveries through ``run(flows, poll)`` until stopped."""

    def __init__(self, instance: Any, run: Callable[[list[str], bool], Any], *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.instance = instance
        self.clock = clock
        self.entries = entries(instance, clock())
        self._run = run
        self._wake = threading.Event()
        self._webhook_due: set[str] = set()
        self._lock = threading.Lock()

    def notify(self, integration: str, flow: str) -> None:
        """A webhook put records in the inbox of this flow: process them promptly."""
        with self._lock:
            self._webhook_due.add(f"{integration}/{flow}")
        self._wake.set()

    def due(self, now: datetime) -> tuple[list[str], list[str]]:
        """(flows to poll, flows with only webhook deliveries to process) at ``now``."""
        polls = [e.name for e in self.entries if e.next_due is not None and e.next_due <= now]
        with self._lock:
            inbox = sorted(self._webhook_due - set(polls))
            self._webhook_due.clear()
        return polls, inbox

    def drain_inbox(self, store: Any) -> list[str]:
        """Process the deliveries left in the inbox by a process that stopped before it got to
        them (inbox and held records only, no poll), and return those flows. ``iex serve`` calls
        this before it accepts new deliveries, so they are processed in arrival order, ahead of
        anything newer, and not only at the next delivery or schedule tick."""
        waiting = [
            f"{integration.name}/{flow}"
            for integration in self.instance.integrations.values() if getattr(integration, "enabled", True)
            for flow in integration.recipe.flows if store.inbox_pending(integration.name, flow)
        ]
        if waiting:
            self._run_safely(waiting, False)
        return waiting

    def tick(self) -> None:
        """Run whatever is due now (one batch)."""
        now = self.clock()
        polls, inbox = self.due(now)
        for entry in self.entries:
            if entry.name in polls:
                entry.plan_next(now)
        for flows, poll in ((polls, True), (inbox, False)):
            if flows:
                self._run_safely(flows, poll)

    def _run_safely(self, flows: list[str], poll: bool) -> None:
        try:
            self._run(flows, poll)
        except IexError as exc:
            log.error(mask(f"scheduled run of {', '.join(flows)} failed: {exc}"))
        except Exception as exc:  # noqa: BLE001 - the scheduler must keep going
            log.error(mask(f"scheduled run of {', '.join(flows)} failed: {type(exc).__name__}: {exc}"))

    def seconds_to_next(self) -> float:
        upcoming = [e.next_due for e in self.entries if e.next_due is not None]
        if not upcoming:
            return 60.0
        return max(0.0, min(60.0, (min(upcoming) - self.clock()).total_seconds()))

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.tick()
            self._wake.wait(timeout=self.seconds_to_next())
            self._wake.clear()

    def stop(self) -> None:
        self._wake.set()

