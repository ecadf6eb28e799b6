"""``iex dlq``: listing and showing dead letters only reads the state, so it needs no secrets;
retrying sends again and resolves them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import secrets
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


def test_list_and_show_as_json_for_scripts(instance: Path) -> None:
    store = open_store(instance.parent / "state.sqlite")
    try:   # the retry sent the step once more and failed again: a second letter for the same step
        key = StepKey("books", "invoices", "20001", "pdf")
        store.mark_retried(1)
        store.ledger_pending(key, payload_hash="h", recipe_digest="abc")
        store.dead_letter(key, DataError("e-conomic refused token tok-9f8e7d6c5b4a", field_path="pdf"),
                          record={"bookedInvoiceNumber": 20001, "amount": Decimal("10.50")}, payload_hash="h",
                          recipe_version="1.0.0", recipe_digest="abc")
    finally:
        store.close()
    secrets.register("tok-9f8e7d6c5b4a")   # known to this process now: masked in any output
    runner = CliRunner()
    listed = runner.invoke(cli, ["dlq", "list", "--format", "json", "-i", str(instance)])
    assert listed.exit_code == 0, listed.output
    [letter] = json.loads(listed.output)
    first = json.loads(runner.invoke(cli, ["dlq", "list", "--all", "--format", "json", "-i", str(instance)]).output)[0]
    assert {k: letter[k] for k in ("id", "integration", "flow", "key", "step", "class", "field_path", "attempts",
                                   "closed", "queued", "recipe_version")} == {
        "id": 2, "integration": "books", "flow": "invoices", "key": "20001", "step": "pdf", "class": "data",
        "field_path": "pdf", "attempts": 1, "closed": None, "queued": False, "recipe_version": "1.0.0"}
    assert letter["reason"] == "e-conomic refused token ***"
    assert "tok-9f8e7d6c5b4a" not in listed.output
    assert letter["first_seen"] == first["created"] and letter["created"] >= first["created"]
    assert letter["who"].startswith("customer") and "record" not in letter
    shown = runner.invoke(cli, ["dlq", "show", "2", "--format", "json", "-i", str(instance)])
    assert shown.exit_code == 0, shown.output
    one = json.loads(shown.output, parse_float=Decimal)
    assert one["record"] == {"bookedInvoiceNumber": 20001, "amount": Decimal("10.50")} and '"amount": 10.50' in shown.output
    assert {k: one[k] for k in letter} == letter


def test_json_of_no_letters_is_an_empty_list_and_the_default_stays_text(instance: Path) -> None:
    runner = CliRunner()
    assert json.loads(runner.invoke(cli, ["dlq", "list", "--flow", "other", "--format", "json", "-i", str(instance)]).output) == []
    text = runner.invoke(cli, ["dlq", "list", "-i", str(instance)]).output
    assert text.startswith("#1 books/invoices record 20001")
    assert "--format [text|json]" in runner.invoke(cli, ["dlq", "list", "--help"]).output
