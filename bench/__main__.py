"""`make bench`: run every benchmark module and print one table of figures and ratios.

Usage: python -m bench [NAME ...] [--quick]
``--quick`` uses small sizes (a smoke run); without it the sizes the issues ask for are used.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

# name -> module; each module: run(report, quick: bool) -> None
BENCHMARKS = ["mapping", "sync", "api_calls", "validate", "backfill_memory", "paymatch"]


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    logging.getLogger("iex").setLevel(logging.ERROR)   # the generated orders' dead letters are expected
    names = [a for a in argv if not a.startswith("--")] or BENCHMARKS
    results: dict[str, dict[str, Any]] = {}

    def report(name: str, figures: dict[str, Any]) -> None:
        results[name] = figures

    console = Console()
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                results[name] = {"skipped": "not written yet"}
                continue
            raise
        started = time.perf_counter()
        console.print(f"[bold]bench {name}[/] ...")
        module.run(report, quick=quick)
        results.setdefault(name, {})["bench_seconds"] = round(time.perf_counter() - started, 1)

    table = Table(title="iex benchmarks (figures measured side by side in this run)")
    table.add_column("benchmark")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, figures in results.items():
        for i, (key, value) in enumerate(figures.items()):
            table.add_row(name if i == 0 else "", key, str(value))
    console.print(table)
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
