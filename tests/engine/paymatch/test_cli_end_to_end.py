"""`iex paymatch` end to end: invoices booked in the e-conomic sandbox, the orders paid through a
generated Stripe payout in the Stripe sandbox, the payout reconciled and posted by the command,
and what e-conomic holds afterwards (remainders, accounts). A second run posts nothing."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.sandbox import build, serve_in_thread
from engine.state import StepKey, open_store

from connectors.economic.testing import SANDBOX_APP_SECRET, SANDBOX_GRANT, Probe, context, sandbox_connector
from connectors.stripe.sandbox import DEFAULT_SECRET_KEY

D = Decimal
TODAY = "2024-06-01"

RECIPE = """\
iex: 1
name: shop-paymatch
version: "1.0.0"
description: Stripe payouts reconciled against the shop's booked invoices
settings:
  properties:
    paymatch: {type: object, title: PayMatch, description: Payout matching and posting (engine.paymatch settings schema)}
connections:
  economic: {connector: economic}
  stripe: {connector: stripe}
flows:
  payouts:
    description: Paid Stripe payouts
    source: {connection: stripe, stream: payouts}
    key: id
    steps:
      - name: note
        action: economic.post_vouchers
        input:
          fields:
            journalNumber: 2
            vouchers: []
"""


def _instance(folder: Path, economic_url: str, stripe_url: str, **paymatch: Any) -> Path:
    settings = {
        "format": "stripe_balance",
        "journal": {"number": 2, "book": True},
        "accounts": {"bank": 5820, "clearing": 5830, "fees": 7220, "errors": 7260, "suspense": 7260},
        "rules": [{"by": "transaction_id", "tolerance": {"absolute": "0.50"}}, {"by": "order_ref"}],
        **paymatch,
    }
    (folder / "recipe.yaml").write_text(RECIPE)
    (folder / "iex.yaml").write_text(json.dumps({
        "iex": 1, "state": {"path": "state.sqlite"},
        "integrations": {"shop": {
            "recipe": "recipe.yaml",
            "settings": {"paymatch": settings},
            "connections": {
                "economic": {"app_secret_token": "${env:ECO_APP}", "agreement_grant_token": "${env:ECO_GRANT}",
                             "base_url": economic_url},
                "stripe": {"secret_key": "${env:STRIPE_KEY}", "base_url": stripe_url},
            }}},
    }).replace('"0.50"', "0.50"))
    return folder / "iex.yaml"


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("ECO_APP", SANDBOX_APP_SECRET)
    monkeypatch.setenv("ECO_GRANT", SANDBOX_GRANT)
    monkeypatch.setenv("STRIPE_KEY", DEFAULT_SECRET_KEY)
    with serve_in_thread(build("economic", {"today": TODAY})) as economic, serve_in_thread(build("stripe")) as stripe:
        yield economic.url, stripe.url, tmp_path


def _book(eco, order: str, quantity: int) -> int:
    data = {
        "date": "2024-03-01", "currency": "DKK", "customer": {"customerNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1}, "layout": {"layoutNumber": 19},
        "recipient": {"name": "Tøj & Co", "vatZone": {"vatZoneNumber": 1}}, "references": {"other": order},
        "lines": [{"product": {"productNumber": "100"}, "description": "T-shirt", "quantity": D(quantity),
                   "unitNetPrice": D("159.20")}],
        "book": True,
    }
    return eco.create_invoice(data, context(order))["bookedInvoiceNumber"]


def _remainders(economic_url: str) -> dict[int, Decimal]:
    eco = sandbox_connector(economic_url)
    try:
        return {int(r.data["bookedInvoiceNumber"]): D(r.data["remainder"])
                for r in eco.read("booked_invoices", None, {})}
    finally:
        eco.close()


def _balances(economic_url: str, *accounts: int) -> dict[int, Decimal]:
    probe = Probe(economic_url)
    try:
        return {n: D(probe.get(f"/accounts/{n}")["balance"]) for n in accounts}
    finally:
        probe.close()


def _run(config: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["paymatch", "-c", str(config), *args], catch_exceptions=False)
    return result


def test_a_stripe_payout_settles_the_invoices_in_economic(world):
    economic_url, stripe_url, folder = world
    eco = sandbox_connector(economic_url)
    invoices = {order: _book(eco, order, quantity) for order, quantity in
                (("5001", 1), ("5002", 2), ("5003", 1), ("5004", 1))}
    eco.close()
    gross = _remainders(economic_url)
    assert gross[invoices["5001"]] == D("199.00") and gross[invoices["5002"]] == D("398.00")
    # the order flow's ledger: which order and Stripe charge became which invoice
    store = open_store(folder / "state.sqlite")
    for order, number in invoices.items():
        key = StepKey("shop", "orders", order, "invoice")
        store.ledger_pending(key, payload_hash="h", recipe_digest=None)
        store.ledger_done(key, result={"bookedInvoiceNumber": number}, reference=str(number), payload_hash="h",
                          recipe_digest=None)
        store.set_refs("shop", "orders", order, {"order_number": order, "transaction_id": f"ch_{order}"})
    store.close()
    # the shop's customers paid through Stripe: 5001 in full, 5002 half, 5004 20 øre short, 5003 not at all
    payout = httpx.post(f"{stripe_url}/_sandbox/payouts", json={
        "currency": "dkk", "created": "2024-03-01", "arrival_date": "2024-03-06", "transactions": [
            {"type": "charge", "amount": 19900, "fee": 300, "charge_id": "ch_5001", "metadata": {"order_id": "5001"}},
            {"type": "charge", "amount": 19900, "fee": 300, "charge_id": "ch_5002", "metadata": {"order_id": "5002"}},
            {"type": "charge", "amount": 19880, "fee": 300, "charge_id": "ch_5004", "metadata": {"order_id": "5004"}},
            {"type": "stripe_fee", "amount": -500},
        ]}).json()
    config = _instance(folder, economic_url, stripe_url)

    first = _run(config, "--payout", payout["id"], "--out", str(folder / "out"))
    assert first.exit_code == 0, first.output
    assert "posted 1 voucher(s) to journal 2 and booked it" in first.output

    after = _remainders(economic_url)
    assert after[invoices["5001"]] == D("0.00")
    assert after[invoices["5002"]] == D("199.00")
    assert after[invoices["5004"]] == D("0.00")             # 0.20 short, within tolerance: to the error account
    assert after[invoices["5003"]] == D("199.00")
    balances = _balances(economic_url, 5820, 5830, 7220, 7260)
    assert balances[5820] == D(payout["amount"]) / 100      # the bank got the payout
    assert balances[5830] == D("0.00")                      # the acquirer clearing account is closed
    assert balances[7220] == D("14.00")                     # 3 x 3.00 card fees + 5.00 Stripe fee
    assert balances[7260] == D("0.20")                      # what 5004 paid too little
    with (folder / "out" / f"paymatch-{payout['id']}.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    classes = {r["transaction_id"]: (r["class"], r["invoice_number"]) for r in rows if r["transaction_id"]}
    assert classes["ch_5001"] == ("matched_exact", str(invoices["5001"]))
    assert classes["ch_5002"] == ("partial", str(invoices["5002"]))
    assert classes["ch_5004"] == ("matched_within_tolerance", str(invoices["5004"]))
    assert classes["ch_5003"] == ("unmatched_invoice", str(invoices["5003"]))

    second = _run(config, "--payout", payout["id"], "--out", str(folder / "out"))
    assert second.exit_code == 0, second.output
    assert "posted 0 voucher(s)" in second.output
    assert _remainders(economic_url) == after


def _ledger(folder: Path, flow: str, key: str, step: str, number: int, refs: dict[str, str]) -> None:
    """What the runner keeps after ``flow``'s step ``step`` booked document ``number``."""
    store = open_store(folder / "state.sqlite")
    try:
        step_key = StepKey("shop", flow, key, step)
        store.ledger_pending(step_key, payload_hash="h", recipe_digest=None)
        store.ledger_done(step_key, result={"bookedInvoiceNumber": number}, reference=str(number), payload_hash="h",
                          recipe_digest=None)
        store.set_refs("shop", flow, key, refs)
    finally:
        store.close()


