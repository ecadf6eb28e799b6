"""CSV reports read by DuckDB: exact numbers, signs, units and keys, and bad lines named by the
line an editor shows, whatever the file looks like (blank lines, quoted line breaks, encodings)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.paymatch import load_format, load_report
from engine.paymatch.load import line_key

D = Decimal

ACME = """\
paymatch_format: 1
name: acme_pay
source: {{kind: csv, delimiter: ";", encoding: {encoding}}}
numbers: {{decimal: ",", thousands: ".", units: {units}, sign: {sign}, fee_sign: cost_positive}}
date_format: "%d.%m.%Y"
identity: {{namespace: acme, fields: [Ref]}}
fields:
  line_id: Ref
  type: Kind
  amount: {amount}
  fee: Fee
  currency: Valuta
  date: Dato
  order_ref: Ordre
types:
  SALG: charge
  RETUR: refund
  GEBYR: fee
  UDBETALING: payout
"""


def _format(tmp_path, *, units="major", sign="signed", amount="Beløb", encoding="utf-8-sig"):
    spec_file = tmp_path / "acme.yaml"
    spec_file.write_text(ACME.format(units=units, sign=sign, amount=amount, encoding=encoding), encoding="utf-8")
    return load_format(spec_file)


def _rows(con):
    return con.execute("SELECT line_ref, type, amount, fee, net, currency, order_ref FROM payout_lines ORDER BY seq").fetchall()


def test_decimal_comma_thousands_signs_and_blanks_around_cells(con, tmp_path):
    report = tmp_path / "r.csv"
    report.write_text("Ref;Kind;Beløb;Fee;Valuta;Dato;Ordre\n"
                      "A1; SALG ;1.250,50;12,50; dkk;05.03.2024;#1001\n"
                      "A2;retur;\u221230,00;;DKK;06.03.2024;\n"
                      "A3;Salg;+5;0;DKK;06.03.2024;\t1003 \n", encoding="utf-8")
    loaded = load_report(con, report, _format(tmp_path))
    assert loaded.bad == []
    assert _rows(con) == [("A1", "charge", D("1250.50"), D("12.50"), D("1238.00"), "DKK", "#1001"),
                          ("A2", "refund", D("-30.00"), D("0"), D("-30.00"), "DKK", None),
                          ("A3", "charge", D("5"), D("0"), D("5"), "DKK", "1003")]
    assert con.execute("SELECT order_key FROM payout_lines ORDER BY seq").fetchall() == [("1001",), (None,), ("1003",)]


def test_minor_units_use_each_currencys_exponent(con, tmp_path):
    report = tmp_path / "r.csv"
    report.write_text("Ref;Kind;Beløb;Fee;Valuta;Dato;Ordre\n"
                      "A1;SALG;12550;125;DKK;05.03.2024;\n"
                      "A2;SALG;1500;0;JPY;05.03.2024;\n"
                      "A3;SALG;12345;5;KWD;05.03.2024;\n"
                      "A4;SALG;100,5;0;DKK;05.03.2024;\n", encoding="utf-8")
    loaded = load_report(con, report, _format(tmp_path, units="minor"))
    assert [(r[0], r[2], r[3]) for r in _rows(con)] == [
        ("A1", D("125.50"), D("1.25")), ("A2", D("1500"), D("0")), ("A3", D("12.345"), D("0.005"))]
    assert [str(b) for b in loaded.bad] == [f"{report}:5: amount '100,5' is not a whole number of minor units"]


def test_sign_by_type_turns_unsigned_amounts(con, tmp_path):
    report = tmp_path / "r.csv"
    report.write_text("Ref;Kind;Beløb;Fee;Valuta;Dato;Ordre\nA1;SALG;100;1;DKK;05.03.2024;\n"
                      "A2;RETUR;30;0;DKK;05.03.2024;\nA3;UDBETALING;69;0;DKK;06.03.2024;\n", encoding="utf-8")
    load_report(con, report, _format(tmp_path, sign="by_type"))
    assert [(r[1], r[2], r[4]) for r in _rows(con)] == [
        ("charge", D("100"), D("99")), ("refund", D("-30"), D("-30")), ("payout", D("-69"), D("-69"))]


def test_bad_lines_are_named_by_their_line_and_field_and_the_rest_loads(con, tmp_path):
    report = tmp_path / "r.csv"
    report.write_text("Ref;Kind;Beløb;Fee;Valuta;Dato;Ordre\n"
                      "A1;SALG;12,00;1e2;DKK;05.03.2024;\n"
                      "A2;SALG;abc;0;DKK;05.03.2024;\n"
                      "A3;BONUS;1,00;0;DKK;05.03.2024;\n"
                      "A4;SALG;1,00;0;DK;05.03.2024;\n"
                      "A5;SALG;1,00;0;DKK;2024-03-05;\n"
                      "A6;;1,00;0;DKK;05.03.2024;\n"
                      "A7;SALG;;0;DKK;05.03.2024;\n"
                      "A8;SALG;2,00;0;DKK;05.03.2024;\n", encoding="utf-8")
    loaded = load_report(con, report, _format(tmp_path))
    assert [str(b) for b in loaded.bad] == [
        f"{report}:2: fee '1e2' is not a number",
        f"{report}:3: amount 'abc' is not a number",
        f"{report}:4: type 'BONUS' is not in format acme_pay's type map (add it to `types`)",
        f"{report}:5: currency 'DK' is not an ISO code",
        f"{report}:7: the line has no type",
        f"{report}:8: the line has no amount",
        f"{report}:6: date '2024-03-05' does not match date format '%d.%m.%Y'",
    ]
    assert loaded.lines == 1 and _rows(con)[0][:3] == ("A8", "charge", D("2.00"))


def test_line_numbers_stay_exact_with_blank_lines_and_quoted_line_breaks(con, tmp_path):
    report = tmp_path / "r.csv"
    report.write_text('Ref;Kind;Beløb;Fee;Valuta;Dato;Ordre\n'
                      '\n'
                      'A1;SALG;"1,00";0;DKK;05.03.2024;"order\n1001"\n'
                      ';;;;;;\n'
                      '   \n'
                      'A2;SALG;x;0;DKK;05.03.2024;\n'
                      'A3;SALG;3,00;0;DKK;05.03.2024\n', encoding="utf-8")
    loaded = load_report(con, report, _format(tmp_path))
    assert [str(b) for b in loaded.bad] == [f"{report}:7: amount 'x' is not a number"]
    assert con.execute("SELECT line_ref, source_ref, order_ref FROM payout_lines ORDER BY seq").fetchall() == [
        ("A1", f"{report}:4", "order\n1001"), ("A3", f"{report}:8", None)]


def test_keys_are_the_json_paths_keys_and_repeated_lines_are_numbered(con, tmp_path):
    report = tmp_path / "r.csv"
    report.write_text("Ref;Kind;Beløb;Fee;Valuta;Dato;Ordre\nA1;SALG;1,00;0;DKK;05.03.2024;\n"
                      "A1;SALG;1,00;0;DKK;05.03.2024;\nB1;SALG;1,00;0;DKK;05.03.2024;\n", encoding="utf-8")
    load_report(con, report, _format(tmp_path))
    keys = [k for (k,) in con.execute("SELECT line_key FROM payout_lines ORDER BY seq").fetchall()]
    assert keys == [line_key("acme", ["A1"], 1), line_key("acme", ["A1"], 2), line_key("acme", ["B1"], 1)]


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_reports_in_other_encodings(con, tmp_path, encoding):
    report = tmp_path / "r.csv"
    report.write_bytes("Ref;Kind;Beløb;Fee;Valuta;Dato;Ordre\nÆ1;SALG;5,00;0;DKK;05.03.2024;Søren\n".encode(encoding))
    loaded = load_report(con, report, _format(tmp_path, encoding=encoding))
    assert loaded.bad == [] and _rows(con)[0] == ("Æ1", "charge", D("5.00"), D("0"), D("5.00"), "DKK", "Søren")


def test_a_file_in_the_wrong_encoding_is_a_located_data_error(con, tmp_path):
    from engine.errors import DataError

    report = tmp_path / "r.csv"
    report.write_bytes("Ref;Kind;Beløb;Fee;Valuta;Dato;Ordre\nÆ1;SALG;5,00;0;DKK;05.03.2024;\n".encode("latin-1"))
    with pytest.raises(DataError) as err:
        load_report(con, report, _format(tmp_path))
    assert str(err.value).startswith(f"{report}: cannot read")


def test_a_loaded_connection_can_load_again_after_matching(con, kit):
    """Matching turns off insertion order on its connection; the next load keeps file order."""
    from engine.paymatch import match, rules_from_settings

    kit.load_fixture(con, "stripe_itemized.csv")
    con.execute("CREATE OR REPLACE TABLE invoice_payments AS SELECT 1::BIGINT AS invoice_number, 1::BIGINT AS "
                "customer_number, 'x' AS order_ref, 'x' AS order_key, 'ch_x' AS transaction_id, "
                "1.00::DECIMAL(18,4) AS amount, 'DKK' AS currency, DATE '2024-03-01' AS date, "
                "1.00::DECIMAL(18,4) AS remainder")
    match(con, rules_from_settings(None))
    loaded = kit.load_fixture(con, "stripe_itemized.csv")
    refs = [r for (r,) in con.execute("SELECT line_ref FROM payout_lines ORDER BY seq").fetchall()]
    assert loaded.lines == 12 and refs[:3] == ["txn_sale", "txn_partial", "txn_refund_inv"]
