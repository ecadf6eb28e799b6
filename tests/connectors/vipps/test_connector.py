"""The Vipps MobilePay connector against the sandbox: token and subscription-key errors, cursor
paging of the funds feed and of a day, minor units to Decimal, and a day's entries through PayMatch."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from engine.errors import ConfigError
from engine.paymatch import invoices, load_document, load_format, match, rules_from_settings
from engine.secrets import Secret

D = Decimal


def _lines(connector, payout):
    return [r.data for r in connector.read("payout_lines", None, {"payout": payout})]


def test_a_ledger_days_entries_in_major_units_page_by_page(made):
    made.day("2024-03-03", [{"entryType": "capture", "amount": 5000, "reference": "999"}])
    day = made.day("2024-03-04", [
        {"entryType": "capture", "amount": 19900, "pspReference": "p1", "reference": "5001"},
        {"entryType": "fees-retained", "amount": -199, "pspReference": "p1", "reference": "5001"},
        {"entryType": "refund", "amount": -3000, "pspReference": "p2", "reference": "5003"},
    ])
    lines = _lines(made.connector(page_size=2), day["payout_id"])
    assert [(x["entryType"], x["amount"]) for x in lines] == [
        ("capture", D("199.00")), ("fees-retained", D("-1.99")), ("refund", D("-30.00")),
        ("payout-scheduled", D("-167.01"))]
    assert all(isinstance(x["amount"], Decimal) for x in lines)
    assert {x["payout_id"] for x in lines} == {"302321:2024-03-04"}
    assert _lines(made.connector(), "2024-03-04") == lines       # the only ledger may be left out


def test_payouts_come_from_the_feed_and_the_cursor_moves_on(made):
    made.day("2024-03-01", [{"entryType": "capture", "amount": 1000}])
    made.day("2024-03-02", [{"entryType": "capture", "amount": 2000}, {"entryType": "refund", "amount": -500}])
    made.day("2024-03-03", [{"entryType": "capture", "amount": 700}], payout=False)
    connector = made.connector(page_size=2)
    found = list(connector.read("payouts", None, {}))
    payouts = [r for r in found if r.data is not None]
    assert [(r.key, r.data["amount"]) for r in payouts] == [("302321:2024-03-01", D("10.00")),
                                                          ("302321:2024-03-02", D("15.00"))]
    assert all(isinstance(r.data["amount"], Decimal) for r in payouts)
    last = found[-1].cursor
    made.day("2024-03-04", [{"entryType": "capture", "amount": 300}])
    again = [r.key for r in connector.read("payouts", last, {}) if r.data is not None]
    assert again == ["302321:2024-03-04"]
    resumed = [r.key for r in connector.read("payouts", payouts[0].cursor, {}) if r.data is not None]
    assert resumed == ["302321:2024-03-02", "302321:2024-03-04"]    # a crash after the first payout


def test_a_wrong_client_secret_is_a_config_error_without_the_secret(made):
    connector = made.connector(client_secret=Secret("not-the-secret-123", "${env:X}"))
    with pytest.raises(ConfigError) as err:
        list(connector.read("payouts", None, {}))
    assert "Invalid client secret" in str(err.value) and "not-the-secret-123" not in str(err.value)


def test_a_wrong_subscription_key_is_a_config_error(made):
    connector = made.connector(subscription_key=Secret("wrong-subscription-key", "${env:Y}"))
    with pytest.raises(ConfigError, match="invalid subscription key"):
        list(connector.read("payouts", None, {}))


def test_an_unknown_ledger_is_named(made):
    with pytest.raises(ConfigError, match="do not reach ledger 999"):
        _lines(made.connector(), "999:2024-03-04")


def test_a_day_without_entries_is_empty_and_a_bad_day_is_refused(made):
    assert _lines(made.connector(), "2024-01-01") == []
    with pytest.raises(ConfigError, match="ledgerId:YYYY-MM-DD"):
        _lines(made.connector(), "302321:yesterday")


def test_a_days_entries_are_classified_by_paymatch(made):
    day = made.day("2024-03-04", [
        {"entryType": "capture", "amount": 19900, "pspReference": "p1", "reference": "5001"},
        {"entryType": "fees-retained", "amount": -199, "pspReference": "p1", "reference": "5001"},
        {"entryType": "capture", "amount": 9900, "pspReference": "p2", "reference": "5002"},
        {"entryType": "refund", "amount": -3000, "pspReference": "p3", "reference": "5003"},
    ])
    connector = made.connector()
    con = duckdb.connect()
    loaded = load_document(con, {"data": _lines(connector, day["payout_id"])}, load_format(connector.payout_format),
                           source="payout")
    assert loaded.bad == []
    invoices.create_table(con, [
        invoices.InvoicePayment(1, 1, "5001", None, D("199.00"), "DKK", date(2024, 3, 3), D("199.00")),
        invoices.InvoicePayment(2, 1, "5002", None, D("199.00"), "DKK", date(2024, 3, 3), D("199.00")),
        invoices.InvoicePayment(3, 1, "5003", None, D("-30.00"), "DKK", date(2024, 3, 3), D("-30.00")),
    ])
    match(con, rules_from_settings(None))
    classes = {(r[0], r[1]): r[2] for r in con.execute(
        "SELECT order_ref, type, class FROM match_results WHERE order_ref IS NOT NULL").fetchall()}
    assert classes == {("5001", "charge"): "matched_exact", ("5001", "fee"): "fee", ("5002", "charge"): "partial",
                       ("5003", "refund"): "matched_exact"}
    assert con.execute("SELECT amount FROM match_results WHERE type = 'payout'").fetchone() == (-D("266.01"),)


def test_server_errors_and_dropped_connections_are_retried_to_the_same_lines(made):
    from engine.sandbox import build, serve_in_thread

    with serve_in_thread(build("vipps", {"fault_rate": 0.3, "fault_kinds": "500,503,drop", "seed": 11})) as flaky:
        other = type(made)(flaky.url)
        day = other.day("2024-03-04", [{"entryType": "capture", "amount": 100 * n, "pspReference": f"p{n}"}
                                       for n in range(1, 9)])
        connector = other.connector(page_size=2)
        lines = _lines(connector, day["payout_id"])
        assert [x["pspReference"] for x in lines[:-1]] == [f"p{n}" for n in range(1, 9)]
        assert lines[-1]["amount"] == -D("36.00")
        assert connector.runtime.metrics["http.vipps.retries"] > 0
