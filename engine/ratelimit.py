"""Rate budgets shared by every client that talks to the same account.

A ``RateBudget`` combines three limits, all thread-safe:

* a token bucket (``rate`` requests per second, bursts of up to ``burst``): callers wait;
* a count of calls in the current UTC day (``daily_limit``, e.g. e-conomic's fair use of 50,000
  calls per agreement per day): when used up, ``RateLimitedError`` at once, so the run stops
  cleanly instead of blocking for hours;
* a concurrency cap (``max_concurrency`` requests in flight): callers wait.

``budget(name, **config)`` returns the one budget of that name in this process, so all clients
for one e-conomic agreement (one name, e.g. ``"economic:<agreement>"``) share it. The daily count
lives in memory: a restarted process starts the day at zero.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from engine.errors import IexSystemError, RateLimitedError

DAY = 86400
log = logging.getLogger("iex.ratelimit")


class RateBudget:
    """Token bucket + calls per UTC day + concurrency cap. ``clock`` returns Unix seconds and
    ``sleep`` waits; tests inject both so no test has to sleep."""

    def __init__(
        self,
        name: str,
        *,
        rate: float | None = None,
        burst: int = 1,
        daily_limit: int | None = None,
        max_concurrency: int | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Condition()
        self._in_flight = 0
        self._refilled_at = clock()
        self._day = self._day_of(self._refilled_at)
        self._used_today = 0
        self.configure(rate=rate, burst=burst, daily_limit=daily_limit, max_concurrency=max_concurrency)
        self._tokens = float(self.burst)

    def configure(self, *, rate: float | None, burst: int, daily_limit: int | None,
                  max_concurrency: int | None) -> None:
        """Set the limits (again). Today's count, the tokens and calls in flight are kept."""
        if rate is not None and rate <= 0:
            raise IexSystemError(f"rate budget {self.name}: rate must be positive, not {rate}")
        if burst < 1 or (daily_limit is not None and daily_limit < 1) or (max_concurrency is not None and max_concurrency < 1):
            raise IexSystemError(f"rate budget {self.name}: burst, daily_limit and max_concurrency must be at least 1")
        with self._lock:
            self.rate, self.burst = rate, burst
            self.daily_limit, self.max_concurrency = daily_limit, max_concurrency
            self._lock.notify_all()

    @property
    def config(self) -> dict[str, object]:
        return {"rate": self.rate, "burst": self.burst, "daily_limit": self.daily_limit,
                "max_concurrency": self.max_concurrency}

    @property
    def used_today(self) -> int:
        with self._lock:
            self._roll_day(self._clock())
            return self._used_today

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for a concurrency slot and a token; count the call against today's limit."""
        with self._lock:
            self._lock.wait_for(lambda: self.max_concurrency is None or self._in_flight < self.max_concurrency)
            self._in_flight += 1
        try:
            wait = self._reserve()
            if wait > 0:
                self._sleep(wait)
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify()

    def _reserve(self) -> float:
        """Count the call and take a token; return how long to wait for it. Tokens may go
        negative: each waiter reserves its own place in the queue, so waits are fair."""
        with self._lock:
            now = self._clock()
            self._roll_day(now)
            if self.daily_limit is not None and self._used_today >= self.daily_limit:
                retry_after = DAY - (now % DAY)
                raise RateLimitedError(
                    f"{self.name}: the daily limit of {self.daily_limit} calls is used up for "
                    f"{datetime.fromtimestamp(now, timezone.utc):%Y-%m-%d} (UTC); iex resumes after midnight UTC",
                    retry_after=retry_after,
                )
            self._used_today += 1
            if self.rate is None:
                return 0.0
            self._tokens = min(float(self.burst), self._tokens + (now - self._refilled_at) * self.rate)
            self._refilled_at = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def _roll_day(self, now: float) -> None:
        day = self._day_of(now)
        if day != self._day:
            self._day, self._used_today = day, 0

    @staticmethod
    def _day_of(now: float) -> int:
        return int(now // DAY)

    def __repr__(self) -> str:
        return f"RateBudget({self.name!r}, {self.config})"


_budgets: dict[str, RateBudget] = {}
_budgets_lock = threading.Lock()


def budget(name: str, **config: Any) -> RateBudget:
    """The process-wide budget called ``name``, created on first use with ``config``. Asked
    again with other limits (an instance file reloaded by ``iex serve``), the shared budget takes
    the new limits and keeps today's count."""
    with _budgets_lock:
        existing = _budgets.get(name)
        if existing is None:
            existing = _budgets[name] = RateBudget(name, **config)
            return existing
    limits = {k: v for k, v in config.items() if k in existing.config}
    if any(existing.config[k] != v for k, v in limits.items()):
        log.info("rate budget %s: limits changed from %s to %s", name, existing.config, limits)
        existing.configure(**{**existing.config, **limits})  # type: ignore[arg-type]
    return existing
