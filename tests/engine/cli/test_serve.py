"""``iex serve``: webhook deliveries a crashed process accepted into the inbox are processed at
start, in arrival order, before the port accepts new ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from engine.cli import cli
from engine.state import open_store

RECIPE = """\
iex: 1
name: serve-test
version: "1.0.0"
connections:
  shop: {connector: files}
  out: {connector: files}
flows:
  orders:
    source: {connection: shop, stream: records}
    trigger: {webhook: true}
    key: to_string(id)
    steps:
      - name: export
        action: out.write_records
        input: {file: orders.jsonl, records: [{order: "{{ record.id }}", note: "{{ record.note }}"}]}
"""
INSTANCE = """\
iex: 1
state: {path: state.sqlite}
integrations:
  shop:
    recipe: recipe.yaml
    connections:
      shop: {folder: "{root}/inbox"}
      out: {output_folder: "{root}/out"}
"""


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    (tmp_path / "recipe.yaml").write_text(RECIPE)
    (tmp_path / "iex.yaml").write_text(INSTANCE.replace("{root}", tmp_path.as_posix()))
    (tmp_path / "inbox").mkdir()
    store = open_store(tmp_path / "state.sqlite")
    try:   # accepted by a process that died before it processed them
        for order_id, note in ((30, "first"), (10, "second"), (20, "third")):
            store.inbox_add("shop", "orders", str(order_id), {"id": order_id, "note": note})
    finally:
        store.close()
    return tmp_path / "iex.yaml"


def test_serve_processes_the_inbox_left_by_a_crash_before_it_listens(
        instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at_listen: dict[str, Any] = {}

    def listen(app: Any, **options: Any) -> None:
        """Instead of serving: what a new delivery would find at the moment the port opens."""
        store = open_store(instance.parent / "state.sqlite")
        try:
            at_listen["inbox"] = store.inbox_pending("shop", "orders")
        finally:
            store.close()
        output = instance.parent / "out" / "orders.jsonl"
        at_listen["written"] = output.read_text().splitlines() if output.exists() else []

    monkeypatch.setattr(uvicorn, "run", listen)
    result = CliRunner().invoke(cli, ["serve", "-i", str(instance), "--port", "8765", "--concurrency", "1"])
    assert result.exit_code == 0, result.output
    assert at_listen["inbox"] == []
    assert [(row["order"], row["note"]) for row in map(json.loads, at_listen["written"])] == [
        (30, "first"), (10, "second"), (20, "third")]                 # arrival order, not key order
    assert "processed webhook deliveries left in the inbox of shop/orders" in result.output


def test_scheduled_iex_run_finishes_the_inbox_before_its_first_tick(
        instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.scheduler import Scheduler

    recipe = instance.parent / "recipe.yaml"
    recipe.write_text(recipe.read_text().replace("trigger: {webhook: true}", "trigger: {every: 1h, webhook: true}"))
    at_first_tick: dict[str, Any] = {}

    def run_forever(self: Scheduler, stop: Any) -> None:
        output = instance.parent / "out" / "orders.jsonl"
        at_first_tick["written"] = output.read_text().splitlines() if output.exists() else []

    monkeypatch.setattr(Scheduler, "run_forever", run_forever)
    result = CliRunner().invoke(cli, ["run", "-i", str(instance), "--concurrency", "1"])
    assert result.exit_code == 0, result.output
    assert [json.loads(row)["order"] for row in at_first_tick["written"]] == [30, 10, 20]
    assert "finished what the inbox held for: shop/orders" in result.output
