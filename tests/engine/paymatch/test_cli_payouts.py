"""`iex paymatch --payout ID` through every acquirer connection's sandbox, and `--new-payouts`:
each payout the connection paid since the last run is reconciled and posted once; a re-run
finds nothing new; a dry run moves no cursor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.sandbox import build, serve_in_thread
from engine.state import StepKey, open_store

from connectors.clearhaus.sandbox import DEFAULTS as CLEARHAUS
from connectors.economic.testing import SANDBOX_APP_SECRET, SANDBOX_GRANT, context, sandbox_connector
from connectors.shopify_payments.sandbox import DEFAULT_TOKEN as SHOPIFY_TOKEN
from connectors.vipps.sandbox import DEFAULTS as VIPPS
from connectors.zettle.sandbox import DEFAULTS as ZETTLE

D = Decimal
RECIPE = """\
iex: 1
name: acquirer-paymatch
version: "1.0.0"
description: Acquirer payouts reconciled against the shop's booked invoices
settings:
  properties:
    paymatch: {type: object, title: PayMatch, description: Payout matching and posting}
connections:
  economic: {connector: economic}
  acquirer: {connector: %s}
flows:
  payouts:
    description: Paid payouts
    source: {connection: acquirer, stream: payouts}
    key: id
    steps:
      - name: note
        action: economic.post_vouchers
        input:
          fields:
            journalNumber: 2
            vouchers: []
