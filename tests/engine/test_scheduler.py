from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from engine.errors import ConfigError
from engine.scheduler import Cron, Scheduler, parse_interval


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_intervals():
    assert parse_interval("1h30m") == timedelta(hours=1, minutes=30)
    assert parse_interval("45s") == timedelta(seconds=45)
    for bad in ("5", "m5", "1h 30m", "0m", ""):
        with pytest.raises(ConfigError):
            parse_interval(bad)


def test_cron_fields_steps_ranges_and_names():
    cron = Cron("*/15 8-17 * jan-mar mon-fri")
    assert cron.matches(at("2024-01-02T08:45"))          # a Tuesday
    assert not cron.matches(at("2024-01-02T08:50"))
    assert not cron.matches(at("2024-01-06T09:00"))      # Saturday
    assert not cron.matches(at("2024-04-02T09:00"))      # April
    assert Cron("0 0 * * 7").matches(at("2024-01-07T00:00"))  # 7 is Sunday too


def test_cron_day_of_month_or_day_of_week_when_both_are_given():
    cron = Cron("0 12 1 * mon")
    assert cron.matches(at("2024-02-01T12:00"))          # the 1st (a Thursday)
    assert cron.matches(at("2024-02-05T12:00"))          # a Monday
    assert not cron.matches(at("2024-02-06T12:00"))


def test_cron_next_after():
    assert Cron("0 9 * * mon-fri").next_after(at("2024-01-06T10:00")) == at("2024-01-08T09:00")
    assert Cron("*/5 * * * *").next_after(at("2024-01-01T10:04:59")) == at("2024-01-01T10:05")
    assert Cron("30 2 29 2 *").next_after(at("2024-03-01T00:00")) == at("2028-02-29T02:30")
    with pytest.raises(ConfigError, match="never matches"):
        Cron("0 0 30 2 *").next_after(at("2024-01-01T00:00"))


@pytest.mark.parametrize("bad", ["* * * *", "60 * * * *", "*/0 * * * *", "5-1 * * * *", "x * * * *"])
def test_cron_errors_name_the_expression(bad):
    with pytest.raises(ConfigError, match="cron"):
        Cron(bad)


@dataclass
class Trigger:
    every: timedelta | None = None
    cron: str | None = None
    webhook: bool = False
    manual: bool = False


@dataclass
class Flow:
    trigger: Trigger | None


@dataclass
class Recipe:
    flows: dict


@dataclass
class Integration:
    name: str
    recipe: Recipe
    enabled: bool = True


@dataclass
class Instance:
    integrations: dict = field(default_factory=dict)


def instance():
    flows = {
        "orders": Flow(Trigger(every=timedelta(minutes=5), webhook=True)),
        "stock": Flow(Trigger(cron="0 * * * *")),
        "history": Flow(Trigger(manual=True)),
        "adhoc": Flow(None),
    }
    return Instance({"shop": Integration("shop", Recipe(flows)), "off": Integration("off", Recipe(flows), enabled=False)})


def test_scheduler_runs_due_flows_and_webhook_deliveries():
    now = [at("2024-01-01T10:30")]
    runs = []
    scheduler = Scheduler(instance(), lambda flows, poll: runs.append((flows, poll)), clock=lambda: now[0])
    assert sorted(e.name for e in scheduler.entries) == ["shop/orders", "shop/stock"]
    scheduler.tick()
    assert runs == [(["shop/orders"], True)]             # interval flows run at start
    now[0] = at("2024-01-01T10:33")
    scheduler.notify("shop", "orders")
    scheduler.tick()
    assert runs[-1] == (["shop/orders"], False)          # webhook: inbox only, no poll
    now[0] = at("2024-01-01T11:00")
    scheduler.tick()
    assert runs[-1] == (["shop/orders", "shop/stock"], True)
    scheduler.tick()
    assert len(runs) == 3


def test_a_failing_run_does_not_stop_the_scheduler():
    now = [at("2024-01-01T10:30")]
    calls = []

    def run(flows, poll):
        calls.append(flows)
        raise ConfigError("bad credentials")

    scheduler = Scheduler(instance(), run, clock=lambda: now[0])
    scheduler.tick()
    now[0] = at("2024-01-01T10:35")
    scheduler.tick()
    assert len(calls) == 2


class Inbox:
    """A state store that has deliveries waiting in the inbox of some flows."""

    def __init__(self, *waiting):
        self.waiting = set(waiting)

    def inbox_pending(self, integration, flow):
        return ["a delivery"] if (integration, flow) in self.waiting else []


def test_drain_inbox_runs_only_the_flows_with_deliveries_left_inbox_only():
    runs = []
    scheduler = Scheduler(instance(), lambda flows, poll: runs.append((flows, poll)), clock=lambda: at("2024-01-01T10:30"))
    left = scheduler.drain_inbox(Inbox(("shop", "history"), ("shop", "stock"), ("off", "orders")))
    assert left == ["shop/stock", "shop/history"]                 # recipe order; the disabled integration is left alone
    assert runs == [(["shop/stock", "shop/history"], False)]      # no poll: the inbox (and held records) only
    assert scheduler.drain_inbox(Inbox()) == [] and len(runs) == 1


def test_a_failing_drain_does_not_stop_the_scheduler():
    def run(flows, poll):
        raise ConfigError("bad credentials")

    scheduler = Scheduler(instance(), run, clock=lambda: at("2024-01-01T10:30"))
    assert scheduler.drain_inbox(Inbox(("shop", "orders"))) == ["shop/orders"]