def test_a_refund_settles_the_credit_note_of_the_flow_named_in_the_settings(world):
    economic_url, stripe_url, folder = world
    eco = sandbox_connector(economic_url)
    invoice = _book(eco, "6001", 2)                      # 398.00
    note = _book(eco, "6001-r", -1)                      # a credit note of 199.00 for one returned T-shirt
    eco.close()
    assert _remainders(economic_url)[note] == D("-199.00")
    refs = {"order_number": "6001", "transaction_id": "ch_6001"}
    _ledger(folder, "sales", "6001", "invoice", invoice, refs)
    _ledger(folder, "returns", "r-1", "note", note, refs)
    payout = httpx.post(f"{stripe_url}/_sandbox/payouts", json={
        "currency": "dkk", "created": "2024-03-01", "arrival_date": "2024-03-06", "transactions": [
            {"type": "charge", "amount": 39800, "fee": 500, "charge_id": "ch_6001"},
            {"type": "refund", "amount": -19900, "fee": 0, "charge_id": "ch_6001"},
        ]}).json()
    config = _instance(folder, economic_url, stripe_url,
                       invoices={"flow": "sales", "credit_notes": {"flow": "returns", "step": "note"}})

    result = _run(config, "--payout", payout["id"], "--out", str(folder))
    assert result.exit_code == 0, result.output
    after = _remainders(economic_url)
    assert (after[invoice], after[note]) == (D("0.00"), D("0.00"))
    balances = _balances(economic_url, 5820, 5830, 7220)
    assert balances == {5820: D(payout["amount"]) / 100, 5830: D("0.00"), 7220: D("5.00")}