"""
INVOICES = ("invoice_number,customer_number,order_ref,transaction_id,amount,currency,date,remainder\n"
            "1,10,5001,{tx},199.00,DKK,{day},199.00\n")


def _instance(folder: Path, connector: str, acquirer: dict[str, Any], economic_url: str = "http://127.0.0.1:9",
              **paymatch: Any) -> Path:
    settings = {
        "journal": {"number": 2, "book": True},
        "accounts": {"bank": 5820, "clearing": 5830, "fees": 7220, "errors": 7260, "suspense": 7260},
        "rules": [{"by": "transaction_id", "tolerance": {"absolute": 1}}, {"by": "order_ref"}],
        "payouts": {"connection": "acquirer"},
        **paymatch,
    }
    (folder / "recipe.yaml").write_text(RECIPE % connector)
    (folder / "iex.yaml").write_text(json.dumps({
        "iex": 1, "state": {"path": "state.sqlite"},
        "integrations": {"shop": {
            "recipe": "recipe.yaml", "settings": {"paymatch": settings},
            "connections": {
                "economic": {"app_secret_token": "${env:ECO_APP}", "agreement_grant_token": "${env:ECO_GRANT}",
                             "base_url": economic_url},
                "acquirer": acquirer,
            }}},
    }))
    return folder / "iex.yaml"


def _run(config: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["paymatch", "-c", str(config), *args], catch_exceptions=False)


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(f"{url}/_sandbox/payouts", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


# -- one payout per connector: (settings for the connection, make a payout -> (id, paid tx, unknown tx, day)) --
def _clearhaus(url: str) -> tuple[dict[str, Any], Any]:
    def pay() -> tuple[str, str, str, str]:
        made = _post(url, {"period_end": "2024-03-07", "payout_date": "2024-03-10", "transactions": [
            {"type": "capture", "amount": 19900, "fee": 300, "reference": "5001", "id": "tx-A"},
            {"type": "capture", "amount": 5000, "reference": "5999", "id": "tx-B"}]})
        return made["id"], "tx-A", "tx-B", "2024-03-05"
    return {"client_id": CLEARHAUS["client_id"], "client_secret": "${env:ACQ_SECRET}", "base_url": url}, pay


def _vipps(url: str) -> tuple[dict[str, Any], Any]:
    def pay() -> tuple[str, str, str, str]:
        made = _post(url, {"ledgerDate": "2024-03-04", "entries": [
            {"entryType": "capture", "amount": 19900, "pspReference": "tx-A", "reference": "5001"},
            {"entryType": "capture", "amount": 5000, "pspReference": "tx-B", "reference": "5999"}]})
        return made["payout_id"], "tx-A", "tx-B", "2024-03-03"
    return {"client_id": VIPPS["client_id"], "client_secret": "${env:ACQ_SECRET}",
            "subscription_key": "${env:ACQ_KEY}", "base_url": url}, pay


def _zettle(url: str) -> tuple[dict[str, Any], Any]:
    def pay() -> tuple[str, str, str, str]:
        now = datetime.now(UTC).replace(microsecond=0)
        made = _post(url, {"timestamp": (now - timedelta(days=1)).isoformat(), "transactions": [
            {"type": "PAYMENT", "amount": 19900, "uuid": "tx-A", "timestamp": (now - timedelta(days=2)).isoformat()},
            {"type": "PAYMENT", "amount": 5000, "uuid": "tx-B", "timestamp": (now - timedelta(days=2)).isoformat()}]})
        return made["payout"], "tx-A", "tx-B", (now - timedelta(days=3)).date().isoformat()
    return {"client_id": ZETTLE["client_id"], "api_key": "${env:ACQ_SECRET}", "currency": "DKK", "base_url": url,
            "oauth_url": url}, pay


def _shopify(url: str) -> tuple[dict[str, Any], Any]:
    def pay() -> tuple[str, str, str, str]:
        made = _post(url, {"date": "2024-03-06", "transactions": [
            {"type": "charge", "amount": "199.00", "fee": "3.00", "source_order_id": 5001,
             "source_order_transaction_id": 9001},
            {"type": "charge", "amount": "50.00", "source_order_id": 5999, "source_order_transaction_id": 9002}]})
        return str(made["payout"]["id"]), "9001", "9002", "2024-03-03"
    return {"shop_url": url, "access_token": "${env:ACQ_SECRET}"}, pay


CONNECTORS = {"clearhaus": (_clearhaus, CLEARHAUS["client_secret"], None),
              "vipps": (_vipps, VIPPS["client_secret"], VIPPS["subscription_key"]),
              "zettle": (_zettle, ZETTLE["api_key"], None),
              "shopify_payments": (_shopify, SHOPIFY_TOKEN, None)}


@pytest.mark.parametrize("connector", sorted(CONNECTORS))
def test_payout_by_id_through_each_acquirer_sandbox(connector, tmp_path, monkeypatch):
    make, secret, key = CONNECTORS[connector]
    monkeypatch.setenv("ACQ_SECRET", secret)
    monkeypatch.setenv("ACQ_KEY", key or "unused")
    monkeypatch.setenv("ECO_APP", "unused-app-secret")
    monkeypatch.setenv("ECO_GRANT", "unused-grant")
    with serve_in_thread(build(connector)) as server:
        settings, pay = make(server.url)
        payout_id, paid, unknown, day = pay()
        config = _instance(tmp_path, connector, settings)
        (tmp_path / "invoices.csv").write_text(INVOICES.format(tx=paid, day=day))
        result = _run(config, "--payout", payout_id, "--dry-run", "--invoices", str(tmp_path / "invoices.csv"),
                      "--format", "json", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout[result.stdout.index("{"):])
    assert printed["journalNumber"] == 2 and len(printed["vouchers"]) == 1
    written = next(tmp_path.glob("paymatch-*.json"))
    classes = {r["transaction_id"]: r["class"] for r in json.loads(written.read_text()) if r["transaction_id"]}
    assert classes[paid] == "matched_exact" and classes[unknown] == "unmatched_payout_line"


def test_a_connection_that_reads_no_payouts_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("ECO_APP", "unused-app-secret")
    monkeypatch.setenv("ECO_GRANT", "unused-grant")
    monkeypatch.setenv("ACQ_SECRET", SHOPIFY_TOKEN)
    config = _instance(tmp_path, "shopify_payments", {"shop_url": "http://127.0.0.1:9", "access_token": "${env:ACQ_SECRET}"},
                       payouts={"connection": "economic"})
    result = _run(config, "--payout", "1", "--dry-run", "--invoices", "x.csv")
    assert result.exit_code == 1
    assert "connection 'economic' (connector economic) cannot read payouts" in result.output
    assert "who acts: customer" in result.output


# -- --new-payouts against e-conomic ----------------------------------------------------------------
@pytest.fixture
def shop(tmp_path, monkeypatch):
    """e-conomic with three booked invoices the order flow made, and a Shopify Payments store."""
    monkeypatch.setenv("ECO_APP", SANDBOX_APP_SECRET)
    monkeypatch.setenv("ECO_GRANT", SANDBOX_GRANT)
    monkeypatch.setenv("ACQ_SECRET", SHOPIFY_TOKEN)
    with serve_in_thread(build("economic", {"today": "2024-06-01"})) as economic, \
            serve_in_thread(build("shopify_payments")) as shopify:
        eco = sandbox_connector(economic.url)
        numbers = {}
        store = open_store(tmp_path / "state.sqlite")
        for order in ("5001", "5002", "5003"):
            numbers[order] = eco.create_invoice({
                "date": "2024-03-01", "currency": "DKK", "customer": {"customerNumber": 1},
                "paymentTerms": {"paymentTermsNumber": 1}, "layout": {"layoutNumber": 19},
                "recipient": {"name": "Tøj & Co", "vatZone": {"vatZoneNumber": 1}}, "references": {"other": order},
                "lines": [{"product": {"productNumber": "100"}, "description": "T-shirt", "quantity": D(1),
                           "unitNetPrice": D("159.20")}], "book": True}, context(order))["bookedInvoiceNumber"]
            key = StepKey("shop", "orders", order, "invoice")
            store.ledger_pending(key, payload_hash="h", recipe_digest=None)
            store.ledger_done(key, result={"bookedInvoiceNumber": numbers[order]}, reference=str(numbers[order]),
                              payload_hash="h", recipe_digest=None)
            store.set_refs("shop", "orders", order, {"order_number": order, "transaction_id": f"9{order}"})
        store.close()
        eco.close()
        config = _instance(tmp_path, "shopify_payments", {"shop_url": shopify.url, "access_token": "${env:ACQ_SECRET}",
                                                          "page_size": 1}, economic_url=economic.url)
        yield config, economic.url, shopify.url, numbers


def _pay(shopify_url: str, order: str, day: str) -> str:
    made = _post(shopify_url, {"date": day, "transactions": [
        {"type": "charge", "amount": "199.00", "fee": "3.00", "source_order_id": int(order),
         "source_order_transaction_id": int(f"9{order}")}]})
    return str(made["payout"]["id"])


def _remainders(economic_url: str) -> dict[int, Decimal]:
    eco = sandbox_connector(economic_url)
    try:
        return {int(r.data["bookedInvoiceNumber"]): D(r.data["remainder"]) for r in eco.read("booked_invoices", None, {})}
    finally:
        eco.close()


def test_new_payouts_are_each_reconciled_once_and_a_rerun_posts_nothing(shop, tmp_path):
    config, economic_url, shopify_url, numbers = shop
    first, second = _pay(shopify_url, "5001", "2024-03-04"), _pay(shopify_url, "5002", "2024-03-05")
    out = str(tmp_path / "out")

    dry = _run(config, "--new-payouts", "--dry-run", "--out", out)
    assert dry.exit_code == 0, dry.output
    assert "2 new payout(s) from connection acquirer (dry run: the cursor did not move)" in dry.output
    assert _remainders(economic_url)[numbers["5001"]] == D("199.00")

    run = _run(config, "--new-payouts", "--out", out)
    assert run.exit_code == 0, run.output
    assert run.output.count("posted 1 voucher(s) to journal 2 and booked it") == 2
    assert f"payout {first}" in run.output and f"payout {second}" in run.output
    assert "2 new payout(s) from connection acquirer; cursor paymatch/acquirer saved" in run.output
    after = _remainders(economic_url)
    assert (after[numbers["5001"]], after[numbers["5002"]], after[numbers["5003"]]) == (D("0.00"), D("0.00"), D("199.00"))
    assert (tmp_path / "out" / f"paymatch-{first}.csv").exists() and (tmp_path / "out" / f"paymatch-{second}.csv").exists()

    again = _run(config, "--new-payouts", "--out", out)
    assert again.exit_code == 0, again.output
    assert "0 new payout(s)" in again.output and "posted" not in again.output
    assert _remainders(economic_url) == after

    third = _pay(shopify_url, "5003", "2024-03-06")
    last = _run(config, "--new-payouts", "--out", out)
    assert last.exit_code == 0, last.output
    assert f"payout {third}" in last.output and "1 new payout(s)" in last.output
    assert _remainders(economic_url)[numbers["5003"]] == D("0.00")


def test_report_payout_and_new_payouts_exclude_each_other(shop):
    config = shop[0]
    result = _run(config, "--payout", "1", "--new-payouts")
    assert result.exit_code == 2 and "either --report FILE or --payout ID or --new-payouts" in result.output
