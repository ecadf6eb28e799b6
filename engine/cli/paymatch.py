"""``iex paymatch``: reconcile payouts against the booked invoices (charges) and credit notes
(refunds), print a summary, write a per-line result file and post the vouchers (or, with
``--dry-run``, print them).

What is reconciled: a report file (``--report``), one payout read through the payout connection
(``--payout ID``: Stripe, Clearhaus, Vipps MobilePay, Zettle, Shopify Payments), or every payout
the connection has paid since the last run (``--new-payouts``: what a schedule calls; the
cursor is kept in the state and moves after each payout). Exit 0 when the run happened, 1 on
invalid input (instance file, settings, format, report, invoice file), 2 when a system failed
(e-conomic, the acquirer, state).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
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
from engine.paymatch.payouts import PayoutSource, load_payout, new_payouts, payout_source
from engine.paymatch.posting import vouchers_json
from engine.secrets import mask

MAX_BAD_SHOWN = 20
LOCK_WAIT_SECONDS = 60
#: invoices older than this before the first payout line are not read (a refund may come late)
INVOICE_LOOKBACK_DAYS = 120


@click.command(help="Reconcile payouts against invoices and post them to the journal.")
@click.option("-c", "--config", "config", default="iex.yaml", show_default=True, type=click.Path(dir_okay=False),
              help="Instance file.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False), help="Payout report file.")
@click.option("--payout", "payout_id", help="A payout id to read through the payout connection.")
@click.option("--new-payouts", is_flag=True,
              help="Every payout the payout connection paid since the last run (for schedules).")
@click.option("--format-name", help="Report format (built-in name or format file); default from the settings.")
@click.option("--integration", help="Integration whose settings.paymatch to use (default: the only one with it).")
@click.option("--invoices", "invoices_file", type=click.Path(dir_okay=False),
              help="Invoice CSV for offline use instead of reading e-conomic.")
@click.option("--dry-run", is_flag=True, help="Post nothing and move no cursor; print the vouchers.")
@click.option("--format", "output_format", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="Per-line result file format.")
@click.option("--out", "out_dir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the per-line result files.")
def paymatch_command(config: str, report_file: str | None, payout_id: str | None, new_payouts: bool,
                     format_name: str | None, integration: str | None, invoices_file: str | None, dry_run: bool,
                     output_format: str, out_dir: str) -> None:
    console = Console(stderr=True)
    if sum(map(bool, (report_file, payout_id, new_payouts))) != 1:
        raise click.UsageError("give either --report FILE or --payout ID or --new-payouts")
    try:
        run = _Run.start(console, Path(config), integration, invoices_file, format_name, dry_run, output_format,
                         Path(out_dir))
        try:
            if report_file:
                run.report(report_file)
            elif payout_id:
                run.payout(payout_id)
            else:
                run.new_payouts()
        finally:
            run.close()
    except (ConfigError, DataError) as exc:
        _fail(console, exc)
        sys.exit(1)
    except IexError as exc:
        _fail(console, exc)
        sys.exit(2)
    sys.exit(0)


paymatch = paymatch_command


def _fail(console: Console, exc: IexError) -> None:
    console.print(f"[red]error:[/] {mask(str(exc))}", highlight=False, markup=True)
    console.print(f"  who acts: {exc.who}", highlight=False)


@dataclass
class _Run:
    """One ``iex paymatch`` invocation: the instance, the integration's settings, the
    connections opened so far, and how to report."""

    console: Console
    config: Path
    instance: Instance
    integration: Integration
    settings: pm.PayMatchSettings
    invoices_file: str | None
    format_name: str | None
    dry_run: bool
    output_format: str
    out_dir: Path
    runtime: Runtime
    opened: dict[str, Connector] = field(default_factory=dict)

    @classmethod
    def start(cls, console: Console, config: Path, integration: str | None, invoices_file: str | None,
              format_name: str | None, dry_run: bool, output_format: str, out_dir: Path) -> _Run:
        instance = load_instance(config)
        chosen = _pick(instance, integration)
        return cls(console, config, instance, chosen, _settings(config, chosen), invoices_file, format_name, dry_run,
                   output_format, out_dir, Runtime(dry_run=dry_run))

    def close(self) -> None:
        for connector in self.opened.values():
            connector.close()

    # -- the three ways in -----------------------------------------------------------------------
    def report(self, report_file: str) -> None:
        spec = pm.load_format(_format_path(self.format_name or self.settings.format, self.config,
                                           bool(self.format_name)))
        con = _duckdb()
        loaded = self._reading(lambda tick: pm.load_report(con, report_file, spec,
                                                           default_currency=self.settings.currency, progress=tick))
        self._reconcile(con, loaded, Path(report_file).stem)

    def payout(self, payout_id: str) -> None:
        source = self._payout_source()
        con = _duckdb()
        loaded = self._reading(lambda tick: self._load_payout(con, source, payout_id, tick))
        self._reconcile(con, loaded, payout_id)

    def new_payouts(self) -> None:
        """Each payout after the stored cursor, in turn; the cursor moves after each one, so a
        failure leaves it (and the payouts after it) for the next run. A dry run moves nothing."""
        from engine.state import open_store

        source = self._payout_source()
        store = open_store(self.instance.state_path)
        done = 0
        try:
            with self._lock(store):
                cursor = store.get_cursor(self.integration.name, source.cursor_flow)
                for record in new_payouts(source, cursor):
                    if record.data is not None:
                        self.console.print(f"payout {record.key}", highlight=False)
                        con = _duckdb()
                        loaded = self._reading(lambda tick, con=con, key=record.key:
                                               self._load_payout(con, source, key, tick))
                        self._reconcile(con, loaded, record.key, locked=True)
                        con.close()
                        done += 1
                    if not self.dry_run:
                        store.set_cursor(self.integration.name, source.cursor_flow, record.cursor)
        finally:
            store.close()
        moved = "" if self.dry_run else f"; cursor {source.cursor_flow} saved"
        self.console.print(f"{done} new payout(s) from connection {source.connection}{moved}"
                           + (" (dry run: the cursor did not move)" if self.dry_run else ""), highlight=False)

    # -- shared steps --------------------------------------------------------------------------------
    def _payout_source(self) -> PayoutSource:
        connection = self.settings.payout_connection
        return payout_source(connection, self._connector(connection))

    def _load_payout(self, con: duckdb.DuckDBPyConnection, source: PayoutSource, payout_id: str,
                     tick: Callable[[int], None]) -> pm.Loaded:
        if self.format_name:
            lines = [r.data for r in source.connector.read(source.lines_stream, None, {"payout": payout_id})
                     if r.data is not None]
            spec = pm.load_format(_format_path(self.format_name, self.config, True))
            return pm.load_document(con, {"data": lines}, spec, source=f"payout {payout_id}",
                                    default_currency=self.settings.currency, progress=tick)
        return load_payout(con, source, payout_id, default_currency=self.settings.currency, progress=tick)

    def _reading(self, load: Callable[[Callable[[int], None]], pm.Loaded]) -> pm.Loaded:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=self.console,
                      transient=True) as progress:
            task = progress.add_task("reading the report", total=None)
            loaded = load(lambda count: progress.update(task, description=f"reading the report: {count:,} lines"))
        for bad in loaded.bad[:MAX_BAD_SHOWN]:
            self.console.print(f"[yellow]bad line[/] {bad}", highlight=False)
        if len(loaded.bad) > MAX_BAD_SHOWN:
            self.console.print(f"... and {len(loaded.bad) - MAX_BAD_SHOWN} more bad lines (all are left out)")
        if loaded.lines == 0 and loaded.bad:
            raise DataError(f"no usable line in {loaded.source} ({len(loaded.bad)} bad lines)",
                            location=Location(file=loaded.source))
        return loaded

    def _reconcile(self, con: duckdb.DuckDBPyConnection, loaded: pm.Loaded, stem: str, *, locked: bool = False) -> None:
        settings = self.settings
        economic = None
        if not self.invoices_file or not self.dry_run:
            economic = self._connector(settings.economic_connection)
        invoices = (pm.read_csv_file(self.invoices_file) if self.invoices_file
                    else self._economic_invoices(con, economic))
        with (nullcontext() if locked else self._lock()), pm.MatchLedger(self.instance.state_path) as ledger:
            outcome = pm.reconcile(
                con, settings, integration=self.integration.name, invoices=invoices, ledger=ledger,
                journal=None if economic is None else pm.ConnectorJournal(economic), dry_run=self.dry_run)
        summary = pm.summarize(con, bad_lines=len(loaded.bad))
        pm.render(summary, self.console,
                  title=f"PayMatch {self.integration.name}: {loaded.source} ({loaded.spec.name})")
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)
        written = pm.write_lines(con, self.out_dir / f"paymatch-{safe}.{self.output_format}",
                                 rule_version=outcome.rule_version, fmt=self.output_format)
        self.console.print(f"per-line results: {written}", highlight=False)
        if self.dry_run:
            self.console.print(f"dry run: {len(outcome.vouchers)} voucher(s) not posted:")
            click.echo(vouchers_json(pm.voucher_input(outcome.vouchers, settings)))
        else:
            self.console.print(f"posted {len(outcome.posted)} voucher(s) to journal {settings.journal_number}"
                               + (" and booked it" if outcome.booked else ""), highlight=False)

    @contextmanager
    def _lock(self, store: Any = None) -> Iterator[None]:
        """Posting takes the instance lock, as a run does: two posting processes never
        interleave. A dry run posts nothing and needs no lock."""
        if self.dry_run:
            yield
            return
        from engine.state import open_store

        own = store is None
        store = open_store(self.instance.state_path) if own else store
        try:
            with store.lock("iex paymatch", wait=True, timeout=LOCK_WAIT_SECONDS):
                yield
        finally:
            if own:
                store.close()

    def _connector(self, connection: str) -> Connector:
        if connection not in self.opened:
            integration = self.integration
            if connection not in integration.connections:
                raise ConfigError(f"integration {integration.name} has no connection {connection!r} "
                                  f"(it has: {', '.join(integration.connections)})")
            resolved = integration.connections[connection]
            self.opened[connection] = registry.get(resolved.connector)(resolved.settings, self.runtime)
        return self.opened[connection]

    def _economic_invoices(self, con: duckdb.DuckDBPyConnection, economic: Connector | None) -> list[pm.InvoicePayment]:
        """Booked invoices and credit notes from a while before the report's first line, with the
        refs of the flows that booked them (orders: invoices; refunds: credit notes)."""
        from engine.state import open_store

        assert economic is not None
        first = con.execute("SELECT min(date) FROM payout_lines").fetchone()[0]
        options: dict[str, Any] = {}
        if first is not None:
            options["from_date"] = (first - timedelta(days=INVOICE_LOOKBACK_DAYS)).isoformat()
        booked = [r.data for r in economic.read("booked_invoices", None, options)]
        settings = self.settings
        store = open_store(self.instance.state_path)
        try:
            entries = [entry for flow, step in ((settings.invoice_flow, settings.invoice_step),
                                                (settings.credit_note_flow, settings.credit_note_step))
                       for entry in store.ledger_entries(self.integration.name, flow, step)]
        finally:
            store.close()
        return pm.from_economic(booked, entries)


def _duckdb() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")   # iex shows its own progress on stderr
    return con


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
