"""The Clearhaus connector against the sandbox: client credentials, hypermedia links, HAL paging,
minor units to Decimal, settlement fee and payout lines, and PayMatch on a settlement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from engine.errors import ConfigError, DataError
from engine.paymatch import invoices, load_document, load_format, match, rules_from_settings
from engine.secrets import Secret

D = Decimal
WEEK = [
    {"type": "capture", "amount": 19900, "fee": 300, "reference": "5001", "id": "tx-1"},
    {"type": "capture", "amount": 9900, "fee": 150, "reference": "5002", "id": "tx-2"},
    {"type": "refund", "amount": 3000, "reference": "5003", "id": "tx-3"},
    {"type": "chargeback", "amount": 5000, "reference": "5004", "id": "tx-4"},
]


def _lines(connector, payout):
    return [r.data for r in connector.read("payout_lines", None, {"payout": payout})]


def test_a_settlements_lines_follow_its_transactions_link_page_by_page(made):
    settlement = made.settle(WEEK, period_end="2024-03-07", payout_date="2024-03-10", fees={"service": 500})
    lines = _lines(made.connector(page_size=2), settlement["id"])
    assert [(x["id"], x["type"], x["settlement"]["amount_gross"], x["settlement"]["fees"], x["settlement"]["amount_net"])
            for x in lines] == [
        ("tx-1", "capture", D("199.00"), D("3.00"), D("196.00")),
        ("tx-2", "capture", D("99.00"), D("1.50"), D("97.50")),
        ("tx-3", "refund", D("30.00"), D("0.00"), D("30.00")),
        ("tx-4", "chargeback", D("50.00"), D("0.00"), D("50.00")),
        (f"{settlement['id']}:fees", "settlement_fees", D("5.00"), D("0"), D("5.00")),
        (settlement["payout"]["reference_number"], "payout", D("208.50"), D("0"), D("208.50")),
    ]
    assert {(x["payout_id"], x["payout_date"]) for x in lines} == {(settlement["id"], "2024-03-10")}
    assert D(settlement["payout"]["amount"]) / 100 == D("208.50")


def test_settled_payouts_oldest_first_and_the_cursor_moves_on(made):
    late = made.settle(WEEK[:1], period_end="2024-03-14", payout_date="2024-03-17")
    early = made.settle(WEEK[1:2], period_end="2024-03-07", payout_date="2024-03-10")
    made.settle(WEEK[:1], period_end="2024-03-21", settled=False)
    connector = made.connector(page_size=1)
    found = list(connector.read("payouts", None, {}))
    assert [(r.key, r.data["date"], r.data["amount"]) for r in found] == [
        (early["id"], "2024-03-10", D("97.50")), (late["id"], "2024-03-17", D("196.00"))]
    newer = made.settle(WEEK[:2], period_end="2024-03-21", payout_date="2024-03-24")
    assert [r.key for r in connector.read("payouts", found[-1].cursor, {})] == [newer["id"]]


def test_wrong_client_credentials_are_a_config_error_without_the_secret(made):
    connector = made.connector(client_secret=Secret("not-the-secret-4711", "${env:X}"))
    with pytest.raises(ConfigError) as err:
        list(connector.read("payouts", None, {}))
    assert "Client authentication failed" in str(err.value) and "not-the-secret-4711" not in str(err.value)


def test_an_unknown_or_unsettled_settlement_is_a_data_error(made):
    with pytest.raises(DataError, match="Not found"):
        _lines(made.connector(), "no-such-settlement")
    open_one = made.settle(WEEK[:1], period_end="2024-03-21", settled=False)
    with pytest.raises(DataError, match="not settled yet"):
        _lines(made.connector(), open_one["id"])


def test_a_settlement_is_classified_by_paymatch(made):
    settlement = made.settle(WEEK, period_end="2024-03-07", payout_date="2024-03-10", fees={"service": 500})
    connector = made.connector()
    con = duckdb.connect()
    loaded = load_document(con, {"data": _lines(connector, settlement["id"])}, load_format(connector.payout_format),
                           source="payout")
    assert loaded.bad == []
    invoices.create_table(con, [
        invoices.InvoicePayment(1, 1, "5001", "tx-1", D("199.00"), "DKK", date(2024, 3, 5), D("199.00")),
        invoices.InvoicePayment(2, 1, "5002", "tx-2", D("199.00"), "DKK", date(2024, 3, 5), D("199.00")),
        invoices.InvoicePayment(3, 1, "5003", "tx-3", D("-30.00"), "DKK", date(2024, 3, 5), D("-30.00")),
    ])
    match(con, rules_from_settings(None))
    classes = dict(con.execute("SELECT line_ref, class FROM match_results").fetchall())
    assert {k: classes[k] for k in ("tx-1", "tx-2", "tx-3", "tx-4")} == {
        "tx-1": "matched_exact", "tx-2": "partial", "tx-3": "matched_exact", "tx-4": "unmatched_payout_line"}
    assert con.execute("SELECT sum(net) FROM payout_lines").fetchone() == (D("0"),)      # the payout closes it
