"""Rate budgets with an injected clock: no test sleeps."""

from __future__ import annotations

import threading
from contextlib import ExitStack
from datetime import datetime, timezone

import pytest

from engine.errors import IexSystemError, RateLimitedError
from engine.ratelimit import RateBudget, budget

NOON = datetime(2025, 3, 14, 12, 0, tzinfo=timezone.utc).timestamp()


class FakeTime:
    """A clock that only moves when someone sleeps (or the test moves it)."""

    def __init__(self, now: float = NOON) -> None:
        self.now = now
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)


def make(t: FakeTime, **kw) -> RateBudget:
    return RateBudget("test", clock=t.clock, sleep=t.sleep, **kw)


def test_burst_goes_through_then_callers_wait_for_tokens() -> None:
    t = FakeTime()
    b = make(t, rate=2.0, burst=3)
    for _ in range(5):
        with b.slot():
            pass
    # three from the burst without waiting, then queued at 2/s: 0.5 s, then 1.0 s
    assert t.slept == [0.5, 1.0]


def test_tokens_refill_with_time() -> None:
    t = FakeTime()
    b = make(t, rate=1.0, burst=2)
    for _ in range(2):
        with b.slot():
            pass
    t.now += 1.5
    with b.slot():
        pass
    assert t.slept == []
    with b.slot():
        pass
    assert t.slept == [0.5]


def test_daily_limit_stops_cleanly_and_resets_at_utc_midnight() -> None:
    t = FakeTime()
    b = make(t, daily_limit=3)
    for _ in range(3):
        with b.slot():
            pass
    with pytest.raises(RateLimitedError, match="daily limit of 3 calls is used up for 2025-03-14") as err:
        with b.slot():
            pass
    assert err.value.retry_after == 12 * 3600
    assert t.slept == []            # it never blocks for the rest of the day
    t.now = datetime(2025, 3, 15, 0, 0, 1, tzinfo=timezone.utc).timestamp()
    with b.slot():
        pass
    assert b.used_today == 1


def test_concurrency_cap_makes_the_third_caller_wait() -> None:
    b = RateBudget("conc", max_concurrency=2)
    entered = threading.Event()

    def third() -> None:
        with b.slot():
            entered.set()

    with ExitStack() as held:
        held.enter_context(b.slot())
        held.enter_context(b.slot())
        waiter = threading.Thread(target=third, daemon=True)
        waiter.start()
        assert not entered.wait(0.2)  # both slots are taken
    waiter.join(10)
    assert entered.is_set()           # and it got in once they were free


def test_shared_by_name() -> None:
    a = budget("economic:test-agreement-1", daily_limit=50000, rate=5.0, burst=10)
    b = budget("economic:test-agreement-1", daily_limit=50000, rate=5.0, burst=10)
    assert a is b
    assert budget("economic:test-agreement-1") is a
    assert budget("economic:test-agreement-2", daily_limit=50000) is not a


def test_asking_with_new_limits_reconfigures_and_keeps_the_count() -> None:
    t = FakeTime()
    shared = budget("economic:test-agreement-3", daily_limit=3, clock=t.clock, sleep=t.sleep)
    for _ in range(2):
        with shared.slot():
            pass
    again = budget("economic:test-agreement-3", daily_limit=2)
    assert again is shared and again.daily_limit == 2
    with pytest.raises(RateLimitedError):
        with again.slot():
            pass


def test_bad_config_is_refused() -> None:
    with pytest.raises(IexSystemError, match="rate must be positive"):
        RateBudget("x", rate=0)
