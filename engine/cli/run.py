"""``iex run``, ``iex plan`` and ``iex backfill``, plus what the other run-time commands share:
opening the instance and its state, logging through ``mask``, and the summary table."""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from engine.errors import ErrorClass, IexError
from engine.secrets import mask
from engine.state import InstanceBusyError, StateStore, open_store
from engine.state.codec import pretty

EXIT_STOPPED = 1      # a flow stopped early (config error, rate limit, failed read)
EXIT_CONFIG = 2       # the instance cannot run as configured
EXIT_BUSY = 75        # another iex process holds the instance (EX_TEMPFAIL)

instance_option = click.option(
    "--instance", "-i", "instance_path", default="iex.yaml", show_default=True, envvar="IEX_INSTANCE",
    type=click.Path(dir_okay=False), help="The instance file.",
)
verbose_option = click.option("--verbose", "-v", is_flag=True, help="Log each dead letter, hold and stop.")


class MaskingFilter(logging.Filter):
    """Every log line passes through ``engine.secrets.mask`` before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        return True


def setup_logging(verbose: bool) -> None:
    logger = logging.getLogger("iex")
    if any(isinstance(f, MaskingFilter) for h in logger.handlers for f in h.filters):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


@contextmanager
def opened(instance_path: str, verbose: bool = False) -> Iterator[tuple[Any, StateStore]]:
    """Load the instance and open its state; IexErrors become a message and an exit code."""
    setup_logging(verbose)
    store = None
    try:
        from engine.instance import load_instance

        instance = load_instance(instance_path)
        store = open_store(instance.state_path)
        yield instance, store
    except InstanceBusyError as exc:
        fail(exc, EXIT_BUSY)
    except IexError as exc:
        fail(exc, EXIT_CONFIG if exc.error_class is ErrorClass.CONFIG else EXIT_STOPPED)
    finally:
        if store is not None:
            store.close()


def fail(error: IexError, code: int) -> None:
    click.echo(mask(f"error: {error}"), err=True)
    click.echo(mask(f"who acts: {error.who}"), err=True)
    sys.exit(code)


def print_summary(summary: Any, console: Console, title: str = "Run summary") -> None:
    """One row per flow: what was read, sent, skipped, dead-lettered, held and left pending.
    Columns that are zero for every flow (recovered, updated, changed, dead before) are left out."""
    columns: list[tuple[str, Callable[[Any], Any]]] = [
        ("read", lambda c: c.seen), ("filtered", lambda c: c.filtered),
        ("sent", lambda c: sum(c.done.values())), ("recovered", lambda c: sum(c.recovered.values())),
        ("done\nbefore", lambda c: c.already_done), ("updated", lambda c: c.updated),
        ("changed\nignored", lambda c: c.changed), ("stale", lambda c: c.stale),
        ("dead", lambda c: " ".join(f"{n} {k}" for k, n in sorted(c.dead.items())) or 0),
        ("dead\nbefore", lambda c: c.already_dead),
        ("held", lambda c: c.held), ("pending", lambda c: c.pending),
    ]
    optional = {"recovered", "updated", "changed\nignored", "stale", "dead\nbefore"}
    shown = [(name, get) for name, get in columns
             if name not in optional or any(get(c) for c in summary.flows.values())]
    table = Table(title=f"{title} {summary.run_id} ({summary.duration} s)")
    table.add_column("flow", overflow="fold")
    for name, _ in shown:
        table.add_column(name, justify="right", no_wrap=True)
    for flow, counts in summary.flows.items():
        table.add_row(flow, *(str(get(counts)) for _, get in shown))
    console.print(table)
    calls = {k: v for metrics in summary.api_calls.values() for k, v in metrics.items()}
    if calls:
        console.print("calls: " + ", ".join(f"{k} {v}" for k, v in sorted(calls.items())), markup=False)
    for message in summary.messages:
        console.print(mask(message), style="yellow", markup=False)


def exit_code(summary: Any) -> int:
    return EXIT_STOPPED if summary.outcome != "ok" else 0


def _runner(instance: Any, store: StateStore, concurrency: int | None, progress: bool | None,
            console: Console) -> Any:
    from engine.runner import Runner

    return Runner(instance, store, concurrency=concurrency, progress=progress, console=console)


def flow_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--flow", "flows", multiple=True, help="Only this flow (name or integration/flow); repeatable.")(fn)
    return click.option("--integration", "integrations", multiple=True, help="Only this integration; repeatable.")(fn)


@click.command()
@instance_option
@flow_options
@click.option("--once", is_flag=True, help="Run every flow once and exit (else run on the flows' schedules).")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Workers per integration (default 4).")
@click.option("--wait", is_flag=True, help="Wait for another iex process on this instance instead of refusing.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when a terminal).")
@verbose_option
def run(instance_path: str, flows: tuple[str, ...], integrations: tuple[str, ...], once: bool,
        concurrency: int | None, wait: bool, progress: bool | None, verbose: bool) -> None:
    """Run the instance's integrations: once (--once), or on their schedules until stopped."""
    console = Console()
    with opened(instance_path, verbose) as (instance, store):
        runner = _runner(instance, store, concurrency, progress, console)
        if once:
            summary = runner.run(flows=flows or None, integrations=integrations or None, wait=wait,
                                 owner="iex run --once")
            print_summary(summary, console)
            sys.exit(exit_code(summary))
        from engine.scheduler import Scheduler

        def scheduled(selected: list[str], poll: bool) -> None:
            summary = runner.run(flows=selected, poll=poll, wait=True, owner="iex run (scheduled)")
            if summary.total("seen") or summary.messages:  # quiet when nothing arrived
                print_summary(summary, console)

        scheduler = Scheduler(instance, scheduled)
        if not scheduler.entries:
            console.print("no flow has an `every` or `cron` trigger; use `iex run --once`")
            return
        drained = scheduler.drain_inbox(store)      # what a stopped process left, first
        if drained:
            console.print("finished what the inbox held for: " + ", ".join(drained))
        stop = threading.Event()
        console.print("running on schedule: " + ", ".join(e.name for e in scheduler.entries) + " (Ctrl-C stops)")
        try:
            scheduler.run_forever(stop)
        except KeyboardInterrupt:
            stop.set()


