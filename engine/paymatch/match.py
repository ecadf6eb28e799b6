"""Classify every payout line, set-based in DuckDB.

Input tables: ``payout_lines`` (``load``), ``invoice_payments`` (``invoices``) and optionally
``posted_lines`` (``ledger``: lines posted by an earlier run, left out of matching). Output:
``match_classes`` (exactly one class per payout line, by ``seq``), the view ``match_results``
(each line with its class) and ``unmatched_invoices``.

Rules run in order. A rule that finds exactly one invoice for a line decides it; a rule that
finds two or more decides it as ``ambiguous`` (a tie is never guessed); a rule that finds none
leaves it to the next rule. Several lines paying one invoice are taken in date order, each
compared with what is still open after the ones before it.

A refund settles the credit note booked for it (``document = 'credit_note'``): its candidates
come in tiers (``rules.py``), so several refunds of one order each find the credit note of their
amount; refunds whose fitting credit notes are alike (one transaction, customer and open amount)
take one each, oldest first. Without any credit note it is paid back against the invoice and
flagged for review (someone should book the credit note).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from engine.paymatch.rules import COMPARE_AMOUNT, Rule, candidates_sql

MATCHABLE = ("charge", "refund", "chargeback", "chargeback_reversal")
CLASSES = ("matched_exact", "matched_within_tolerance", "partial", "overpaid", "ambiguous",
           "unmatched_payout_line", "fee", "payout", "adjustment", "unmatched_invoice")
POSTED_DDL = """CREATE TABLE IF NOT EXISTS posted_lines (
    line_key VARCHAR PRIMARY KEY, class VARCHAR, invoice_number BIGINT, voucher VARCHAR, rule_version VARCHAR)"""


def match(con: duckdb.DuckDBPyConnection, rules: Sequence[Rule]) -> None:
    """Fill ``match_results`` and ``unmatched_invoices`` from the input tables. Results are read
    with ORDER BY (``seq`` is the report order), so tables need not keep insertion order; lines
    are joined internally on ``seq``, not on their text identity."""
    con.execute("SET preserve_insertion_order = false")
    con.execute(POSTED_DDL)
    _rules_table(con, rules)
    unique = _invoices_table(con)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pm_pending AS
        SELECT l.seq, l.type, l.transaction_id, l.order_key, l.currency, l.amount, l.original_currency,
               l.original_amount, l.date
        FROM payout_lines l
        WHERE l.type IN {MATCHABLE} AND NOT EXISTS (SELECT 1 FROM posted_lines p WHERE p.line_key = l.line_key)""")
    con.execute("""CREATE OR REPLACE TEMP TABLE pm_decisions (
        seq BIGINT, rule_index INTEGER, n BIGINT, invoice_number BIGINT, pref INTEGER)""")
    con.execute("CREATE OR REPLACE TEMP TABLE pm_ambiguous (seq BIGINT, invoice_number BIGINT)")
    con.execute("CREATE OR REPLACE TEMP TABLE pm_paired (seq BIGINT, invoice_number BIGINT, alike VARCHAR)")
    for index, rule in enumerate(rules):
        con.execute(f"CREATE OR REPLACE TEMP TABLE pm_cand AS {candidates_sql(rule, distinct=not unique)}")
        # a line's candidates are those of its best tier (refunds: fitting credit notes, other
        # credit notes, the refunded invoice; see rules.py)
        con.execute(f"""
            INSERT INTO pm_decisions
            SELECT seq, {index},
                   CASE best WHEN 1 THEN n1 WHEN 2 THEN n2 ELSE n3 END,
                   CASE best WHEN 1 THEN i1 WHEN 2 THEN i2 ELSE i3 END, best
            FROM (SELECT seq, min(pref) AS best,
                         count(*) FILTER (WHERE pref = 1) AS n1, count(*) FILTER (WHERE pref = 2) AS n2,
                         count(*) FILTER (WHERE pref = 3) AS n3,
                         min(invoice_number) FILTER (WHERE pref = 1) AS i1,
                         min(invoice_number) FILTER (WHERE pref = 2) AS i2,
                         min(invoice_number) FILTER (WHERE pref = 3) AS i3
                  FROM pm_cand GROUP BY seq)""")
        if rule.by != "amount_date":
            _pair_alike_credit_notes(con, index)
        con.execute(f"""
            INSERT INTO pm_ambiguous
            SELECT c.seq, c.invoice_number FROM pm_cand c
            JOIN pm_decisions d ON d.seq = c.seq AND d.rule_index = {index} AND d.n > 1 AND d.pref = c.pref""")
        con.execute("DELETE FROM pm_pending WHERE seq IN (SELECT seq FROM pm_cand)")
    _running_totals(con)
    con.execute(_results_sql(", ".join(r.name for r in rules) or "none"))
    con.execute(RESULTS_VIEW)
    con.execute("""
        CREATE OR REPLACE TABLE unmatched_invoices AS
        WITH period AS (SELECT min(date) AS first, max(date) AS last FROM payout_lines WHERE type = 'charge')
        SELECT i.invoice_number, i.customer_number, i.order_ref, i.transaction_id, i.amount, i.currency, i.date,
               i.remainder
        FROM pm_invoices i, period
        WHERE i.amount > 0 AND i.remainder > 0 AND i.date BETWEEN period.first AND period.last
          AND NOT EXISTS (SELECT 1 FROM match_classes m WHERE m.invoice_number = i.invoice_number)
          AND NOT EXISTS (SELECT 1 FROM pm_ambiguous a WHERE a.invoice_number = i.invoice_number)
          AND NOT EXISTS (SELECT 1 FROM posted_lines p WHERE p.invoice_number = i.invoice_number)
        ORDER BY i.invoice_number""")


