"""Memory of a large backfill: peak RSS of ``iex backfill`` at 10,000 and at 100,000 orders.

A backfill must stream: records flow through a bounded queue to the workers, settled records go
to the state file, and nothing grows with the number of records. So the peak memory at 100,000
orders should be about the one at 10,000 ("flat").

* Source: the files connector reading JSON-lines exports of 1,000 orders each (the Danish order
  export of the files example, as JSON lines), through the files example recipe and mapping, so
  the figure is the engine's own: runner, mapping, ledger, state store and the JSON-lines writer.
  (The files connector reads one file at a time whole, so files are kept at 1,000 lines; the
  WooCommerce connector streams pages of 100.)
* One change to the example mapping: each export's orders go to their own output file
  (``orders-<export>.jsonl``). The writer scans every row of its file on each write (quadratic,
  see tests/torture/test_backfill_scale.py); with one file of 100,000 rows that alone makes the
  run take 40 minutes instead of a few.
* Each size runs ``iex backfill --since 2000-01-01`` in a fresh process on a fresh instance; the
  peak resident set size is the process's own high-water mark (``VmHWM``, see bench/peak.py).
* ``engine_only``: the same with the write step switched off (``when: false``): reading, key,
  filter, refs, ledger and state without the writer, to tell the engine's memory from the
  writer's (the files writer keeps a digest per key of the 16 output files used most recently).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PER_FILE = 1000
INSTANCE = """\
iex: 1
state: {{path: state.sqlite}}
integrations:
  backfill:
    recipe: recipes/files-example.yaml
    connections:
      inbox: {{folder: "{inbox}", format: jsonl, pattern: "*.jsonl", encoding: utf-8, decimal_comma: false}}
      outbox: {{output_folder: "{out}"}}
"""


def run(report: Callable[[str, dict[str, Any]], None], quick: bool = False) -> None:
    small, large = (500, 2_000) if quick else (10_000, 100_000)
    first, second = measure(small), measure(large)
    bare_small, bare_large = measure(small, write=False), measure(large, write=False)
    report("backfill_memory", {
        f"peak_rss_mb_{small}": first["peak_mb"],
        f"peak_rss_mb_{large}": second["peak_mb"],
        "growth": round(second["peak_mb"] / first["peak_mb"], 2),
        "flat": _flat(first, second),
        f"orders_per_s_{large}": round(large / second["seconds"]),
        "written_once": f"yes ({second['written']} lines for {large} orders)",
        f"engine_only_peak_rss_mb_{small}": bare_small["peak_mb"],
        f"engine_only_peak_rss_mb_{large}": bare_large["peak_mb"],
        "engine_only_flat": _flat(bare_small, bare_large),
    })


def _flat(small: dict[str, Any], large: dict[str, Any]) -> str:
    return "yes" if large["peak_mb"] < small["peak_mb"] * 1.25 else "no"


def measure(orders: int, *, write: bool = True) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="iex-bench-backfill-") as tmp:
        folder = Path(tmp)
        (folder / "recipes").mkdir()
        recipe = (ROOT / "recipes" / "files-example.yaml").read_text(encoding="utf-8")
        step = "        action: outbox.write_records\n"
        if step not in recipe:
            raise AssertionError("recipes/files-example.yaml changed: update bench/backfill_memory.py")
        if not write:
            recipe = recipe.replace(step, step + '        when: "{{ false }}"\n')
        (folder / "recipes" / "files-example.yaml").write_text(recipe, encoding="utf-8")
        shutil.copytree(ROOT / "mappings" / "files", folder / "mappings" / "files")
        mapping = folder / "mappings" / "files" / "order.yaml"
        text = mapping.read_text(encoding="utf-8")
        if "file: orders.jsonl" not in text:
            raise AssertionError("mappings/files/order.yaml changed: update bench/backfill_memory.py")
        mapping.write_text(text.replace("file: orders.jsonl", 'file: "orders-{{ record.iex_file }}"'), encoding="utf-8")
        inbox, out = folder / "inbox", folder / "out"
        inbox.mkdir()
        write_exports(inbox, orders)
        (folder / "iex.yaml").write_text(INSTANCE.format(inbox=inbox, out=out), encoding="utf-8")
        peak = folder / "peak_mb"
        command = [sys.executable, "-m", "bench.peak", str(peak), "engine", "backfill", "--since", "2000-01-01",
                   "-i", str(folder / "iex.yaml")]
        started = time.perf_counter()
        with open(folder / "backfill.log", "wb") as log:
            status = subprocess.run(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                                    env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False).returncode
        seconds = time.perf_counter() - started
        if status != 0:
            raise AssertionError(f"iex backfill failed:\n{(folder / 'backfill.log').read_text()[-3000:]}")
        written = sum(1 for path in out.glob("orders-*.jsonl") for _ in path.open(encoding="utf-8"))
        if written != (orders if write else 0):
            raise AssertionError(f"{written} lines written for {orders} orders")
        peak_mb = float(peak.read_text())
    return {"peak_mb": peak_mb, "seconds": seconds, "written": written}


def write_exports(inbox: Path, orders: int) -> None:
    """``orders`` orders as JSON-lines exports of PER_FILE lines (amounts as text, as exported)."""
    for start in range(0, orders, PER_FILE):
        lines = []
        for number in range(start, min(start + PER_FILE, orders)):
            net = 100 + number % 9000
            lines.append(json.dumps({
                "order_number": str(100_000 + number), "date": f"2024-{1 + number % 12:02d}-{1 + number % 28:02d}",
                "customer": f"Kunde {number % 5000} ApS", "country": "dk", "status": "betalt",
                "net": f"{net}.00", "vat": f"{net // 4}.{25 * (net % 4):02d}", "currency": "DKK"}, ensure_ascii=False))
        (inbox / f"export-{start // PER_FILE:05d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
