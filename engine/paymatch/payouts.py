"""Payouts read through a connection: the contract a payout connector meets, reading one payout's
lines into ``payout_lines``, and the cursor of the payouts already reconciled.

A payout connector (Stripe, Clearhaus, Vipps MobilePay, Zettle, Shopify Payments) has

* a stream ``payouts`` whose record keys are payout ids, with a cursor;
* a stream ``payout_lines`` taking the option ``payout`` (one payout's lines);
* a class attribute ``payout_format``: the built-in format that reads those line records in the
  envelope ``{"data": [records]}``.

``iex paymatch --payout ID`` reads one payout; ``--new-payouts`` reads ``payouts`` from the cursor
stored in the state (``paymatch/<connection>``, next to the runner's cursors) and moves it after
each payout it reconciled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from engine.connector import Connector, Record
from engine.errors import ConfigError
from engine.paymatch.formats import load_format
from engine.paymatch.load import Loaded, load_document

PAYOUTS_STREAM = "payouts"
LINES_STREAM = "payout_lines"


@dataclass(frozen=True)
class PayoutSource:
    """A connection that reads payouts, and what its records are."""

    connection: str
    connector: Connector
    format_name: str
    lines_stream: str

    @property
    def cursor_flow(self) -> str:
        """Where ``--new-payouts`` keeps its cursor in the state (a flow name no recipe uses)."""
        return f"paymatch/{self.connection}"


def payout_source(connection: str, connector: Connector) -> PayoutSource:
    """Check that the connection's connector reads payouts; say what it lacks if not."""
    streams = connector.streams()
    declared = getattr(connector, "payout_format", None)
    if declared and LINES_STREAM in streams and PAYOUTS_STREAM in streams:
        return PayoutSource(connection, connector, str(declared), LINES_STREAM)
    raise ConfigError(
        f"connection {connection!r} (connector {connector.name}) cannot read payouts: it needs the streams "
        f"{PAYOUTS_STREAM} and {LINES_STREAM} and a payout_format. Set settings.paymatch.payouts.connection to a "
        "payout connection (stripe, clearhaus, vipps, zettle, shopify_payments)")


def load_payout(con: duckdb.DuckDBPyConnection, source: PayoutSource, payout_id: str, *,
                default_currency: str | None = None, progress: Callable[[int], None] | None = None) -> Loaded:
    """One payout's lines, read through the connection, into ``payout_lines``."""
    lines = [r.data for r in source.connector.read(source.lines_stream, None, {"payout": payout_id})
             if r.data is not None]
    if progress is not None:
        progress(len(lines))
    return load_document(con, {"data": lines}, load_format(source.format_name), source=f"payout {payout_id}",
                         default_currency=default_currency, progress=progress)


def new_payouts(source: PayoutSource, cursor: dict[str, Any] | None) -> Iterator[Record]:
    """Payouts after ``cursor``, oldest first; a record without data only moves the cursor."""
    yield from source.connector.read(PAYOUTS_STREAM, cursor, {})