#: one row per payout line: the line as loaded and what matching made of it
RESULTS_VIEW = """
CREATE OR REPLACE VIEW match_results AS
SELECT l.seq, l.source_ref, l.line_key, l.line_ref, l.payout_id, l.payout_date, l.source_type, l.type, l.amount, l.fee,
       l.net, l.currency, l.date, l.transaction_id, l.order_ref, l.original_amount, l.original_currency,
       c.class, c.rule, c.invoice_number, c.document, c.customer_number, c.invoice_currency, c.compare_amount,
       c.expected, c.difference, c.settle_amount, c.post_as, c.review, c.reason
FROM payout_lines l JOIN match_classes c USING (seq)
"""


def _invoices_table(con: duckdb.DuckDBPyConnection) -> bool:
    """``pm_invoices``: one row per invoice. ``invoice_payments`` may list an invoice once per
    reference it carries; when every number is there once (the usual case) it is used as is.
    Returns whether invoice numbers are unique."""
    total, distinct = con.execute(
        "SELECT count(*), count(DISTINCT invoice_number) FROM invoice_payments").fetchone()
    if total == distinct:
        con.execute("CREATE OR REPLACE TEMP VIEW pm_invoices AS SELECT * FROM invoice_payments")
        return True
    con.execute("""
        CREATE OR REPLACE TEMP TABLE pm_invoices_once AS
        SELECT invoice_number, any_value(customer_number) AS customer_number, any_value(currency) AS currency,
               any_value(amount) AS amount, any_value(remainder) AS remainder, any_value(date) AS date,
               any_value(order_ref) AS order_ref, any_value(transaction_id) AS transaction_id
        FROM invoice_payments GROUP BY invoice_number""")
    con.execute("CREATE OR REPLACE TEMP VIEW pm_invoices AS SELECT * FROM pm_invoices_once")
    return False


