"""The Stripe connector against the sandbox: paging, cursor, minor units, auth errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import ConfigError, DataError

D = Decimal


def test_balance_transactions_of_a_payout_in_major_units(made):
    payout = made.payout([
        {"type": "charge", "amount": 10000, "fee": 175, "charge_id": "ch_1001", "metadata": {"order_id": "1001"}},
        {"type": "refund", "amount": -3000, "charge_id": "ch_1003"},
        {"type": "dispute", "amount": -5000, "fee": 1500, "charge_id": "ch_1007"},
        {"type": "stripe_fee", "amount": -500},
    ], currency="dkk", arrival_date="2024-03-08")
    records = list(made.connector(page_size=2).read("payout_lines", None, {"payout": payout["id"]}))
    by_type = {r.data["reporting_category"]: r.data for r in records}
    assert set(by_type) == {"charge", "refund", "dispute", "fee", "payout"}
    charge = by_type["charge"]
    assert (charge["amount"], charge["fee"], charge["net"]) == (D("100.00"), D("1.75"), D("98.25"))
    assert all(isinstance(r.data["amount"], Decimal) for r in records)
    assert (charge["charge_id"], charge["source_metadata"]) == ("ch_1001", {"order_id": "1001"})
    assert by_type["refund"]["charge_id"] == "ch_1003" and by_type["refund"]["source"].startswith("re_")
    assert by_type["dispute"]["charge_id"] == "ch_1007"
    assert by_type["payout"]["amount"] == -(D("98.25") - D("30.00") - D("65.00") - D("5.00"))
    assert {r.data["payout_id"] for r in records} == {payout["id"]}
    assert records[0].data["payout_arrival_date"] == payout["arrival_date"]
    assert len({r.key for r in records}) == 5


def test_zero_decimal_currencies_have_no_minor_unit(made):
    payout = made.payout([{"type": "charge", "amount": 1500, "charge_id": "ch_jp"}], currency="jpy")
    (charge, _) = sorted(made.connector().read("payout_lines", None, {"payout": payout["id"]}),
                         key=lambda r: r.data["type"])
    assert charge.data["amount"] == D("1500")


def test_payouts_oldest_first_and_the_cursor_moves_on(made):
    first = made.payout([{"type": "charge", "amount": 100}], created="2024-03-01", arrival_date="2024-03-03")
    second = made.payout([{"type": "charge", "amount": 200}], created="2024-03-02", arrival_date="2024-03-04")
    connector = made.connector(page_size=1)
    records = list(connector.read("payouts", None, {}))
    assert [r.key for r in records] == [first["id"], second["id"]]
    assert records[1].data["amount"] == D("2.00")
    third = made.payout([{"type": "charge", "amount": 300}], created="2024-03-03", arrival_date="2024-03-05")
    again = list(connector.read("payouts", records[-1].cursor, {}))
    assert [r.key for r in again] == [third["id"]]


def test_only_paid_payouts_by_default(made):
    made.payout([{"type": "charge", "amount": 100}], status="in_transit")
    paid = made.payout([{"type": "charge", "amount": 100}])
    assert [r.key for r in made.connector().read("payouts", None, {})] == [paid["id"]]


def test_a_wrong_key_is_a_config_error_without_the_key(made):
    connector = made.connector(secret_key="sk_test_wrong_key_0123456789")
    with pytest.raises(ConfigError) as err:
        list(connector.read("payouts", None, {}))
    assert "Invalid API Key provided" in str(err.value)
    assert "sk_test_wrong_key_0123456789" not in str(err.value)


def test_an_unknown_payout_is_a_data_error(made):
    with pytest.raises(DataError, match="No such payout: 'po_missing'"):
        list(made.connector().read("payout_lines", None, {"payout": "po_missing"}))


def test_a_manual_payout_cannot_be_itemised(made):
    payout = made.payout([{"type": "charge", "amount": 100}], automatic=False)
    with pytest.raises(Exception, match="only be filtered on automatic"):
        list(made.connector().read("payout_lines", None, {"payout": payout["id"]}))


def test_the_payout_option_is_required(made):
    with pytest.raises(ConfigError, match="needs option payout"):
        list(made.connector().read("payout_lines", None, {}))
