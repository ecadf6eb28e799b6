"""``iex paymatch``: reconcile one payout report (a file, or a Stripe payout by id) against the
booked invoices, print a summary, write a per-line result file and post the vouchers (or, with
``--dry-run``, print them). Exit 0 when the run happened, 1 on invalid input (instance file,
settings, format, report, invoice file), 2 when a system failed (e-conomic, Stripe, state)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import duckdb
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from engine import paymatch as pm
from engine import registry, yamlpos
from engine.connector import Connector, Runtime
from engine.errors import ConfigError, DataError, IexError, Location
from engine.instance import Instance, Integration, load_instance
from engine.paymatch.posting import vouchers_json
from engine.secrets import mask

MAX_BAD_SHOWN = 20
LOCK_WAIT_SECONDS = 60


@click.command(help="Reconcile a payout report against invoices and post it to the journal.")
@click.option("-c", "--config", "config", default="iex.yaml", show_default=True, type=click.Path(dir_okay=False),
              help="Instance file.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False), help="Payout report file.")
@click.option("--payout", "payout_id", help="A payout id to read through the payout connection (Stripe).")
@click.option("--format-name", help="Report format (built-in name or format file); default from the settings.")
@click.option("--integration", help="Integration whose settings.paymatch to use (default: the only one with it).")
@click.option("--invoices", "invoices_file", type=click.Path(dir_okay=False),
              help="Invoice CSV for offline use instead of reading e-conomic.")
@click.option("--dry-run", is_flag=True, help="Post nothing; print the vouchers.")
@click.option("--format", "output_format", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="Per-line result file format.")
@click.option("--out", "out_dir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the per-line result file.")
def paymatch_command(config: str, report_file: str | None, payout_id: str | None, format_name: str | None,
                     integration: str | None, invoices_file: str | None, dry_run: bool, output_format: str,
                     out_dir: str) -> None:
    console = Console(stderr=True)
    if bool(report_file) == bool(payout_id):
        raise click.UsageError("give either --report FILE or --payout ID")
    try:
        code = _run(console, Path(config), report_file, payout_id, format_name, integration, invoices_file,
                    dry_run, output_format, Path(out_dir))
    except (ConfigError, DataError) as exc:
        _fail(console, exc)
        sys.exit(1)
    except IexError as exc:
        _fail(console, exc)
        sys.exit(2)
    sys.exit(code)


paymatch = paymatch_command


def _fail(console: Console, exc: IexError) -> None:
    console.print(f"[red]error:[/] {mask(str(exc))}", highlight=False, markup=True)
    console.print(f"  who acts: {exc.who}", highlight=False)


def _run(console: Console, config: Path, report_file: str | None, payout_id: str | None, format_name: str | None,
         integration_name: str | None, invoices_file: str | None, dry_run: bool, output_format: str,
         out_dir: Path) -> int:
    instance = load_instance(config)
    integration = _pick(instance, integration_name)
    settings = _settings(config, integration)
    # a payout read by id arrives as the payout connector's records (Stripe balance transactions)
    default_format = "stripe_balance" if payout_id else settings.format
    spec = pm.load_format(_format_path(format_name or default_format, config, bool(format_name)))
    runtime = Runtime(dry_run=dry_run)
    connectors: list[Connector] = []
    try:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")   # iex shows its own progress on stderr
        loaded = _load_lines(console, con, spec, settings, integration, runtime, connectors, report_file, payout_id)
        for bad in loaded.bad[:MAX_BAD_SHOWN]:
            console.print(f"[yellow]bad line[/] {bad}", highlight=False)
        if len(loaded.bad) > MAX_BAD_SHOWN:
            console.print(f"... and {len(loaded.bad) - MAX_BAD_SHOWN} more bad lines (all are left out)")
        if loaded.lines == 0 and loaded.bad:
            raise DataError(f"no usable line in {loaded.source} ({len(loaded.bad)} bad lines)",
                            location=Location(file=loaded.source))
        economic = None
        if not invoices_file or not dry_run:
            economic = _connector(integration, settings.economic_connection, runtime, connectors)
        invoices = (pm.read_csv_file(invoices_file) if invoices_file
                    else _economic_invoices(con, economic, instance, integration.name, settings))
        with _instance_lock(instance, dry_run), pm.MatchLedger(instance.state_path) as ledger:
            outcome = pm.reconcile(
                con, settings, integration=integration.name, invoices=invoices, ledger=ledger,
                journal=None if economic is None else pm.ConnectorJournal(economic), dry_run=dry_run)
        summary = pm.summarize(con, bad_lines=len(loaded.bad))
        pm.render(summary, console, title=f"PayMatch {integration.name}: {loaded.source} ({spec.name})")
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(report_file).stem if report_file else str(payout_id))
        written = pm.write_lines(con, out_dir / f"paymatch-{stem}.{output_format}",
                                       rule_version=outcome.rule_version, fmt=output_format)
        console.print(f"per-line results: {written}", highlight=False)
        if dry_run:
            console.print(f"dry run: {len(outcome.vouchers)} voucher(s) not posted:")
            click.echo(vouchers_json(pm.voucher_input(outcome.vouchers, settings)))
        else:
            console.print(f"posted {len(outcome.posted)} voucher(s) to journal {settings.journal_number}"
                          + (" and booked it" if outcome.booked else ""), highlight=False)
        return 0
    finally:
        for connector in connectors:
            connector.close()


@contextmanager
def _instance_lock(instance: Instance, dry_run: bool) -> Iterator[None]:
    """Posting takes the instance lock, as a run does: two posting processes never interleave.
    A dry run posts nothing and needs no lock."""
    if dry_run:
        yield
        return
    from engine.state import open_store

    store = open_store(instance.state_path)
    try:
        with store.lock("iex paymatch", wait=True, timeout=LOCK_WAIT_SECONDS):
            yield
    finally:
        store.close()


def _pick(instance: Instance, name: str | None) -> Integration:
    if name:
        if name not in instance.integrations:
            raise ConfigError(f"no integration {name!r} in the instance file (there are: "
                              f"{', '.join(instance.integrations)})", location=Location(file=str(instance.path)))
        return instance.integrations[name]
    candidates = [i for i in instance.integrations.values() if "paymatch" in i.settings]
    if len(candidates) != 1:
        which = ", ".join(i.name for i in candidates) or "none"
        raise ConfigError(f"name the integration with --integration (integrations with paymatch settings: {which})",
                          location=Location(file=str(instance.path)))
    return candidates[0]


def _settings(config: Path, integration: Integration) -> pm.PayMatchSettings:
    doc = yamlpos.load(config)
    base = ("integrations", integration.name, "settings", "paymatch")
    return pm.parse_settings(integration.settings.get("paymatch"), where=Location(file=str(config)),
                                   position=lambda path: doc.position(base + tuple(path)))


def _format_path(name: str, config: Path, from_cli: bool) -> str:
    """A format file named in the settings is relative to the instance file; on the command line,
    to the current folder."""
    if Path(name).suffix in (".yaml", ".yml", ".json") and not from_cli and not Path(name).is_absolute():
        return str(config.parent / name)
    return name


def _connector(integration: Integration, connection: str, runtime: Runtime, opened: list[Connector]) -> Connector:
    if connection not in integration.connections:
        raise ConfigError(f"integration {integration.name} has no connection {connection!r} "
                          f"(it has: {', '.join(integration.connections)})")
    resolved = integration.connections[connection]
    connector = registry.get(resolved.connector)(resolved.settings, runtime)
    opened.append(connector)
    return connector


def _load_lines(console: Console, con: duckdb.DuckDBPyConnection, spec: pm.FormatSpec,
                settings: pm.PayMatchSettings, integration: Integration, runtime: Runtime,
                connectors: list[Connector], report_file: str | None, payout_id: str | None) -> pm.Loaded:
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True) as progress:
        task = progress.add_task("reading the report", total=None)

        def tick(count: int) -> None:
            progress.update(task, description=f"reading the report: {count:,} lines")

        if report_file:
            return pm.load_report(con, report_file, spec, default_currency=settings.currency, progress=tick)
        stripe = _connector(integration, settings.payout_connection, runtime, connectors)
        records = [r.data for r in stripe.read("balance_transactions", None, {"payout": payout_id})]
        tick(len(records))
        return pm.load_document(con, {"data": records}, spec, source=f"payout {payout_id}",
                                      default_currency=settings.currency, progress=tick)


def _economic_invoices(con: duckdb.DuckDBPyConnection, economic: Connector | None, instance: Instance,
                       integration: str, settings: pm.PayMatchSettings) -> list[pm.InvoicePayment]:
    """Booked invoices from a while before the report's first line, with the order flow's refs."""
    from engine.state import open_store

    assert economic is not None
    first = con.execute("SELECT min(date) FROM payout_lines").fetchone()[0]
    options: dict[str, Any] = {}
    if first is not None:
        options["from_date"] = (first - timedelta(days=INVOICE_LOOKBACK_DAYS)).isoformat()
    booked = [r.data for r in economic.read("booked_invoices", None, options)]
    store = open_store(instance.state_path)
    try:
        entries = list(store.ledger_entries(integration, settings.invoice_flow, settings.invoice_step))
    finally:
        store.close()
    return pm.from_economic(booked, entries)


#: invoices older than this before the first payout line are not read (a refund may come late)
INVOICE_LOOKBACK_DAYS = 120
