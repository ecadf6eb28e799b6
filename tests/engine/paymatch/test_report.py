"""The summary and the per-line result file a user reads after a run."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

from rich.console import Console

from engine.paymatch import match, render, summarize, write_lines
from engine.paymatch.invoices import create_table

D = Decimal


def _matched(con, kit):
    loaded = kit.load_fixture(con, "stripe_itemized.csv")
    create_table(con, kit.fixture_invoices())
    match(con, kit.settings().rules)
    return loaded


def test_summary_counts_amounts_fees_and_differences(con, kit):
    loaded = _matched(con, kit)
    summary = summarize(con, bad_lines=len(loaded.bad))
    assert (summary.lines, summary.bad_lines, summary.payouts, summary.currencies) == (12, 1, 1, ["DKK"])
    assert summary.classes["matched_exact"] == (7, D("363.40"))   # 100 - 30 - 50 - 300 + 300 + 298.40 + 45
    assert summary.classes["ambiguous"] == (1, D("75.00"))
    assert summary.classes["fee"] == (1, D("-5.00"))
    assert summary.fees == D("18.15") and summary.differences == D("-0.40")
    assert summary.review == 4          # twins, unknown, review-mode match, refund without credit note
    assert summary.unmatched_invoices == (1, D("60.00"))
    assert summary.to_json()["classes"]["partial"] == {"lines": 1, "amount": "150.0000"}


def test_rendered_table_names_every_class(con, kit):
    _matched(con, kit)
    console = Console(record=True, width=120)
    render(summarize(con), console, title="PayMatch test")
    text = console.export_text()
    for word in ("matched_exact", "matched_within_tolerance", "partial", "ambiguous", "unmatched_payout_line",
                 "unmatched_invoice", "fee", "net to bank", "need review"):
        assert word in text


def test_per_line_csv(con, kit, tmp_path):
    _matched(con, kit)
    path = write_lines(con, tmp_path / "out" / "lines.csv", rule_version="abc123")
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 13                                      # 12 lines + the unpaid invoice
    by_ref = {r["line_ref"]: r for r in rows if r["line_ref"]}
    tolerance = by_ref["txn_tolerance"]
    assert (tolerance["class"], tolerance["invoice_number"], tolerance["amount"], tolerance["difference"],
            tolerance["rule"], tolerance["rule_version"]) == ("matched_within_tolerance", "1012", "99.60", "-0.40",
                                                              "order_ref", "abc123")
    assert tolerance["where"].endswith("stripe_itemized.csv:11")
    assert rows[-1]["class"] == "unmatched_invoice" and rows[-1]["invoice_number"] == "1011"


def test_per_line_json_keeps_money_exact(con, kit, tmp_path):
    _matched(con, kit)
    path = write_lines(con, tmp_path / "lines.json", rule_version="abc123", fmt="json")
    rows = json.loads(path.read_text())
    sale = next(r for r in rows if r["line_ref"] == "txn_sale")
    assert (sale["amount"], sale["fee"], sale["class"], sale["invoice_number"]) == ("100.00", "1.75", "matched_exact", 1001)
    assert sale["review"] is False
