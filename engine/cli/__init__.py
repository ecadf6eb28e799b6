"""The ``iex`` command. Each subcommand lives in its own module here and is imported only when
used, so ``iex validate`` does not pay for DuckDB and a broken module does not break the rest."""

from __future__ import annotations

import importlib
import sys

import click

from engine import __version__

# command name -> ("module:attribute" of a click.Command, one-line help shown by `iex --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("engine.cli.validate:validate", "Check instance files, recipes and mappings; located errors."),
    "schema": ("engine.cli.validate:schema", "Write the JSON Schemas for editors and CI."),
    "map": ("engine.cli.mapping:map_command", "Evaluate a mapping on a sample record."),
    "run": ("engine.cli.run:run", "Run the instance's integrations (on schedule, or --once)."),
    "plan": ("engine.cli.run:plan", "Dry run: print every request that would be sent."),
    "backfill": ("engine.cli.run:backfill", "Import historical records through the same flows."),
    "serve": ("engine.cli.serve:serve", "Run schedules and receive webhooks."),
    "dlq": ("engine.cli.dlq:dlq", "List, show and retry dead-lettered records."),
    "sandbox": ("engine.cli.sandbox:sandbox", "Start a connector's sandbox API on loopback."),
    "paymatch": ("engine.cli.paymatch:paymatch", "Reconcile a payout report against invoices."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in sorted(COMMANDS)])


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="iex")
def cli() -> None:
    """iex: declarative integrations into e-conomic."""


def main() -> None:
    cli(prog_name="iex")


if __name__ == "__main__":
    sys.exit(main())
