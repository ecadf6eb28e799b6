"""What a run tells its user: a summary (lines, amount per class, fees, differences, counts) and
a per-line result file (CSV, or a JSON array) with each line's identity, class, matched
invoice or credit note (``document``), amounts, difference and rule. Money is written as exact decimal text."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from engine.paymatch.match import CLASSES, money_text

ZERO = Decimal("0")


@dataclass
class Summary:
    lines: int = 0
    bad_lines: int = 0
    payouts: int = 0
    currencies: list[str] = field(default_factory=list)
    classes: dict[str, tuple[int, Decimal]] = field(default_factory=dict)   # class -> (lines, gross amount)
    fees: Decimal = ZERO
    differences: Decimal = ZERO
    net: Decimal = ZERO
    review: int = 0
    already_posted: int = 0
    unmatched_invoices: tuple[int, Decimal] = (0, ZERO)

    def to_json(self) -> dict[str, object]:
        return {
            "lines": self.lines, "bad_lines": self.bad_lines, "payouts": self.payouts, "currencies": self.currencies,
            "classes": {k: {"lines": n, "amount": str(a)} for k, (n, a) in self.classes.items()},
            "fees": str(self.fees), "differences": str(self.differences), "net": str(self.net),
            "review": self.review, "already_posted": self.already_posted,
            "unmatched_invoices": {"invoices": self.unmatched_invoices[0], "remainder": str(self.unmatched_invoices[1])},
        }


def summarize(con: duckdb.DuckDBPyConnection, bad_lines: int = 0) -> Summary:
    summary = Summary(bad_lines=bad_lines)
    for cls, n, amount in con.execute(
            "SELECT class, count(*), sum(amount) FROM match_results GROUP BY class").fetchall():
        summary.classes[cls] = (n, amount)
    summary.classes = {c: summary.classes[c] for c in CLASSES if c in summary.classes} | {
        c: v for c, v in summary.classes.items() if c not in CLASSES}
    (summary.lines, summary.payouts, fees, net, differences, summary.review, summary.already_posted,
     currencies) = con.execute("""
        SELECT count(*), count(DISTINCT payout_id),
               coalesce(sum(fee), 0) - coalesce(sum(amount) FILTER (WHERE type = 'fee'), 0),
               coalesce(sum(net) FILTER (WHERE type <> 'payout'), 0),
               coalesce(sum(difference) FILTER (WHERE class = 'matched_within_tolerance'), 0),
               count(*) FILTER (WHERE review), count(*) FILTER (WHERE post_as = 'already_posted'),
               list(DISTINCT currency ORDER BY currency)
        FROM match_results""").fetchone()
    summary.fees, summary.net, summary.differences = Decimal(fees), Decimal(net), Decimal(differences)
    summary.currencies = list(currencies or [])
    n, remainder = con.execute("SELECT count(*), coalesce(sum(remainder), 0) FROM unmatched_invoices").fetchone()
    summary.unmatched_invoices = (n, Decimal(remainder))
    return summary


def render(summary: Summary, console: Console, *, title: str) -> None:
    table = Table(title=title)
    table.add_column("class")
    table.add_column("lines", justify="right")
    table.add_column(f"amount ({', '.join(summary.currencies) or '-'})", justify="right")
    for cls, (n, amount) in summary.classes.items():
        table.add_row(cls, str(n), _show(amount))
    n, remainder = summary.unmatched_invoices
    if n:
        table.add_row("unmatched_invoice", str(n), _show(remainder))
    table.add_section()
    table.add_row("payout lines", str(summary.lines), "")
    table.add_row("bad lines (left out)", str(summary.bad_lines), "")
    table.add_row("payouts", str(summary.payouts), "")
    table.add_row("fees", "", _show(summary.fees))
    table.add_row("differences (within tolerance)", "", _show(summary.differences))
    table.add_row("net to bank", "", _show(summary.net))
    table.add_row("need review", str(summary.review), "")
    table.add_row("posted by an earlier run", str(summary.already_posted), "")
    console.print(table)


def _show(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    return f"{Decimal(amount).quantize(Decimal('0.01')):,}"


LINE_COLUMNS = ("where", "line_ref", "line_key", "payout_id", "date", "type", "source_type", "class", "invoice_number",
                "document", "customer_number", "amount", "fee", "net", "currency", "compare_amount", "invoice_currency", "expected",
                "difference", "rule", "rule_version", "post_as", "review", "reason", "transaction_id", "order_ref")


def write_lines(con: duckdb.DuckDBPyConnection, path: str | Path, *, rule_version: str, fmt: str = "csv") -> Path:
    """One row per payout line (and per unmatched invoice) to ``path`` as CSV or a JSON array."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    version = rule_version.replace("'", "''")
    money = {c: money_text(c) for c in ("amount", "fee", "net", "compare_amount", "expected", "difference")}
    select_lines = f"""
        SELECT source_ref AS "where", line_ref, line_key, payout_id, date, type, source_type, class, invoice_number,
               document, customer_number, {money['amount']} AS amount, {money['fee']} AS fee, {money['net']} AS net, currency,
               {money['compare_amount']} AS compare_amount, invoice_currency, {money['expected']} AS expected,
               {money['difference']} AS difference, rule, '{version}' AS rule_version, post_as, review, reason,
               transaction_id, order_ref, seq AS _order
        FROM match_results"""
    select_invoices = f"""
        SELECT NULL, NULL, NULL, NULL, date, 'invoice', NULL, 'unmatched_invoice', invoice_number, 'invoice',
               customer_number,
               CAST(remainder AS VARCHAR), NULL, NULL, currency, NULL, currency, CAST(remainder AS VARCHAR), NULL, NULL,
               '{version}', 'none', TRUE, 'invoice in the report period, not paid by any line',
               transaction_id, order_ref, 9223372036854775807
        FROM unmatched_invoices"""
    options = "FORMAT JSON, ARRAY true" if fmt == "json" else "HEADER, DELIMITER ','"
    con.execute(f"""COPY (SELECT {', '.join(f'"{c}"' for c in LINE_COLUMNS)}
                         FROM ({select_lines} UNION ALL {select_invoices}) ORDER BY _order, invoice_number)
                    TO '{str(path).replace("'", "''")}' ({options})""")
    return path
