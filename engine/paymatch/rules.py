"""Matching rules: the ordered list from the settings, and the SQL that finds each rule's
candidate invoices for the lines still undecided.

Each rule joins the pending lines (table ``pm_pending``) to ``invoice_payments`` on one key:

* ``transaction_id``: the acquirer's charge id equals the one the order flow stored;
* ``order_ref``: the order reference (case, blanks and a leading '#' ignored);
* ``amount_date``: same currency amount within the tolerance and dates within the window.

Direction: charges look at invoices; chargebacks and their reversals only by transaction id, at
invoices. A refund looks at the credit notes the refunds flow booked for its transaction or order,
in tiers (``pref``, the lowest tier with a candidate is the line's candidate set):

1. credit notes whose open remainder is the refunded amount within the rule's tolerance (with
   several refunds of one order, each finds its own credit note by amount);
2. the other credit notes of that transaction or order (one: it is matched and its class says
   how the amount differs; several: none fits, so the line is ambiguous);
3. the invoice it refunds, when no credit note was booked for it (posted, flagged for review).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.errors import ConfigError

#: bump when the meaning of a class changes, so the ledger records which logic decided a line
MATCHER_VERSION = 2
KEYS = ("transaction_id", "order_ref", "amount_date")


@dataclass(frozen=True)
class Tolerance:
    """How far a paid amount may be from the expected one and still settle it (the difference
    goes to the error account). Absolute in the invoice currency, or a percent of the expected."""

    absolute: Decimal = Decimal(0)
    percent: Decimal | None = None

    def sql(self, expected: str) -> str:
        if self.percent is not None:
            return f"(abs({expected}) * CAST({format(self.percent, 'f')} AS DECIMAL(9,4)) / 100)"
        return f"CAST({format(self.absolute, 'f')} AS DECIMAL(18,4))"

    def to_json(self) -> dict[str, str]:
        return {"percent": str(self.percent)} if self.percent is not None else {"absolute": str(self.absolute)}


@dataclass(frozen=True)
class Rule:
    name: str
    by: str                      # transaction_id | order_ref | amount_date
    tolerance: Tolerance
    date_window_days: int = 3
    mode: str = "auto"           # auto: matches are posted; review: matched lines wait for a person

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "by": self.by, "tolerance": self.tolerance.to_json(),
                "date_window_days": self.date_window_days, "mode": self.mode}


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("transaction_id", "transaction_id", Tolerance(Decimal("0.00"))),
    Rule("order_ref", "order_ref", Tolerance(Decimal("0.00"))),
)


def rules_from_settings(items: Sequence[Mapping[str, Any]] | None) -> tuple[Rule, ...]:
    """Rules in the order given (already checked against the settings schema)."""
    if not items:
        return DEFAULT_RULES
    rules = []
    seen = [item.get("by") for item in items]
    for i, item in enumerate(items):
        by = item["by"]
        if by not in KEYS:
            raise ConfigError(f"paymatch.rules[{i}].by: {by!r} is not one of {', '.join(KEYS)}")
        tol = item.get("tolerance") or {}
        if "percent" in tol:
            tolerance = Tolerance(percent=Decimal(str(tol["percent"])))
        else:
            tolerance = Tolerance(absolute=Decimal(str(tol.get("absolute", 0))))
        default_name = by if seen.count(by) == 1 else f"{by}#{i + 1}"
        rules.append(Rule(name=str(item.get("name") or default_name), by=by, tolerance=tolerance,
                          date_window_days=int(item.get("date_window_days", 3)), mode=item.get("mode", "auto")))
    return tuple(rules)


def rule_version(rules: Sequence[Rule]) -> str:
    """A short digest of the rules and the matcher logic, stored with every match."""
    text = json.dumps({"matcher": MATCHER_VERSION, "rules": [r.to_json() for r in rules]}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


COMPARE_AMOUNT = """CASE WHEN l.currency = i.currency THEN l.amount
     WHEN l.original_currency = i.currency THEN l.original_amount END"""


#: candidate tiers of a refund (see the module docstring); every other line's candidates are tier 1
FITTING_CREDIT_NOTE, OTHER_CREDIT_NOTE, REFUNDED_INVOICE = 1, 2, 3


def candidates_sql(rule: Rule, *, distinct: bool = True) -> str:
    """SELECT (seq, invoice_number, pref) of every candidate of ``rule`` for the pending lines;
    the lowest ``pref`` of a line is its candidate set. ``distinct`` is needed only when an
    invoice has several rows in ``invoice_payments`` (one per reference)."""
    if rule.by == "amount_date":
        return _amount_date_sql(rule)
    key = "l.transaction_id = i.transaction_id" if rule.by == "transaction_id" else "l.order_key = i.order_key"
    disputes = "TRUE" if rule.by == "transaction_id" else "FALSE"
    return f"""
        SELECT {"DISTINCT" if distinct else ""} l.seq, i.invoice_number,
               CASE WHEN l.type <> 'refund' THEN 1
                    WHEN i.amount >= 0 THEN {REFUNDED_INVOICE}
                    WHEN abs(({COMPARE_AMOUNT}) - i.remainder) <= {rule.tolerance.sql('i.remainder')}
                        THEN {FITTING_CREDIT_NOTE}
                    ELSE {OTHER_CREDIT_NOTE} END AS pref
        FROM pm_pending l JOIN invoice_payments i ON {key}
        WHERE (l.type = 'charge' AND i.amount > 0)
           OR (l.type = 'refund')
           OR (l.type IN ('chargeback', 'chargeback_reversal') AND i.amount > 0 AND {disputes})
    """


def _amount_date_sql(rule: Rule) -> str:
    """Charges to open invoices, refunds to open credit notes, by amount within the tolerance and
    dates within the window. To stay an equi-join at a million lines, open items are put in
    amount buckets (width twice the tolerance; log-scale for a percent) and each line probes the
    few buckets its tolerance can reach; the exact DECIMAL test follows. Bucket numbers are
    DOUBLE, widened by one bucket each side, so rounding can only add candidates, never lose one."""
    tol = rule.tolerance
    if tol.percent is not None and tol.percent > 0:
        width = math.log((100 + float(tol.percent)) / (100 - float(tol.percent)))
        bucket = f"floor(ln(abs(CAST({{x}} AS DOUBLE))) / {width!r})"
        low = f"abs(CAST(p.cmp AS DOUBLE)) * 100 / {100 + float(tol.percent)!r}"
        high = f"abs(CAST(p.cmp AS DOUBLE)) * 100 / {100 - float(tol.percent)!r}"
    else:
        step = max(2 * float(tol.absolute), 0.01)
        bucket = f"floor(abs(CAST({{x}} AS DOUBLE)) / {step!r})"
        low = f"abs(CAST(p.cmp AS DOUBLE)) - {float(tol.absolute)!r}"
        high = f"abs(CAST(p.cmp AS DOUBLE)) + {float(tol.absolute)!r}"
    low_bucket = f"CAST(greatest({bucket.format(x=f'greatest({low}, 1e-9)')}, -1e15) AS BIGINT) - 1"
    high_bucket = f"CAST({bucket.format(x=high)} AS BIGINT) + 1"
    return f"""
        WITH probes AS (
            SELECT seq, type, date, currency AS cur, amount AS cmp FROM pm_pending
            WHERE type IN ('charge', 'refund')
            UNION ALL
            SELECT seq, type, date, original_currency, original_amount FROM pm_pending
            WHERE type IN ('charge', 'refund') AND original_amount IS NOT NULL AND original_currency <> currency
        ), keyed AS (
            SELECT p.*, sign(p.cmp) AS direction, unnest(range({low_bucket}, {high_bucket} + 1)) AS bucket
            FROM probes p WHERE p.cmp <> 0
        ), open_items AS (
            SELECT invoice_number, currency, amount, remainder, date, sign(remainder) AS direction,
                   CAST({bucket.format(x='remainder')} AS BIGINT) AS bucket
            FROM pm_invoices WHERE remainder <> 0
        )
        SELECT DISTINCT k.seq, i.invoice_number, 1 AS pref   -- a refund's: fitting credit notes (tier 1)
        FROM keyed k JOIN open_items i
          ON i.currency = k.cur AND i.direction = k.direction AND i.bucket = k.bucket
        WHERE abs(k.cmp - i.remainder) <= {tol.sql('i.remainder')}
          AND abs(date_diff('day', i.date, k.date)) <= {int(rule.date_window_days)}
          AND ((k.type = 'charge' AND i.amount > 0) OR (k.type = 'refund' AND i.amount < 0))
    """
