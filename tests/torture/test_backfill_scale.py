"""What the backfill benchmark found: a run that writes many rows must not hold them all.

``bench/backfill_memory.py`` measures ``iex backfill`` at 10,000 and 100,000 orders. Through the
files example (every order a row of one JSON-lines output file) the run slowed from ~230 to ~30
orders a second as the file grew. With one output file per export the speed holds, but the peak
memory still grows from 57 MB to 147 MB, while the same backfill with the write step off stays at
49-51 MB: the writer keeps every row. This test pins the cause down without timing anything: it
counts the rows the writer looks at.
"""

from __future__ import annotations

from pathlib import Path

from connectors.files.writer import KeyedFile

ROWS = 2000


def test_writing_many_keys_reads_the_file_only_to_rewrite_a_changed_key(tmp_path: Path, monkeypatch) -> None:
    output = KeyedFile(tmp_path / "orders.jsonl")
    reads = [0]
    original = KeyedFile._read

    def counting(self):  # noqa: ANN001, ANN202 - counts whole-file reads by the writer
        reads[0] += 1
        return original(self)

    monkeypatch.setattr(KeyedFile, "_read", counting)
    for number in range(ROWS):
        output.write(f"webshop/orders/{number}/export", [{"order_number": str(number), "net": "1.00"}])
        output.write(f"webshop/orders/{number}/export", [{"order_number": str(number), "net": "1.00"}])  # a repeat
    assert reads[0] == 0, f"{reads[0]} whole-file reads for {ROWS} new keys and {ROWS} repeats"
    assert not hasattr(output, "rows")          # no row is held in memory, only a digest per key
    output.write("webshop/orders/7/export", [{"order_number": "7", "net": "2.00"}])   # a change rewrites once
    assert reads[0] == 1
    assert output.rows_of("webshop/orders/7/export") == [{"iex_key": "webshop/orders/7/export", "order_number": "7", "net": "2.00"}]
    lines = (tmp_path / "orders.jsonl").read_text().splitlines()
    assert len(lines) == ROWS
