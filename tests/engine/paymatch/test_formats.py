"""Format files: every built-in one loads; a technician's mistakes are reported at file:line:col."""

from __future__ import annotations

import pytest

from engine.errors import ConfigError
from engine.paymatch import builtin_names, load_format

BUILT_IN = ["adyen_settlement", "clearhaus_settlement", "shopify_payments", "stripe_balance", "stripe_itemized",
            "vipps_funds", "vipps_portal", "zettle_finance"]

GOOD = """\
paymatch_format: 1
name: acme_pay
source: {kind: csv, delimiter: ";"}
numbers: {decimal: ",", units: minor, sign: signed}
date_format: "%d.%m.%Y"
identity: {namespace: acme, fields: [Ref]}
fields:
  line_id: Ref
  type: Kind
  amount: Beløb
  currency: Valuta
  date: Dato
types:
  SALG: charge
  RETUR: refund
"""


def test_the_built_in_formats(kit):
    assert builtin_names() == BUILT_IN
    for name in BUILT_IN:
        spec = load_format(name)
        assert spec.name == name and spec.types and spec.namespace


def test_a_new_acquirer_is_a_file_not_code(con, tmp_path):
    spec_file = tmp_path / "acme.yaml"
    spec_file.write_text(GOOD)
    report = tmp_path / "acme.csv"
    report.write_text("Ref;Kind;Beløb;Valuta;Dato\nA1;SALG;12550;DKK;05.03.2024\nA2;RETUR;-2000;DKK;06.03.2024\n",
                      encoding="utf-8")
    from engine.paymatch import load_report

    loaded = load_report(con, report, load_format(spec_file))
    assert loaded.bad == []
    rows = con.execute("SELECT line_ref, type, amount, date FROM payout_lines ORDER BY seq").fetchall()
    assert [(r[0], r[1], str(r[2]), str(r[3])) for r in rows] == [
        ("A1", "charge", "125.5000", "2024-03-05"), ("A2", "refund", "-20.0000", "2024-03-06")]


@pytest.mark.parametrize(("change", "message", "line"), [
    ([("  SALG: charge", "  SALG: sale")], "'sale' is not valid under any of the given schemas", 14),
    ([("  type: Kind\n", "")], "fields.type is required", 8),
    ([("  amount: Beløb", "  amount: {debit: D, credit: C}")], "set numbers.sign: debit_credit", 10),
    ([("identity: {namespace: acme, fields: [Ref]}\n", ""), ("  line_id: Ref\n", "")], "declare identity.fields", 1),
    ([("source: {kind: csv", "source: {kind: xml")], "'xml' is not one of ['csv', 'json']", 3),
])
def test_mistakes_are_located(tmp_path, change, message, line):
    spec_file = tmp_path / "acme.yaml"
    text = GOOD
    for old, new in change:
        text = text.replace(old, new)
    spec_file.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_format(spec_file)
    assert message in str(err.value)
    assert err.value.location.file == str(spec_file) and err.value.location.line == line


def test_a_json_format_checks_its_jmespath(tmp_path):
    spec_file = tmp_path / "bad.yaml"
    spec_file.write_text(GOOD.replace("source: {kind: csv, delimiter: \";\"}",
                                      "source: {kind: json, groups: [{each: 'items[?'}]}"))
    with pytest.raises(ConfigError, match="is not a JMESPath expression"):
        load_format(spec_file)


def test_an_unknown_format_name_lists_the_built_in_ones():
    with pytest.raises(ConfigError) as err:
        load_format("paypal")
    assert "unknown payout report format 'paypal'" in str(err.value)
    assert "stripe_itemized" in str(err.value)
