"""What the backfill benchmark found: a run that writes many rows must not hold them all.

``bench/backfill_memory.py`` measures ``iex backfill`` at 10,000 and 100,000 orders. Through the
files example (every order a row of one JSON-lines output file) the run slowed from ~230 to ~30
orders a second as the file grew, and its memory grew with it. These tests pin the cause down
without timing anything: they count the rows the writer keeps and compares per write.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.files.writer import KeyedFile

ROWS = 2000


@pytest.mark.xfail(strict=True, reason=(
    "connectors/files/writer.py KeyedFile keeps every row of the output file in self.rows (loaded "
    "whole on open, appended on every write) and rows_of(key) scans them all on each write and "
    "each finder call: memory grows with the file and a run writing n rows costs O(n^2) "
    "(the 100,000-order backfill benchmark slows from ~230 to ~30 orders/s). Keep an index "
    "key -> byte offsets (or a set of keys plus the rows of the last key) instead of every row."))
def test_writing_many_keys_does_not_scan_every_row_each_time(tmp_path: Path) -> None:
    output = KeyedFile(tmp_path / "orders.jsonl")
    compared = [0]

    class CountingRows(list):
        def __iter__(self):  # noqa: ANN204 - counts rows looked at by the writer's scans
            for row in list.__iter__(self):
                compared[0] += 1
                yield row

    output.rows = CountingRows(output.rows)
    for number in range(ROWS):
        output.write(f"webshop/orders/{number}/export", [{"order_number": str(number), "net": "1.00"}])
        if not isinstance(output.rows, CountingRows):
            output.rows = CountingRows(output.rows)
    assert compared[0] <= 10 * ROWS, f"{compared[0]} rows looked at for {ROWS} writes"
