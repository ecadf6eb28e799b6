"""The reduced torture of ``make test``: ~150 orders, 5 SIGKILLs, faults on, webhooks racing
pollers, two runners on one instance, a killed receiver and a dlq retry after a fix. Every
transferable order ends with exactly one invoice, every refund with one credit note, and
everything else has its reason in the dead-letter store. (``make torture`` runs the full size.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.torture.report import lines
from engine.torture.scenarios import Torture, TortureConfig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


def test_reduced_torture_posts_everything_exactly_once(tmp_path: Path) -> None:
    config = TortureConfig(folder=tmp_path / "torture", orders=150, kills=5, race_rounds=2, race_new_orders=3, seed=11)
    report = Torture(config, say=lambda text: None).run()
    text = "\n".join(lines(report))
    verdict = report.verdict
    assert verdict is not None, text
    assert verdict.ok, text
    assert report.ok, text
    assert report.kills >= 5 and report.serve_kills == 1, text
    calls = sum(report.calls.values())
    faults = sum(sum(kinds.values()) for kinds in report.faults.values())
    assert faults / calls >= 0.08, text                          # faults were really on
    assert {"drop_after", "429", "500", "503"} <= set(report.faults["economic"]), text
    assert report.runs_refused_busy >= 1, text                   # the second runner refused
    assert report.webhook_deliveries > 0 and report.webhook_deliveries_ok > 0, text
    assert verdict.invoices > 100 and verdict.credit_notes > 0, text
    assert report.retry_completed == report.retried_letters, text
    assert all(reason for reason in verdict.dead_letters.values()), text
