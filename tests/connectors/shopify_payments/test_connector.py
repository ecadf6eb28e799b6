"""The Shopify Payments connector against the sandbox: Link paging, the leaky bucket, the cursor,
exact decimals, auth errors, and a payout's lines through PayMatch."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from engine.errors import ConfigError, DataError
from engine.paymatch import invoices, load_document, load_format, match, rules_from_settings
from engine.sandbox import build, serve_in_thread

D = Decimal


def _lines(made, payout_id, **settings):
    return [r.data for r in made.connector(**settings).read("payout_lines", None, {"payout": str(payout_id)})]


def test_balance_transactions_of_a_payout_page_through_link_headers(made):
    made.payout([{"type": "charge", "amount": "100.00", "fee": "2.15", "source_order_id": 1001,
                  "source_order_transaction_id": 7001}], date="2024-03-01")
    payout = made.payout([
        {"type": "charge", "amount": "199.00", "fee": "3.00", "source_order_id": 5001, "source_order_transaction_id": 9001},
        {"type": "charge", "amount": "50.00", "fee": "1.00", "source_order_id": 5002, "source_order_transaction_id": 9002},
        {"type": "refund", "amount": "-30.00", "source_order_id": 5003, "source_order_transaction_id": 9003},
        {"type": "dispute", "amount": "-20.00", "fee": "15.00", "source_order_id": 5004},
    ], date="2024-03-06")["payout"]
    lines = _lines(made, payout["id"], page_size=2)
    assert len(lines) == 5 and {line["payout_id"] for line in lines} == {payout["id"]}
    charge = next(line for line in lines if line["source_order_id"] == 5001)
    assert (charge["amount"], charge["fee"], charge["net"]) == (D("199.00"), D("3.00"), D("196.00"))
    assert all(isinstance(line["amount"], Decimal) for line in lines)
    paid_out = next(line for line in lines if line["type"] == "payout")
    assert paid_out["amount"] == -(D("196.00") + D("49.00") - D("30.00") - D("35.00")) == -D(payout["amount"])
    assert {line["payout_date"] for line in lines} == {"2024-03-06"}


def test_payouts_oldest_first_and_the_cursor_moves_on(made):
    first = made.payout([{"type": "charge", "amount": "1.00"}], date="2024-03-01")["payout"]
    second = made.payout([{"type": "charge", "amount": "2.00"}], date="2024-03-02")["payout"]
    made.payout([{"type": "charge", "amount": "9.00"}], date="2024-03-02", status="in_transit")
    connector = made.connector(page_size=1)
    records = list(connector.read("payouts", None, {}))
    assert [r.key for r in records] == [str(first["id"]), str(second["id"])]
    assert records[1].data["amount"] == D("2.00") and isinstance(records[1].data["amount"], Decimal)
    third = made.payout([{"type": "charge", "amount": "3.00"}], date="2024-03-02")["payout"]
    again = list(connector.read("payouts", records[-1].cursor, {}))
    assert [r.key for r in again] == [str(third["id"])]
    assert list(connector.read("payouts", again[-1].cursor, {})) == []


def test_a_full_bucket_answers_429_with_retry_after_and_the_client_waits(kit):
    with serve_in_thread(build("shopify_payments", {"bucket_size": 2, "leak_rate": 40})) as server:
        made = kit(server.url)
        payout = made.payout([{"type": "charge", "amount": f"{n}.00"} for n in range(1, 8)], date="2024-03-06")
        connector = made.connector(page_size=1)
        lines = [r.data for r in connector.read("payout_lines", None, {"payout": str(payout["payout"]["id"])})]
        assert len(lines) == 8
        assert connector.runtime.metrics["http.shopify.retries"] > 0     # 429s were answered and waited out
        import httpx

        answer = httpx.get(f"{server.url}/admin/api/2024-10/shopify_payments/payouts.json",
                           headers={"X-Shopify-Access-Token": made.connector().settings["access_token"].reveal()})
        assert answer.headers["X-Shopify-Shop-Api-Call-Limit"].endswith("/2")


def test_a_wrong_token_is_a_config_error_in_shopifys_words_without_the_token(made):
    connector = made.connector(access_token="shpat_wrong_0123456789")
    with pytest.raises(ConfigError) as err:
        list(connector.read("payouts", None, {}))
    assert "Invalid API key or access token" in str(err.value)
    assert "shpat_wrong_0123456789" not in str(err.value)


def test_an_unknown_payout_is_a_data_error(made):
    with pytest.raises(DataError, match="Not Found"):
        _lines(made, 999)


def test_an_unserved_api_version_is_refused(made):
    with pytest.raises(DataError, match="Not Found"):
        list(made.connector(api_version="2019-04").read("payouts", None, {}))


def test_a_payouts_lines_are_classified_by_paymatch(made):
    payout = made.payout([
        {"type": "charge", "amount": "199.00", "fee": "3.00", "source_order_id": 5001, "source_order_transaction_id": 9001},
        {"type": "charge", "amount": "99.00", "fee": "2.00", "source_order_id": 5002, "source_order_transaction_id": 9002},
        {"type": "charge", "amount": "10.00", "fee": "0.50", "source_order_id": 5999, "source_order_transaction_id": 9999},
    ], date="2024-03-06")["payout"]
    connector = made.connector()
    records = [r.data for r in connector.read("payout_lines", None, {"payout": str(payout["id"])})]
    con = duckdb.connect()
    loaded = load_document(con, {"data": records}, load_format(connector.payout_format), source="payout")
    assert loaded.bad == []
    invoices.create_table(con, [
        invoices.InvoicePayment(invoice_number=1, customer_number=1, order_ref="5001", transaction_id="9001",
                                amount=D("199.00"), currency="DKK", date=date(2024, 3, 4), remainder=D("199.00")),
        invoices.InvoicePayment(invoice_number=2, customer_number=1, order_ref="5002", transaction_id="9002",
                                amount=D("199.00"), currency="DKK", date=date(2024, 3, 4), remainder=D("199.00")),
    ])
    match(con, rules_from_settings(None))
    classes = dict(con.execute("SELECT transaction_id, class FROM match_results WHERE transaction_id IS NOT NULL").fetchall())
    assert classes == {"9001": "matched_exact", "9002": "partial", "9999": "unmatched_payout_line"}
    assert con.execute("SELECT class, amount FROM match_results WHERE type = 'payout'").fetchone() == (
        "payout", -D("302.50"))
