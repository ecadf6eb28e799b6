"""The PayMatch benchmark at smoke size: both engines run and agree on every class."""

from __future__ import annotations

import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_duckdb_and_pandas_agree_and_the_figures_are_reported(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))          # the spawned children import bench.paymatch by name
    bench = importlib.import_module("bench.paymatch")
    reported: dict[str, dict] = {}
    bench.run(lambda name, figures: reported.__setitem__(name, figures), lines=3000)
    figures = reported["paymatch"]
    assert {"duckdb_s", "pandas_s", "ratio", "duckdb_peak_mb", "pandas_peak_mb", "lines", "load_s"} <= set(figures)
    assert figures["load_s"] > 0 and figures["load_lines_per_s"] > 0   # the generated report loaded cleanly
    assert figures["lines"] == 3000 and figures["duckdb_peak_mb"] > 0 and figures["pandas_peak_mb"] > 0
    assert figures["classes_identical"].startswith("yes")
    assert set(figures["classes"]) == {"matched_exact", "matched_within_tolerance", "partial", "overpaid",
                                       "ambiguous", "unmatched_payout_line", "fee"}
    assert sum(figures["classes"].values()) == 3000