def test_dry_run_prints_the_vouchers_and_posts_nothing(world):
    economic_url, stripe_url, folder = world
    config = _instance(folder, economic_url, stripe_url, format="stripe_itemized")
    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "paymatch"
    result = _run(config, "--report", str(fixtures / "stripe_itemized.csv"), "--invoices",
                  str(fixtures / "invoices.csv"), "--dry-run", "--format", "json", "--out", str(folder))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout[result.stdout.index("{"):])
    assert printed["journalNumber"] == 2 and len(printed["vouchers"]) == 1
    assert "bad line" in result.output and "stripe_itemized.csv:14" in result.output
    lines = json.loads((folder / "paymatch-stripe_itemized.json").read_text())
    assert {r["class"] for r in lines} >= {"matched_exact", "unmatched_payout_line", "unmatched_invoice"}
    assert not (folder / "state.sqlite").exists() or _ledger_empty(folder / "state.sqlite")


def _ledger_empty(path: Path) -> bool:
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM paymatch_ledger").fetchone()[0] == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--report", "nope.csv", "--invoices", "nope.csv", "--dry-run"], "report file nope.csv does not exist"),
    (["--payout", "po_missing", "--dry-run", "--invoices", "x.csv"], "No such payout: 'po_missing'"),
])
def test_invalid_input_exits_1_with_a_located_message(world, args, message):
    economic_url, stripe_url, folder = world
    config = _instance(folder, economic_url, stripe_url)
    result = _run(config, *args)
    assert result.exit_code == 1
    assert message in result.output and "who acts: customer" in result.output


def test_wrong_settings_point_at_the_instance_file(world):
    economic_url, stripe_url, folder = world
    config = _instance(folder, economic_url, stripe_url, mode="itemized")
    result = _run(config, "--report", "x.csv", "--dry-run", "--invoices", "x.csv")
    assert result.exit_code == 1
    assert f"{config}:" in result.output and "'itemized' is not one of ['itemised', 'pooled']" in result.output


def test_report_or_payout_must_be_given(world):
    economic_url, stripe_url, folder = world
    config = _instance(folder, economic_url, stripe_url)
    result = _run(config)
    assert result.exit_code == 2 and "either --report FILE or --payout ID" in result.output
