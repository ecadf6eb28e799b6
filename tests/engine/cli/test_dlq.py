"""``iex dlq``: listing and showing dead letters only reads the state, so it needs no secrets;
retrying sends again and resolves them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.errors import DataError
from engine.state import StepKey, open_store

RECIPE = """\
iex: 1
name: dlq-test
version: "1.0.0"
connections:
  economic: {connector: economic}
flows:
  invoices:
    source: {connection: economic, stream: booked_invoices}
    key: to_string(bookedInvoiceNumber)
    steps:
      - name: pdf
        action: economic.get_invoice_pdf
        input: {bookedInvoiceNumber: "{{ record.bookedInvoiceNumber }}", path: out.pdf}
"""
INSTANCE = """\
iex: 1
state: {path: state.sqlite}
integrations:
  books:
    recipe: recipe.yaml
    connections:
      economic: {app_secret_token: "${env:IEX_TEST_DLQ_APP}", agreement_grant_token: "${file:secrets/grant}"}
"""


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("IEX_TEST_DLQ_APP", raising=False)       # neither secret exists on this machine
    (tmp_path / "recipe.yaml").write_text(RECIPE)
    (tmp_path / "iex.yaml").write_text(INSTANCE)
    store = open_store(tmp_path / "state.sqlite")
    try:
        store.dead_letter(StepKey("books", "invoices", "20001", "pdf"),
                          DataError("the invoice has no PDF yet", field_path="bookedInvoiceNumber"),
                          record={"bookedInvoiceNumber": 20001}, payload_hash="h", recipe_version="1.0.0",
                          recipe_digest="abc")
    finally:
        store.close()
    return tmp_path / "iex.yaml"


def test_list_and_show_read_the_state_without_the_secrets(instance: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["dlq", "list", "-i", str(instance)])
    assert listed.exit_code == 0, listed.output
    assert "books/invoices record 20001 step pdf [data, field bookedInvoiceNumber]" in listed.output
    shown = runner.invoke(cli, ["dlq", "show", "1", "-i", str(instance)])
    assert shown.exit_code == 0, shown.output
    assert "the invoice has no PDF yet" in shown.output and '"bookedInvoiceNumber": 20001' in shown.output


def test_retry_still_needs_the_secrets(instance: Path) -> None:
    retried = CliRunner().invoke(cli, ["dlq", "retry", "1", "-i", str(instance)])
    assert retried.exit_code == 2
    assert "cannot resolve the secrets" in retried.output and "IEX_TEST_DLQ_APP" in retried.output


def test_a_broken_instance_file_is_still_reported(instance: Path) -> None:
    instance.write_text(instance.read_text().replace("recipe: recipe.yaml", "recipe: missing.yaml"))
    listed = CliRunner().invoke(cli, ["dlq", "list", "-i", str(instance)])
    assert listed.exit_code == 2 and "missing.yaml" in listed.output


def test_list_marks_a_letter_whose_record_is_queued_for_the_next_run(instance: Path) -> None:
    store = open_store(instance.parent / "state.sqlite")
    try:   # what a retry that a 503 interrupted leaves behind
        store.inbox_add("books", "invoices", "20001", {"bookedInvoiceNumber": 20001})
    finally:
        store.close()
    listed = CliRunner().invoke(cli, ["dlq", "list", "-i", str(instance)])
    assert listed.exit_code == 0, listed.output
    assert "record 20001 step pdf [data, field bookedInvoiceNumber]" in listed.output
    assert "(queued: the next `iex run` takes it up)" in listed.output
