"""PayMatch: acquirer payout reports matched against booked invoices in DuckDB, and posted to
e-conomic's journal exactly once.

The pieces, each with one job: ``formats`` (declarative report formats), ``load`` (reports into
``payout_lines``), ``invoices`` (the invoice side, ``invoice_payments``), ``rules`` and
``match`` (set-based classification into ``match_results``), ``ledger`` (what was posted),
``posting`` (vouchers), ``report`` (summary and per-line file), ``settings`` (the
``settings.paymatch`` schema) and ``run`` (one run, tying them together).

Typical use::

    con = duckdb.connect()
    loaded = load_report(con, "payout.csv", load_format("stripe_itemized"))
    outcome = reconcile(con, settings, integration="shop", invoices=rows, ledger=MatchLedger(path),
                        journal=ConnectorJournal(economic), dry_run=False)
"""

from engine.paymatch.formats import FormatSpec, builtin_names, load_format
from engine.paymatch.invoices import InvoicePayment, from_economic, read_csv_file
from engine.paymatch.ledger import MatchLedger
from engine.paymatch.load import BadLine, Loaded, load_document, load_report
from engine.paymatch.match import CLASSES, match
from engine.paymatch.posting import Voucher, build_vouchers, voucher_input
from engine.paymatch.report import Summary, render, summarize, write_lines
from engine.paymatch.rules import Rule, Tolerance, rule_version, rules_from_settings
from engine.paymatch.run import ConnectorJournal, Journal, Outcome, reconcile
from engine.paymatch.settings import PayMatchSettings, parse as parse_settings, schema as settings_schema

__all__ = [
    "CLASSES", "BadLine", "ConnectorJournal", "FormatSpec", "InvoicePayment", "Journal", "Loaded", "MatchLedger",
    "Outcome", "PayMatchSettings", "Rule", "Summary", "Tolerance", "Voucher", "build_vouchers", "builtin_names",
    "from_economic", "load_document", "load_format", "load_report", "match", "parse_settings", "read_csv_file",
    "reconcile", "render", "rule_version", "rules_from_settings", "settings_schema", "summarize", "voucher_input",
    "write_lines",
]
