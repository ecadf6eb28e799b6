"""The ``iex`` command. Each subcommand lives in its own module here and is imported only when
used, so ``iex validate`` does not pay for DuckDB and a broken module does not break the rest."""

from __future__ import annotations

import importlib
import sys

import click

from engine import __version__

# command name -> "module:attribute" (a click.Command)
COMMANDS: dict[str, str] = {
    "validate": "engine.cli.validate:validate",
    "schema": "engine.cli.validate:schema",
    "map": "engine.cli.mapping:map_command",
    "run": "engine.cli.run:run",
    "plan": "engine.cli.run:plan",
    "backfill": "engine.cli.run:backfill",
    "serve": "engine.cli.serve:serve",
    "dlq": "engine.cli.dlq:dlq",
    "sandbox": "engine.cli.sandbox:sandbox",
    "paymatch": "engine.cli.paymatch:paymatch",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="iex")
def cli() -> None:
    """iex: declarative integrations into e-conomic."""


def main() -> None:
    cli(prog_name="iex")


if __name__ == "__main__":
    sys.exit(main())
