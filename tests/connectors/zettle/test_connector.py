"""The Zettle connector against the sandbox: the assertion grant and its errors, offset paging,
payouts cut by PAYOUT rows, both spellings of the transaction uuid, and PayMatch on the lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from engine.errors import ConfigError, DataError
from engine.paymatch import invoices, load_document, load_format, match, rules_from_settings
from engine.secrets import Secret

D = Decimal


def _lines(connector, payout):
    return [r.data for r in connector.read("payout_lines", None, {"payout": payout})]


def _week(made):
    first = made.payout("2024-03-04T02:00:00Z", [
        {"type": "PAYMENT", "amount": 5000, "uuid": "z-0", "timestamp": "2024-03-01T10:00:00Z"}])
    second = made.payout("2024-03-07T02:00:00Z", [
        {"type": "PAYMENT", "amount": 19900, "uuid": "z-1", "timestamp": "2024-03-05T10:00:00Z"},
        {"type": "PAYMENT_FEE", "amount": -348, "uuid": "z-1", "timestamp": "2024-03-05T10:00:00Z"},
        {"type": "PAYMENT", "amount": -3000, "uuid": "z-2", "timestamp": "2024-03-05T12:00:00Z"},
        {"type": "PAYMENT_FEE", "amount": 52, "uuid": "z-2", "timestamp": "2024-03-05T12:00:00Z"},
        {"type": "FROZEN_FUNDS", "amount": -5000, "uuid": "z-3", "timestamp": "2024-03-06T08:00:00Z"},
    ])
    return first["payout"], second["payout"]


def test_a_payouts_lines_are_the_rows_since_the_previous_payout(made):
    first, second = _week(made)
    lines = _lines(made.connector(page_size=2), second)
    assert [(x["originatorTransactionType"], x["amount"]) for x in lines] == [
        ("PAYMENT", D("199.00")), ("PAYMENT_FEE", D("-3.48")), ("PAYMENT", D("-30.00")), ("PAYMENT_FEE", D("0.52")),
        ("FROZEN_FUNDS", D("-50.00")), ("PAYOUT", D("-116.04"))]
    assert {(x["payout_id"], x["payout_date"], x["currency"]) for x in lines} == {(second, "2024-03-07", "DKK")}
    assert [x["amount"] for x in _lines(made.connector(), first)] == [D("50.00"), D("-50.00")]


def test_payouts_oldest_first_and_the_cursor_moves_on(made):
    first, second = _week(made)
    connector = made.connector(page_size=1)
    found = list(connector.read("payouts", None, {}))
    assert [(r.key, r.data["amount"], r.data["date"]) for r in found] == [
        (first, D("50.00"), "2024-03-04"), (second, D("116.04"), "2024-03-07")]
    third = made.payout("2024-03-08T02:00:00Z", [{"type": "PAYMENT", "amount": 100}])["payout"]
    assert [r.key for r in connector.read("payouts", found[-1].cursor, {})] == [third]


@pytest.mark.parametrize("field", ["originatorTransactionUuid", "originatingTransactionUuid"])
def test_both_spellings_of_the_uuid_are_read(kit, field):
    with kit.sandbox({"uuid_field": field}) as server:
        made = kit.Made(server.url)
        _, second = _week(made)
        lines = _lines(made.connector(), second)
        assert all(field in x for x in lines) and len(lines) == 6
        con = duckdb.connect()
        loaded = load_document(con, {"data": lines}, load_format("zettle_finance"), source="payout")
        assert loaded.bad == []
        assert [r[0] for r in con.execute("SELECT transaction_id FROM payout_lines ORDER BY seq").fetchall()] == [
            "z-1", "z-1", "z-2", "z-2", "z-3", second]


def test_a_wrong_api_key_is_a_config_error_that_says_it_may_be_revoked(made):
    connector = made.connector(api_key=Secret("eyJ-not-the-key-0123", "${env:K}"))
    with pytest.raises(ConfigError) as err:
        list(connector.read("payouts", None, {}))
    assert "invalid_grant" in str(err.value) and "revoked" in str(err.value)
    assert "eyJ-not-the-key-0123" not in str(err.value)


def test_an_unknown_client_is_a_config_error(made):
    with pytest.raises(ConfigError, match="invalid_client|Unknown client"):
        list(made.connector(client_id="someone-else").read("payouts", None, {}))


def test_a_payout_outside_the_search_window_is_named(made):
    _week(made)
    with pytest.raises(DataError, match="no payout nope in the last 90 days"):
        _lines(made.connector(), "nope")


def test_a_payouts_rows_are_classified_by_paymatch(made):
    _, second = _week(made)
    connector = made.connector()
    con = duckdb.connect()
    loaded = load_document(con, {"data": _lines(connector, second)}, load_format(connector.payout_format),
                           source="payout")
    assert loaded.bad == []
    invoices.create_table(con, [
        invoices.InvoicePayment(1, 1, "7001", "z-1", D("199.00"), "DKK", date(2024, 3, 5), D("199.00")),
        invoices.InvoicePayment(2, 1, "7002", "z-2", D("-30.00"), "DKK", date(2024, 3, 5), D("-30.00")),
    ])
    match(con, rules_from_settings(None))
    classes = {(r[0], r[1]): r[2] for r in con.execute(
        "SELECT transaction_id, type, class FROM match_results").fetchall()}
    assert classes[("z-1", "charge")] == "matched_exact" and classes[("z-1", "fee")] == "fee"
    assert classes[("z-2", "refund")] == "matched_exact" and classes[("z-2", "fee")] == "fee"
    assert classes[("z-3", "chargeback")] == "unmatched_payout_line"
