"""Every benchmark module runs at smoke size (``run(report, quick=True)``) and reports figures
that make sense; ``make bench`` runs them at the issue's sizes. (bench/ has no test folder of its
own; these live beside the torture, which shares their sandbox process and instance helpers.)"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], dict[str, Any]]:
    """Run one benchmark at smoke size; its reported figures."""
    monkeypatch.syspath_prepend(str(ROOT))   # bench/ is a folder of the checkout, not an installed package

    def run(name: str) -> dict[str, Any]:
        found: dict[str, dict[str, Any]] = {}
        importlib.import_module(f"bench.{name}").run(lambda key, values: found.__setitem__(key, values), quick=True)
        assert list(found) == [name]
        return found[name]

    return run


def test_mapping_engine_and_hand_written_agree_on_every_record(figures: Callable[[str], dict[str, Any]]) -> None:
    result = figures("mapping")
    assert result["identical"].startswith("yes") and result["records"] >= 90
    assert result["engine_records_per_s"] > 0 and result["ratio"] > 0


def test_sync_reports_throughput_against_its_bound_and_a_sequential_client(figures: Callable[[str], dict[str, Any]]) -> None:
    result = figures("sync")
    assert 0 < result["orders_per_s"] <= result["bound_orders_per_s"] * 1.1
    assert result["economic_calls_per_order"] >= 2        # at least a draft and its booking
    assert result["orders_per_s"] > result["sequential_orders_per_s"]


def test_api_calls_compares_with_the_minimum_and_a_second_run_asks_nothing(figures: Callable[[str], dict[str, Any]]) -> None:
    result = figures("api_calls")
    assert result["ratio"] >= 1.0 and result["calls"] >= result["minimum"]
    assert result["second_run_calls"] == 0


def test_validate_times_the_shipped_recipes(figures: Callable[[str], dict[str, Any]]) -> None:
    result = figures("validate")
    assert result["recipes"] == 20 and result["seconds"] > 0


def test_backfill_memory_is_measured_for_both_sizes(figures: Callable[[str], dict[str, Any]]) -> None:
    result = figures("backfill_memory")
    assert result["written_once"].startswith("yes")
    assert result["peak_rss_mb_500"] > 0 and result["peak_rss_mb_2000"] > 0
    assert result["engine_only_peak_rss_mb_500"] > 0 and result["engine_only_flat"] in ("yes", "no")
