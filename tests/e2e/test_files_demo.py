"""The demo end to end: the example CSV through the files recipe, twice, and the CLI on it."""

import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from engine.cli import cli
from engine.demo import run_demo
from engine.state import open_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e") / "demo"
    out = io.StringIO()
    result = run_demo(folder, Console(file=out, width=120), progress=False)
    return result, out.getvalue()


def test_first_run_writes_each_order_once_with_exact_amounts(demo):
    result, _ = demo
    counts = result.first.flows["orders-export/orders"]
    assert (counts.seen, counts.filtered, sum(counts.done.values()), dict(counts.dead)) == (7, 1, 5, {"data": 1})
    lines = [json.loads(line, parse_float=Decimal) for line in result.output.read_text(encoding="utf-8").splitlines()]
    by_order = {line["order_number"]: line for line in lines}
    assert sorted(by_order) == ["10001", "10002", "10004", "10006", "10007"]      # 10003 cancelled, 10005 broken
    assert by_order["10001"]["customer"] == "Søren Ærø ApS" and by_order["10001"]["country"] == "DK"
    assert (by_order["10001"]["net"], by_order["10001"]["gross"]) == (Decimal("1234.50"), Decimal("1543.13"))
    assert by_order["10004"]["net"] == Decimal("12000.00")
    assert all(line["vat_as_expected"] for line in lines)
    assert len({line["iex_key"] for line in lines}) == 5


def test_the_same_export_again_sends_nothing(demo):
    result, text = demo
    counts = result.second.flows["orders-export/orders"]
    assert sum(counts.done.values()) == 0 and counts.already_done == 5 and counts.already_dead == 1
    assert len(result.output.read_text(encoding="utf-8").splitlines()) == 5
    assert "5 orders, each written once" in text


def test_the_broken_row_is_one_dead_letter_with_file_and_line(demo):
    result, _ = demo
    [letter] = result.dead_letters
    assert (letter.record_key, letter.step, letter.field_path) == ("10005", "(read)", "net")
    assert letter.message.startswith("orders.csv:6: '1.2x4,00' is not a number")
    assert letter.who.startswith("customer")
    assert (result.folder / "inbox" / "failed" / "orders.csv").exists()     # settled, then moved aside


def test_cli_on_the_demo_instance(demo):
    result, _ = demo
    instance = str(result.folder / "iex.yaml")
    runner = CliRunner()
    listed = runner.invoke(cli, ["dlq", "list", "-i", instance])
    assert listed.exit_code == 0
    assert "record 10005 step (read) [data, field net]" in listed.output and "who acts: customer" in listed.output
    shown = runner.invoke(cli, ["dlq", "show", "1", "-i", instance])
    assert '"net": "1.2x4,00"' in shown.output and "digest" in shown.output
    retried = runner.invoke(cli, ["dlq", "retry", "1", "-i", instance])
    assert "nothing to retry" in retried.output and "open dead letters now: 1" in retried.output
    planned = runner.invoke(cli, ["plan", "-i", instance])
    assert planned.exit_code == 0 and "nothing to do" in planned.output
    again = runner.invoke(cli, ["run", "--once", "--no-progress", "-i", instance])
    assert again.exit_code == 0 and "Run summary" in again.output
    assert (result.folder / "inbox" / "failed" / "orders-again.csv").exists()   # moved when this read started


def test_a_second_runner_is_refused_while_one_holds_the_instance(demo):
    result, _ = demo
    store = open_store(result.folder / "state.sqlite")
    try:
        with store.lock("iex serve"):
            refused = CliRunner().invoke(cli, ["run", "--once", "-i", str(result.folder / "iex.yaml")])
    finally:
        store.close()
    assert refused.exit_code == 75
    assert "another iex process is working on this instance" in refused.output
    assert "iex serve" in refused.output


def test_files_demo_entry_point(tmp_path):
    done = subprocess.run([sys.executable, "-m", "engine.demo", "--files"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "5 orders, each written once" in done.stdout
    assert (tmp_path / ".iex" / "demo" / "out" / "orders.jsonl").exists()
