"""Classification of payout lines: one class per line, ties never guessed, money exact."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from engine.paymatch import InvoicePayment, load_format, load_report, match, rules_from_settings
from engine.paymatch.invoices import create_table

D = Decimal


def _results(con) -> dict[str, dict]:
    cursor = con.execute("SELECT * FROM match_results ORDER BY seq")
    names = [d[0] for d in cursor.description]
    return {row[names.index("line_ref")]: dict(zip(names, row)) for row in cursor.fetchall()}


@pytest.fixture
def scenario(con, kit):
    """The Stripe itemized fixture against the fixture invoices, with the fixture rules."""
    kit.load_fixture(con, "stripe_itemized.csv")
    create_table(con, kit.fixture_invoices())
    match(con, kit.settings().rules)
    return _results(con)


def test_every_line_gets_exactly_one_class(scenario):
    assert {ref: r["class"] for ref, r in scenario.items()} == {
        "txn_sale": "matched_exact",
        "txn_partial": "partial",
        "txn_refund_inv": "matched_exact",
        "txn_refund_cn": "matched_exact",
        "txn_dispute": "matched_exact",
        "txn_dispute_won": "matched_exact",
        "txn_eur": "matched_exact",
        "txn_twins": "ambiguous",
        "txn_unknown": "unmatched_payout_line",
        "txn_tolerance": "matched_within_tolerance",
        "txn_review": "matched_exact",
        "txn_radar": "fee",
    }


def test_two_invoices_of_the_same_amount_are_never_guessed(scenario):
    twins = scenario["txn_twins"]
    assert twins["invoice_number"] is None
    assert twins["review"] is True and twins["post_as"] == "suspense"
    assert "1009, 1010" in twins["reason"] and "not guessed" in twins["reason"]


def test_difference_within_tolerance_settles_the_full_invoice(scenario):
    line = scenario["txn_tolerance"]
    assert (line["invoice_number"], line["rule"]) == (1012, "order_ref")   # '#1012' matched '1012'
    assert line["difference"] == D("-0.40")
    assert line["settle_amount"] == D("100.00")
    assert line["post_as"] == "customer_payment"


def test_partial_capture_pays_what_was_captured(scenario):
    line = scenario["txn_partial"]
    assert (line["invoice_number"], line["settle_amount"], line["difference"]) == (1002, D("150.00"), D("-50.00"))
    assert "paid 150.00 DKK, expected 200.00" in line["reason"]


def test_refunds_match_the_credit_note_first_else_the_invoice_they_refund(scenario):
    assert scenario["txn_refund_cn"]["invoice_number"] == 1006         # the credit note, not invoice 1005
    assert scenario["txn_refund_cn"]["settle_amount"] == D("-50.00")
    refund = scenario["txn_refund_inv"]
    assert (refund["invoice_number"], refund["post_as"], refund["review"]) == (1003, "customer_payment", True)
    assert refund["reason"] == ("no credit note found for this refund: paid back against invoice 1003; "
                                "book a credit note for it")
    assert (refund["document"], scenario["txn_refund_cn"]["document"]) == ("invoice", "credit_note")


def test_chargebacks_and_reversals_go_to_the_chargeback_account(scenario):
    for ref in ("txn_dispute", "txn_dispute_won"):
        assert scenario[ref]["invoice_number"] == 1007
        assert scenario[ref]["post_as"] == "chargebacks"
        assert scenario[ref]["settle_amount"] is None


def test_other_currency_compares_on_the_original_amount(scenario):
    line = scenario["txn_eur"]
    assert (line["invoice_currency"], line["compare_amount"], line["currency"]) == ("EUR", D("40.00"), "DKK")


def test_review_mode_rule_matches_but_does_not_post(scenario):
    line = scenario["txn_review"]
    assert (line["invoice_number"], line["rule"], line["review"], line["post_as"]) == (1013, "amount_date", True, "suspense")
    assert "review mode" in line["reason"]


def test_unpaid_invoice_of_the_period_is_reported(con, scenario):
    assert con.execute("SELECT invoice_number FROM unmatched_invoices").fetchall() == [(1011,)]


def test_money_stays_decimal(scenario):
    for line in scenario.values():
        for name in ("amount", "fee", "net", "compare_amount", "expected", "difference", "settle_amount"):
            assert line[name] is None or isinstance(line[name], Decimal), name


def _lines(con, folder: Path, rows: list[tuple], invoices: list[InvoicePayment], rules: list[dict]) -> dict[str, dict]:
    """Payout lines from rows (ref, type, amount, txn, order, date[, original_amount, original_currency])."""
    header = ("automatic_payout_id,balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,"
              "charge_id,payment_metadata[order_id],customer_facing_amount,customer_facing_currency\n")
    body = "".join(
        f"po_T,{r[0]},{r[5]} 10:00:00,dkk,{r[2]},0,{r[2]},{r[1]},{r[3] or ''},{r[4] or ''},"
        f"{r[6] if len(r) > 6 else ''},{r[7] if len(r) > 7 else ''}\n" for r in rows)
    path = folder / "t.csv"
    path.write_text(header + body)
    load_report(con, path, load_format("stripe_itemized"))
    create_table(con, invoices)
    match(con, rules_from_settings(rules))
    return _results(con)


def _inv(number: int, amount: str, remainder: str | None = None, txn: str | None = None, order: str | None = None,
         currency: str = "DKK", day: int = 1) -> InvoicePayment:
    return InvoicePayment(number, 1, order, txn, D(amount), currency, date(2024, 3, day), D(remainder or amount))


def test_several_captures_of_one_invoice_are_taken_in_date_order(con, tmp_path):
    res = _lines(con, tmp_path, [("a", "charge", "60.00", "ch_1", None, "2024-03-01"),
                            ("b", "charge", "40.00", "ch_1", None, "2024-03-02"),
                            ("c", "charge", "10.00", "ch_1", None, "2024-03-03")],
                 [_inv(1, "100.00", txn="ch_1")], [{"by": "transaction_id"}])
    assert [res[k]["class"] for k in "abc"] == ["partial", "matched_exact", "overpaid"]
    assert res["c"]["reason"] == "invoice 1 has nothing left to pay"


def test_a_tie_on_the_first_rule_is_ambiguous_even_if_a_later_rule_finds_one(con, tmp_path):
    res = _lines(con, tmp_path, [("a", "charge", "100.00", "ch_1", "o1", "2024-03-01")],
                 [_inv(1, "100.00", txn="ch_1"), _inv(2, "100.00", txn="ch_1", order="o1")],
                 [{"by": "transaction_id"}, {"by": "order_ref"}])
    assert res["a"]["class"] == "ambiguous" and res["a"]["invoice_number"] is None
    assert res["a"]["rule"] == "transaction_id"


def test_a_rule_with_no_candidate_leaves_the_line_to_the_next_rule(con, tmp_path):
    res = _lines(con, tmp_path, [("a", "charge", "100.00", "ch_none", "o1", "2024-03-01")],
                 [_inv(1, "100.00", txn="ch_1", order="O1")], [{"by": "transaction_id"}, {"by": "order_ref"}])
    assert (res["a"]["class"], res["a"]["rule"], res["a"]["invoice_number"]) == ("matched_exact", "order_ref", 1)


def test_amount_rule_respects_the_date_window_and_tolerance(con, tmp_path):
    res = _lines(con, tmp_path, [("near", "charge", "50.30", None, None, "2024-03-04"),
                            ("far", "charge", "70.00", None, None, "2024-03-20")],
                 [_inv(1, "50.00", day=1), _inv(2, "70.00", day=1)],
                 [{"by": "amount_date", "tolerance": {"absolute": D("0.50")}, "date_window_days": 3}])
    assert (res["near"]["class"], res["near"]["invoice_number"]) == ("matched_within_tolerance", 1)
    assert res["far"]["class"] == "unmatched_payout_line"


def test_percent_tolerance_is_a_share_of_what_is_expected(con, tmp_path):
    res = _lines(con, tmp_path, [("in", "charge", "990.00", "ch_1", None, "2024-03-01"),
                            ("out", "charge", "980.00", "ch_2", None, "2024-03-01")],
                 [_inv(1, "1000.00", txn="ch_1"), _inv(2, "1000.00", txn="ch_2")],
                 [{"by": "transaction_id", "tolerance": {"percent": D("1.0")}}])
    assert res["in"]["class"] == "matched_within_tolerance"
    assert res["out"]["class"] == "partial"


def test_overpaid_beyond_tolerance_waits_for_review(con, tmp_path):
    res = _lines(con, tmp_path, [("a", "charge", "120.00", "ch_1", None, "2024-03-01")],
                 [_inv(1, "100.00", txn="ch_1")], [{"by": "transaction_id"}])
    assert (res["a"]["class"], res["a"]["post_as"], res["a"]["difference"]) == ("overpaid", "suspense", D("20.00"))


def test_other_currency_without_the_original_amount_goes_to_review(con, tmp_path):
    res = _lines(con, tmp_path, [("a", "charge", "298.40", "ch_1", None, "2024-03-01")],
                 [_inv(1, "40.00", txn="ch_1", currency="EUR")], [{"by": "transaction_id"}])
    assert res["a"]["class"] == "ambiguous" and res["a"]["review"] is True
    assert res["a"]["invoice_number"] == 1
    assert res["a"]["reason"] == "paid in DKK but invoice 1 is in EUR and the report has no amount in EUR"


def test_chargebacks_match_by_transaction_id_only(con, tmp_path):
    res = _lines(con, tmp_path, [("a", "dispute", "-100.00", None, "o1", "2024-03-01")],
                 [_inv(1, "100.00", remainder="0", order="o1")], [{"by": "order_ref"}])
    assert (res["a"]["class"], res["a"]["post_as"], res["a"]["review"]) == ("unmatched_payout_line", "chargebacks", True)


def test_lines_posted_before_keep_their_class_and_are_not_matched_again(con, tmp_path):
    con.execute("CREATE TABLE posted_lines (line_key VARCHAR PRIMARY KEY, class VARCHAR, invoice_number BIGINT, "
                "voucher VARCHAR, rule_version VARCHAR)")
    header = "automatic_payout_id,balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,charge_id\n"
    report = tmp_path / "r.csv"
    report.write_text(header + "po_T,old,2024-03-01 10:00:00,dkk,60.00,0,60.00,charge,ch_1\n"
                               "po_T,new,2024-03-02 10:00:00,dkk,40.00,0,40.00,charge,ch_1\n")
    load_report(con, report, load_format("stripe_itemized"))
    old_key = con.execute("SELECT line_key FROM payout_lines WHERE line_ref = 'old'").fetchone()[0]
    con.execute("INSERT INTO posted_lines VALUES (?, 'partial', 1, 'PM po_T 1234', 'v1')", [old_key])
    create_table(con, [_inv(1, "100.00", remainder="40.00", txn="ch_1")])   # e-conomic already holds the 60
    match(con, rules_from_settings([{"by": "transaction_id"}]))
    res = _results(con)
    assert (res["old"]["class"], res["old"]["post_as"]) == ("partial", "already_posted")
    assert "PM po_T 1234" in res["old"]["reason"]
    assert (res["new"]["class"], res["new"]["expected"]) == ("matched_exact", D("40.00"))


def test_amount_rule_edges_of_an_absolute_tolerance(con, tmp_path):
    res = _lines(con, tmp_path, [("edge", "charge", "50.50", None, None, "2024-03-01"),
                                 ("past", "charge", "70.51", None, None, "2024-03-01")],
                 [_inv(1, "50.00"), _inv(2, "70.00")],
                 [{"by": "amount_date", "tolerance": {"absolute": D("0.50")}}])
    assert (res["edge"]["class"], res["edge"]["invoice_number"]) == ("matched_within_tolerance", 1)
    assert res["past"]["class"] == "unmatched_payout_line"


def test_amount_rule_with_a_percent_tolerance_and_refunds_to_credit_notes(con, tmp_path):
    res = _lines(con, tmp_path, [("big", "charge", "9905.00", None, None, "2024-03-01"),
                                 ("off", "charge", "9800.00", None, None, "2024-03-01"),
                                 ("back", "refund", "-49.60", None, None, "2024-03-01")],
                 [_inv(1, "10000.00"), _inv(2, "9000.00"), _inv(3, "-50.00"), _inv(4, "50.00")],
                 [{"by": "amount_date", "tolerance": {"percent": D("1")}}])
    assert (res["big"]["class"], res["big"]["invoice_number"]) == ("matched_within_tolerance", 1)
    assert res["off"]["class"] == "unmatched_payout_line"
    assert (res["back"]["class"], res["back"]["invoice_number"]) == ("matched_within_tolerance", 3)


def test_amount_rule_compares_on_the_original_currency(con, tmp_path):
    res = _lines(con, tmp_path, [("eur", "charge", "298.40", None, None, "2024-03-01", "40.00", "eur")],
                 [_inv(1, "40.00", currency="EUR"), _inv(2, "298.40", currency="SEK")],
                 [{"by": "amount_date"}])
    assert (res["eur"]["class"], res["eur"]["invoice_number"]) == ("matched_exact", 1)


def _note(number: int, amount: str, remainder: str | None = None, txn: str | None = "ch_1", order: str | None = "o1",
          customer: int = 1, day: int = 2) -> InvoicePayment:
    """A credit note the refunds flow booked for order o1 / charge ch_1 (negative amount)."""
    return InvoicePayment(number, customer, order, txn, D(amount), "DKK", date(2024, 3, day), D(remainder or amount))


ORDER = _inv(1, "200.00", remainder="0.00", txn="ch_1", order="o1")        # paid when it was charged


def test_several_refunds_of_one_order_each_settle_the_credit_note_of_their_amount(con, tmp_path):
    res = _lines(con, tmp_path, [("r50", "refund", "-50.00", "ch_1", None, "2024-03-05"),
                                 ("r30", "refund", "-29.80", "ch_1", None, "2024-03-04")],
                 [ORDER, _note(2, "-30.00"), _note(3, "-50.00")],
                 [{"by": "transaction_id", "tolerance": {"absolute": D("0.50")}}])
    assert (res["r50"]["class"], res["r50"]["invoice_number"], res["r50"]["document"]) == (
        "matched_exact", 3, "credit_note")
    assert (res["r30"]["class"], res["r30"]["invoice_number"], res["r30"]["settle_amount"]) == (
        "matched_within_tolerance", 2, D("-30.00"))
    assert res["r30"]["reason"] == "refunded 29.80 DKK, expected 30.00 on credit note 2"
    assert not res["r50"]["review"] and res["r50"]["post_as"] == "customer_payment"


def test_a_refund_that_fits_none_of_several_credit_notes_is_not_guessed(con, tmp_path):
    res = _lines(con, tmp_path, [("r", "refund", "-40.00", "ch_1", None, "2024-03-05")],
                 [ORDER, _note(2, "-30.00"), _note(3, "-50.00")], [{"by": "transaction_id"}])
    line = res["r"]
    assert (line["class"], line["invoice_number"], line["post_as"], line["review"]) == (
        "ambiguous", None, "suspense", True)
    assert line["reason"] == "the refund fits none of credit notes 2, 3 (rule transaction_id) by amount; not guessed"


def test_one_credit_note_takes_its_refund_whatever_the_amount_and_says_how_it_differs(con, tmp_path):
    res = _lines(con, tmp_path, [("r", "refund", "-30.00", None, "#O1", "2024-03-05")],
                 [ORDER, _note(2, "-50.00", txn=None)], [{"by": "transaction_id"}, {"by": "order_ref"}])
    line = res["r"]
    assert (line["class"], line["invoice_number"], line["rule"], line["settle_amount"]) == (
        "partial", 2, "order_ref", D("-30.00"))
    assert line["reason"] == "refunded 30.00 DKK, expected 50.00 on credit note 2"


def test_alike_credit_notes_are_taken_one_per_refund_oldest_first(con, tmp_path):
    res = _lines(con, tmp_path, [("late", "refund", "-50.00", "ch_1", None, "2024-03-06"),
                                 ("early", "refund", "-50.00", "ch_1", None, "2024-03-05"),
                                 ("extra", "refund", "-50.00", "ch_1", None, "2024-03-07")],
                 [ORDER, _note(3, "-50.00", day=2), _note(2, "-50.00", day=3)], [{"by": "transaction_id"}])
    assert [(res[k]["class"], res[k]["invoice_number"]) for k in ("early", "late")] == [
        ("matched_exact", 3), ("matched_exact", 2)]                       # credit note 3 is the older one
    assert "credit notes 2, 3 are alike" in res["early"]["reason"]
    assert (res["extra"]["class"], res["extra"]["invoice_number"]) == ("ambiguous", None)
    assert res["extra"]["reason"] == "credit notes 2, 3 all fit rule transaction_id; not guessed"


def test_credit_notes_of_different_customers_are_never_paired(con, tmp_path):
    res = _lines(con, tmp_path, [("r", "refund", "-50.00", "ch_1", None, "2024-03-05")],
                 [ORDER, _note(2, "-50.00", customer=1), _note(3, "-50.00", customer=2)], [{"by": "transaction_id"}])
    assert (res["r"]["class"], res["r"]["invoice_number"]) == ("ambiguous", None)


def test_a_refund_whose_credit_note_is_settled_has_nothing_left_to_pay(con, tmp_path):
    res = _lines(con, tmp_path, [("r", "refund", "-50.00", "ch_1", None, "2024-03-05")],
                 [ORDER, _note(2, "-50.00", remainder="0.00")], [{"by": "transaction_id"}])
    assert (res["r"]["class"], res["r"]["post_as"]) == ("overpaid", "suspense")
    assert res["r"]["reason"] == "credit note 2 has nothing left to pay"


def test_a_credit_note_is_preferred_to_the_invoice_of_the_same_transaction(con, tmp_path):
    res = _lines(con, tmp_path, [("r", "refund", "-20.00", "ch_1", None, "2024-03-05")],
                 [_inv(1, "200.00", txn="ch_1"), _note(2, "-50.00")], [{"by": "transaction_id"}])
    assert (res["r"]["invoice_number"], res["r"]["document"], res["r"]["class"]) == (2, "credit_note", "partial")