@click.command()
@instance_option
@flow_options
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="Records read per flow.")
@verbose_option
def plan(instance_path: str, flows: tuple[str, ...], integrations: tuple[str, ...], limit: int,
         verbose: bool) -> None:
    """Dry run: for each record, each step's mapped input and the requests it would send."""
    console = Console()
    with opened(instance_path, verbose) as (instance, store):
        runner = _runner(instance, store, 1, False, console)
        summary = runner.run(flows=flows or None, integrations=integrations or None, dry_run=True, limit=limit)
        for line in runner.plan:
            action = f" ({line.action})" if line.action else ""
            console.rule(f"{line.integration}/{line.flow} record {line.record_key} step {line.step}{action}")
            console.print(line.note, markup=False)
            if line.input is not None:
                console.print("input:", markup=False)
                console.print(pretty(line.input), markup=False, highlight=False)
            for request in line.requests:
                console.print(f"{request['method']} {request['url']}", markup=False)
                if request.get("body") is not None:
                    console.print(pretty(request["body"]), markup=False, highlight=False)
        if not runner.plan:
            console.print("nothing to do: no record would be sent")
        for message in summary.messages:
            console.print(mask(message), markup=False)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not _DATE.match(value):
        raise click.BadParameter(f"{value!r} is not a date like 2024-01-31")
    return value


@click.command()
@instance_option
@flow_options
@click.option("--since", required=True, callback=_date, help="First date to import (YYYY-MM-DD).")
@click.option("--until", callback=_date, help="Last date to import (YYYY-MM-DD).")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Workers per integration (default 4).")
@click.option("--wait", is_flag=True, help="Wait for another iex process on this instance instead of refusing.")
@verbose_option
def backfill(instance_path: str, flows: tuple[str, ...], integrations: tuple[str, ...], since: str,
             until: str | None, concurrency: int | None, wait: bool, verbose: bool) -> None:
    """Import historical records through the same flows and ledger (the cursor stays as it is)."""
    console = Console()
    with opened(instance_path, verbose) as (instance, store):
        runner = _runner(instance, store, concurrency, True, console)
        summary = runner.run(flows=flows or None, integrations=integrations or None, wait=wait,
                             backfill={"since": since, "until": until}, owner="iex backfill")
        print_summary(summary, console, title="Backfill")
        sys.exit(exit_code(summary))
