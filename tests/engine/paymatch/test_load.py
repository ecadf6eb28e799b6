"""Reports in every built-in format become canonical payout lines; bad lines are located and left out."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import DataError
from engine.paymatch import load_format, load_report

D = Decimal


def _by_ref(con) -> list[tuple]:
    return con.execute("SELECT line_ref, type, amount, fee, net FROM payout_lines ORDER BY seq").fetchall()


def test_stripe_itemized_major_units_signed(con, kit):
    loaded = kit.load_fixture(con, "stripe_itemized.csv")
    assert loaded.lines == 12
    assert [str(b) for b in loaded.bad] == [f"{kit.FIXTURES / 'stripe_itemized.csv'}:14: amount 'abc' is not a number"]
    rows = {r[0]: r[1:] for r in _by_ref(con)}
    assert rows["txn_sale"] == ("charge", D("100.00"), D("1.75"), D("98.25"))
    assert rows["txn_refund_cn"] == ("refund", D("-50.00"), D("0"), D("-50.00"))
    assert rows["txn_dispute_won"] == ("chargeback_reversal", D("300.00"), D("-15.00"), D("315.00"))
    assert rows["txn_radar"] == ("fee", D("-5.00"), D("0"), D("-5.00"))
    sale = con.execute("SELECT currency, payout_id, payout_date, date, transaction_id, order_ref FROM payout_lines "
                       "WHERE line_ref = 'txn_sale'").fetchone()
    assert sale[:2] == ("DKK", "po_A") and str(sale[2]) == "2024-03-08" and str(sale[3]) == "2024-03-01"
    assert sale[4:] == ("ch_1001", "1001")


def test_money_columns_are_decimal_not_double(con, kit):
    kit.load_fixture(con, "stripe_itemized.csv")
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'payout_lines'").fetchall())
    assert {types[c] for c in ("amount", "fee", "net", "original_amount")} == {"DECIMAL(18,4)"}
    for (amount,) in con.execute("SELECT amount FROM payout_lines").fetchall():
        assert isinstance(amount, Decimal)


def test_adyen_reads_debit_credit_columns_by_name(con, kit):
    loaded = kit.load_fixture(con, "adyen_settlement.csv")
    assert [b.message for b in loaded.bad] == ["type 'Mystery' is not in format adyen_settlement's type map (add it to `types`)"]
    assert loaded.bad[0].where.endswith("adyen_settlement.csv:8")
    rows = _by_ref(con)
    assert rows[0] == ("8815001/Settled/8815001/42", "charge", D("100.00"), D("1.80"), D("98.20"))
    assert rows[2] == ("8815003/Refunded/8815003R/42", "refund", D("-30.00"), D("0.10"), D("-30.10"))
    assert rows[3][1:3] == ("chargeback", D("-300.00"))
    assert [r[1] for r in rows[4:]] == ["fee", "fee", "payout"]
    eur = con.execute("SELECT amount, currency, original_amount, original_currency FROM payout_lines "
                      "WHERE transaction_id = '8815008'").fetchone()
    assert eur == (D("298.40"), "DKK", D("40.00"), "EUR")
    assert con.execute("SELECT -sum(net) FILTER (WHERE type <> 'payout'), sum(amount) FILTER (WHERE type = 'payout') "
                       "FROM payout_lines").fetchone() == (D("-42.10"), D("-42.10"))


def test_identical_batch_rows_stay_two_lines_with_stable_identities(con, kit):
    kit.load_fixture(con, "adyen_settlement.csv")
    first = con.execute("SELECT line_key FROM payout_lines WHERE type = 'fee' ORDER BY seq").fetchall()
    kit.load_fixture(con, "adyen_settlement.csv")
    again = con.execute("SELECT line_key FROM payout_lines WHERE type = 'fee' ORDER BY seq").fetchall()
    assert len(set(first)) == 2 and first == again


def test_clearhaus_unsigned_amounts_signed_by_type_with_settlement_lines(con, kit):
    loaded = kit.load_fixture(con, "clearhaus_settlement.json")
    assert loaded.bad == []
    assert _by_ref(con) == [
        ("ch-tx-1", "charge", D("100.00"), D("1.75"), D("98.25")),
        ("ch-tx-2", "charge", D("75.00"), D("0.75"), D("74.25")),
        ("ch-tx-3", "refund", D("-30.00"), D("0"), D("-30.00")),
        ("st-0001:fees", "fee", D("-5.00"), D("0"), D("-5.00")),
        ("CH-PAY-0001", "payout", D("-137.50"), D("0"), D("-137.50")),
    ]
    assert con.execute("SELECT DISTINCT payout_id, payout_date FROM payout_lines").fetchall() == [
        ("st-0001", __import__("datetime").date(2024, 3, 10))]


def test_vipps_funds_entries_and_unknown_entry_types(con, kit):
    loaded = kit.load_fixture(con, "vipps_funds.json")
    assert [str(b) for b in loaded.bad] == [
        f"{kit.FIXTURES / 'vipps_funds.json'} $.data[3]: type 'brand-new-type' is not in format vipps_funds's "
        "type map (add it to `types`)"]
    assert {r[0] for r in con.execute("SELECT payout_id FROM payout_lines").fetchall()} == {"302321:2024-03-04"}
    assert [(r[1], r[2]) for r in _by_ref(con)] == [
        ("charge", D("100.00")), ("fee", D("-1.00")), ("refund", D("-30.00")), ("payout", D("-69.00"))]


def test_vipps_portal_decimal_comma_and_semicolons(con, kit):
    kit.load_fixture(con, "vipps_portal.csv")
    assert [r[1:] for r in _by_ref(con)] == [
        ("charge", D("1250.00"), D("12.50"), D("1237.50")),
        ("refund", D("-30.00"), D("0"), D("-30.00")),
        ("payout", D("-1207.50"), D("0"), D("-1207.50")),
    ]


def test_zettle_signs_both_field_spellings_and_currency_from_settings(con, kit):
    loaded = kit.load_fixture(con, "zettle_finance.json", default_currency="DKK")
    assert loaded.bad == []
    rows = con.execute("SELECT transaction_id, type, amount FROM payout_lines ORDER BY seq").fetchall()
    assert rows == [("z-1", "charge", D("100.00")), ("z-1", "fee", D("-1.75")), ("z-2", "refund", D("-30.00")),
                    ("z-2", "fee", D("0.40")), ("z-3", "chargeback", D("-50.00")),
                    ("z-3", "chargeback_reversal", D("50.00")), ("z-po-1", "payout", D("-68.65"))]


def test_zettle_without_a_currency_says_where_to_give_it(con, kit):
    loaded = kit.load_fixture(con, "zettle_finance.json")
    assert loaded.lines == 0 and len(loaded.bad) == 7
    assert "set `currency` in the PayMatch settings" in loaded.bad[0].message


def test_shopify_payments_decimal_strings(con, kit):
    kit.load_fixture(con, "shopify_payments.json")
    rows = con.execute("SELECT line_ref, type, amount, fee, net, transaction_id, order_ref, payout_id "
                       "FROM payout_lines ORDER BY seq").fetchall()
    assert rows[0] == ("9001", "charge", D("100.00"), D("2.15"), D("97.85"), "7001", "1001", "555")
    assert rows[2][1:3] == ("chargeback", D("-20.00"))
    assert rows[3][1:3] == ("payout", D("-32.85"))


def test_stripe_api_and_report_give_the_same_line_the_same_identity(con, kit):
    kit.load_fixture(con, "stripe_balance.json")
    api = dict(con.execute("SELECT line_ref, line_key FROM payout_lines").fetchall())
    assert con.execute("SELECT type, payout_date FROM payout_lines WHERE line_ref = 'txn_po_A'").fetchone()[0] == "payout"
    kit.load_fixture(con, "stripe_itemized.csv")
    report = dict(con.execute("SELECT line_ref, line_key FROM payout_lines").fetchall())
    assert api["txn_sale"] == report["txn_sale"]
    assert api["txn_radar"] == report["txn_radar"]


def test_minor_units_must_be_whole(con, tmp_path):
    spec = tmp_path / "funds.yaml"
    spec.write_text(Path(load_format("vipps_funds").file).read_text()
                    .replace("units: major", "units: minor").replace("name: vipps_funds", "name: raw_funds"))
    path = tmp_path / "funds.json"
    path.write_text('{"data": [{"pspReference": "a", "entryType": "capture", "amount": 100.5, "currency": "DKK", '
                    '"ledgerDate": "2024-03-01"}, {"pspReference": "b", "entryType": "capture", "amount": 1500, '
                    '"currency": "JPY", "ledgerDate": "2024-03-01"}]}')
    loaded = load_report(con, path, load_format(spec))
    assert [b.message for b in loaded.bad] == ["amount '100.5' is not a whole number of minor units"]
    assert con.execute("SELECT amount FROM payout_lines").fetchall() == [(D("1500"),)]


def test_a_date_that_does_not_parse_is_a_bad_line(con, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category\n"
                    "t1,2024-03-01 10:00:00,dkk,1.00,0,1.00,charge\n"
                    "t2,01/03/2024,dkk,1.00,0,1.00,charge\n")
    loaded = load_report(con, path, load_format("stripe_itemized"))
    assert loaded.lines == 1
    assert [str(b) for b in loaded.bad] == [
        f"{path}:3: date '01/03/2024' does not match date format '%Y-%m-%d %H:%M:%S'"]


def test_net_that_contradicts_gross_and_fee_is_a_bad_line(con, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category\n"
                    "t1,2024-03-01 10:00:00,dkk,100.00,1.00,101.00,charge\n")
    loaded = load_report(con, path, load_format("stripe_itemized"))
    assert loaded.bad[0].message == "net 101.00 is not amount 100.00 minus fee 1.00 (check the format's sign settings)"


def test_a_missing_required_column_stops_with_the_header_line(con, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("balance_transaction_id,created_utc,currency,fee,reporting_category\nt1,2024-03-01,dkk,0,charge\n")
    with pytest.raises(DataError) as err:
        load_report(con, path, load_format("stripe_itemized"))
    assert str(err.value) == (f"{path}:1: the header has no column 'gross', 'net' that format stripe_itemized needs "
                              "(columns are matched by name, ignoring case)")


def test_a_file_that_is_not_json(con, tmp_path):
    path = tmp_path / "r.json"
    path.write_text("{nope")
    with pytest.raises(DataError, match="is not JSON"):
        load_report(con, path, load_format("shopify_payments"))