def _pair_alike_credit_notes(con: duckdb.DuckDBPyConnection, rule_index: int) -> None:
    """Refunds of one transaction (or order) whose fitting credit notes are alike: same customer,
    currency and open amount, e.g. two refunds of 50.00 on one order. Which refund line settles
    which of them changes no balance and no customer's open amount, so this is no guess: the
    k-th such refund (by date, report order) takes the k-th credit note (by date, number), each
    one once. Refunds beyond the number of credit notes stay ambiguous. Credit notes that differ
    in anything are never paired."""
    con.execute(f"""
        INSERT INTO pm_paired
        WITH tied AS (
            SELECT c.seq, l.date AS line_date, c.invoice_number
            FROM pm_cand c
            JOIN pm_decisions d ON d.seq = c.seq AND d.rule_index = {rule_index} AND d.n > 1 AND d.pref = 1
            JOIN pm_pending l ON l.seq = c.seq
            WHERE c.pref = 1 AND l.type = 'refund'
        ), sets AS (
            SELECT t.seq, any_value(t.line_date) AS line_date,
                   list(t.invoice_number ORDER BY i.date, t.invoice_number) AS notes,
                   string_agg(CAST(t.invoice_number AS VARCHAR), ', ' ORDER BY t.invoice_number) AS alike
            FROM tied t JOIN pm_invoices i ON i.invoice_number = t.invoice_number
            GROUP BY t.seq
            HAVING max(i.amount) < 0 AND count(DISTINCT i.remainder) = 1 AND count(DISTINCT i.currency) = 1
               AND count(DISTINCT coalesce(i.customer_number, -1)) = 1
        ), ranked AS (
            SELECT seq, notes, alike, row_number() OVER (PARTITION BY alike ORDER BY line_date, seq) AS k FROM sets
        )
        SELECT seq, notes[k], alike FROM ranked WHERE k <= len(notes)""")
    con.execute(f"""
        UPDATE pm_decisions SET n = 1, invoice_number = p.invoice_number
        FROM pm_paired p WHERE pm_decisions.seq = p.seq AND pm_decisions.rule_index = {rule_index}""")


def _running_totals(con: duckdb.DuckDBPyConnection) -> None:
    """``pm_running(line_key, paid_before)``: for invoices that more than one line pays, what the
    lines before (by date, then report order) already paid. The few such invoices are found from
    the decisions first, so the window runs over them only, not over every line."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pm_running AS
        WITH shared AS (
            SELECT invoice_number FROM pm_decisions WHERE n = 1 GROUP BY invoice_number HAVING count(*) > 1
        ), lines AS (
            SELECT l.seq, l.date, d.invoice_number, {COMPARE_AMOUNT} AS compare_amount,
                   CASE WHEN l.type = 'charge' OR (l.type = 'refund' AND i.amount < 0) THEN 'settle'
                        WHEN l.type = 'refund' THEN 'reverse' ELSE 'dispute' END AS relation
            FROM pm_decisions d SEMI JOIN shared s ON s.invoice_number = d.invoice_number
            JOIN payout_lines l ON l.seq = d.seq
            JOIN pm_invoices i ON i.invoice_number = d.invoice_number
            WHERE d.n = 1
        )
        SELECT seq, sum(compare_amount) OVER (PARTITION BY invoice_number, relation ORDER BY date, seq
                                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS paid_before
        FROM lines""")


def _rules_table(con: duckdb.DuckDBPyConnection, rules: Sequence[Rule]) -> None:
    con.execute("""CREATE OR REPLACE TEMP TABLE pm_rules (
        rule_index INTEGER, name VARCHAR, mode VARCHAR, tol_abs DECIMAL(18,4), tol_pct DECIMAL(9,4))""")
    for index, rule in enumerate(rules):
        con.execute("INSERT INTO pm_rules VALUES (?, ?, ?, ?, ?)", [
            index, rule.name, rule.mode,
            None if rule.tolerance.percent is not None else rule.tolerance.absolute, rule.tolerance.percent])


def money_text(column: str) -> str:
    """Money as text without the trailing zeros of DECIMAL(18,4) beyond two decimals."""
    return f"regexp_replace(CAST({column} AS VARCHAR), '(\\.\\d\\d\\d*?)0+$', '\\1')"


