"""``iex sandbox NAME``: serve a connector's sandbox API on loopback until Ctrl-C.

The first line on stdout is the base URL (scripts read it); hints go to stderr. Options the
command does not know (``--orders DIR --generate 200``) go to the connector's ``create_app``,
dashes turned into underscores, values as text, a bare ``--flag`` as True.
"""

from __future__ import annotations

import ipaddress
import sys

import click

from engine.errors import IexError
from engine.sandbox import KINDS, available, build, serve_forever


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
               help="Start a connector's sandbox API on loopback. Extra --key value options go to the sandbox.")
@click.argument("name", required=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, type=int, help="Port (default: a free one; the URL is printed).")
@click.option("--latency-ms", default=0, type=int, help="Delay added to every request.")
@click.option("--fault-rate", default=0.0, type=float, help="Share of requests that get a fault (0..1).")
@click.option("--fault-kinds", default=",".join(KINDS), show_default=True, help="Faults to pick from.")
@click.option("--seed", default=None, type=int, help="Seed for the fault RNG (repeatable runs).")
@click.option("--list", "list_only", is_flag=True, help="List the connectors that have a sandbox.")
@click.pass_context
def sandbox(ctx: click.Context, name: str | None, host: str, port: int, latency_ms: int, fault_rate: float,
            fault_kinds: str, seed: int | None, list_only: bool) -> None:
    if list_only:
        for connector in available():
            click.echo(connector)
        return
    if not name:
        raise click.UsageError("name a connector (see `iex sandbox --list`)")
    options = {**connector_options(ctx.args), "latency_ms": latency_ms, "fault_rate": fault_rate,
               "fault_kinds": fault_kinds}
    if seed is not None:
        options["seed"] = seed
    if not _is_loopback(host):
        click.echo(f"warning: {host} is not a loopback address; the sandbox checks no real credentials", err=True)
    try:
        app = build(name, options)
    except IexError as exc:
        raise click.ClickException(str(exc)) from None

    def ready(url: str) -> None:
        click.echo(url)
        sys.stdout.flush()
        click.echo(f"{name} sandbox at {url} (admin: {url}/_sandbox/calls, {url}/_sandbox/faults); Ctrl-C stops",
                   err=True)

    try:
        serve_forever(app, host, port, on_ready=ready)
    except KeyboardInterrupt:
        pass
    except IexError as exc:
        raise click.ClickException(str(exc)) from None


def connector_options(args: list[str]) -> dict[str, str | bool]:
    """``["--orders", "DIR", "--dry", "--generate=5"]`` -> ``{"orders": "DIR", "dry": True, "generate": "5"}``."""
    options: dict[str, str | bool] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or len(arg) == 2:
            raise click.UsageError(f"unexpected argument {arg!r}: sandbox options look like --key value")
        key, eq, value = arg[2:].partition("=")
        key = key.replace("-", "_")
        if eq:
            options[key] = value
        elif i + 1 < len(args) and not args[i + 1].startswith("--"):
            options[key] = args[i + 1]
            i += 1
        else:
            options[key] = True
        i += 1
    return options


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