def _results_sql(tried: str) -> str:
    tried = tried.replace("'", "''")
    return f"""
CREATE OR REPLACE TABLE match_classes AS
WITH candidates AS (
    SELECT seq, string_agg(CAST(invoice_number AS VARCHAR), ', ' ORDER BY invoice_number) AS candidates
    FROM pm_ambiguous GROUP BY seq
), base AS (
    SELECT l.*, d.rule_index, d.n, d.pref AS tier, c.candidates, pp.alike,
           CASE WHEN d.n = 1 THEN d.invoice_number END AS matched_invoice,
           p.class AS posted_class, p.invoice_number AS posted_invoice, p.voucher AS posted_voucher
    FROM payout_lines l
    LEFT JOIN pm_decisions d USING (seq)
    LEFT JOIN candidates c USING (seq)
    LEFT JOIN pm_paired pp USING (seq)
    LEFT JOIN posted_lines p USING (line_key)
), joined AS (
    SELECT l.*, i.customer_number, i.currency AS invoice_currency, i.amount AS invoice_amount,
           i.remainder AS invoice_remainder, r.name AS rule, r.mode AS rule_mode, r.tol_abs, r.tol_pct,
           {COMPARE_AMOUNT} AS compare_amount,
           CASE WHEN i.amount < 0 THEN 'credit note' ELSE 'invoice' END AS document,
           CASE WHEN l.type = 'charge' OR (l.type = 'refund' AND i.amount < 0) THEN 'settle'
                WHEN l.type = 'refund' THEN 'reverse'
                WHEN l.type IN ('chargeback', 'chargeback_reversal') THEN 'dispute' END AS relation
    FROM base l
    LEFT JOIN pm_invoices i ON i.invoice_number = l.matched_invoice
    LEFT JOIN pm_rules r ON r.rule_index = l.rule_index
), expected AS (
    SELECT *,
           CASE relation
               WHEN 'settle' THEN invoice_remainder - coalesce(paid_before, 0)
               WHEN 'dispute' THEN CASE WHEN type = 'chargeback' THEN -invoice_amount ELSE invoice_amount END
               WHEN 'reverse' THEN -invoice_amount END AS expected
    FROM joined LEFT JOIN pm_running USING (seq)
), toleranced AS (
    SELECT *, CASE WHEN tol_pct IS NOT NULL THEN abs(expected) * tol_pct / 100 ELSE tol_abs END AS tolerance
    FROM expected
), classed AS (
    SELECT *,
        CASE
            WHEN posted_class IS NOT NULL THEN posted_class
            WHEN type IN ('fee', 'payout', 'adjustment') THEN type
            WHEN n IS NULL THEN 'unmatched_payout_line'
            WHEN n > 1 OR compare_amount IS NULL THEN 'ambiguous'
            WHEN relation = 'reverse' THEN
                CASE WHEN compare_amount < 0 AND -compare_amount <= invoice_amount THEN 'matched_exact' ELSE 'overpaid' END
            WHEN expected = 0 OR sign(expected) <> sign(compare_amount) THEN 'overpaid'
            WHEN compare_amount = expected THEN 'matched_exact'
            WHEN abs(compare_amount - expected) <= tolerance THEN 'matched_within_tolerance'
            WHEN sign(expected) * (compare_amount - expected) < 0 THEN 'partial'
            ELSE 'overpaid'
        END AS class
    FROM toleranced
)
SELECT seq, class,
       CASE WHEN posted_class IS NOT NULL THEN NULL ELSE rule END AS rule,
       CASE WHEN posted_class IS NOT NULL THEN posted_invoice
            WHEN class IN ('fee', 'payout', 'adjustment', 'ambiguous', 'unmatched_payout_line') AND n IS DISTINCT FROM 1
                THEN NULL
            ELSE matched_invoice END AS invoice_number,
       CASE WHEN posted_class IS NULL AND n = 1 THEN replace(document, ' ', '_') END AS document,
       customer_number, invoice_currency, compare_amount, expected,
       CASE WHEN posted_class IS NULL AND relation IN ('settle', 'dispute') AND n = 1 AND compare_amount IS NOT NULL
            THEN compare_amount - expected END AS difference,
       CASE WHEN posted_class IS NOT NULL THEN NULL
            WHEN class = 'matched_within_tolerance' AND relation = 'settle' THEN expected
            WHEN class IN ('matched_exact', 'partial') AND relation IN ('settle', 'reverse') THEN compare_amount
       END AS settle_amount,
       CASE WHEN posted_class IS NOT NULL THEN 'already_posted'
            WHEN type = 'fee' THEN 'fees'
            WHEN type = 'payout' THEN 'bank'
            WHEN type = 'adjustment' THEN 'adjustments'
            WHEN relation = 'dispute' OR (n IS NULL AND type IN ('chargeback', 'chargeback_reversal')) THEN 'chargebacks'
            WHEN class IN ('matched_exact', 'matched_within_tolerance', 'partial') AND rule_mode = 'auto'
                THEN 'customer_payment'
            ELSE 'suspense' END AS post_as,
       CASE WHEN posted_class IS NOT NULL OR type IN ('fee', 'payout', 'adjustment') THEN FALSE
            WHEN type IN ('chargeback', 'chargeback_reversal') THEN class <> 'matched_exact'
            -- paid back against the invoice itself: posted, but someone should book the credit note
            WHEN relation = 'reverse' THEN TRUE
            ELSE NOT (class IN ('matched_exact', 'matched_within_tolerance', 'partial') AND rule_mode = 'auto')
       END AS review,
       nullif(concat_ws('; ', CASE
           WHEN posted_class IS NOT NULL THEN 'posted before in voucher ' || posted_voucher
           WHEN type IN ('fee', 'payout', 'adjustment') THEN NULL
           WHEN n IS NULL THEN 'no invoice found (rules tried: {tried})'
           WHEN n > 1 AND type = 'refund' AND tier = 2
                THEN 'the refund fits none of credit notes ' || candidates || ' (rule ' || rule || ') by amount; '
                     || 'not guessed'
           WHEN n > 1 AND type = 'refund' AND tier = 1
                THEN 'credit notes ' || candidates || ' all fit rule ' || rule || '; not guessed'
           WHEN n > 1 THEN 'invoices ' || candidates || ' all fit rule ' || rule || '; not guessed'
           WHEN compare_amount IS NULL THEN 'paid in ' || currency || ' but ' || document || ' ' || matched_invoice
                || ' is in ' || invoice_currency || ' and the report has no amount in ' || invoice_currency
           WHEN class = 'overpaid' AND relation = 'settle' AND (expected = 0 OR sign(expected) = -sign(compare_amount))
                THEN document || ' ' || matched_invoice || ' has nothing left to pay'
           WHEN class = 'overpaid' AND relation = 'reverse'
                THEN 'refund is larger than invoice ' || matched_invoice
           WHEN class IN ('partial', 'overpaid', 'matched_within_tolerance') AND type = 'refund'
                THEN 'refunded ' || {money_text('-compare_amount')} || ' ' || invoice_currency || ', expected '
                     || {money_text('-expected')} || ' on ' || document || ' ' || matched_invoice
           WHEN class IN ('partial', 'overpaid', 'matched_within_tolerance')
                THEN 'paid ' || {money_text('compare_amount')} || ' ' || invoice_currency || ', expected '
                     || {money_text('expected')} || ' on ' || document || ' ' || matched_invoice
           WHEN relation = 'reverse'
                THEN 'no credit note found for this refund: paid back against invoice ' || matched_invoice
                     || '; book a credit note for it'
       END, CASE WHEN posted_class IS NULL AND alike IS NOT NULL
                 THEN 'credit notes ' || alike || ' are alike (one transaction, customer and amount): '
                      || 'each refund takes one, oldest first' END,
            CASE WHEN posted_class IS NULL AND rule_mode = 'review' AND n = 1
                 THEN 'rule ' || rule || ' is in review mode' END), '') AS reason
FROM classed
"""
