"""PayMatch at scale: the DuckDB matcher against a straightforward pandas version of the same
rules, on the same generated data, in one run.

* Data (deterministic, no RNG): ``lines`` payout lines and as many invoices. Of every 100 lines:
  80 pay their invoice exactly by transaction id (one of those invoices is already settled:
  overpaid), 5 pay 0.30 short (within the 0.50 tolerance), 3 pay half (partial), 4 carry only an
  order reference, 1 has only an amount that several invoices share (amount rule: ambiguous or
  matched), 1 has nothing that matches, 1 is a fee line, 5 more pay exactly.
* Rules: transaction_id (±0.50), order_ref (±0.50), amount_date (exact amount, ±3 days, review).
* Each engine runs in its own child process: it loads the generated CSV files, then only the
  matching is timed. Memory is the child's peak RSS (``VmHWM``, bench/peak.py) at the end, so it includes
  the loaded tables and, for DuckDB, its buffer pool; both children load the same files.
* pandas keeps money as integer cents (exact; Decimal objects would make it far slower), DuckDB
  as DECIMAL(18,4). DuckDB uses its default threads; pandas is single-threaded by nature.
* ``load_s``: a Stripe itemized report of the same size loaded from CSV into ``payout_lines`` (its
  own child process; the bad-line checks included).
* Both must give identical classes on a sample of lines (every 97th) and identical class counts;
  otherwise the benchmark fails instead of reporting a ratio.
* The data holds charges and fees only: the refund path (credit notes in tiers by amount, alike
  credit notes paired) adds no work for them and is checked by tests/engine/paymatch/test_match.py,
  not by this comparison.
"""

from __future__ import annotations

import multiprocessing as mp
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.peak import peak_rss_mb

SAMPLE_EVERY = 97
RULES: list[dict[str, Any]] = [
    {"by": "transaction_id", "tolerance": {"absolute": "0.50"}},
    {"by": "order_ref", "tolerance": {"absolute": "0.50"}},
    {"by": "amount_date", "tolerance": {"absolute": "0"}, "date_window_days": 3, "mode": "review"},
]


def run(report: Callable[[str, dict[str, Any]], None], *, lines: int | None = None, quick: bool = False) -> None:
    """Generate, match with both engines, check they agree, report the figures."""
    n = lines or (10_000 if quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="iex-bench-paymatch-") as tmp:
        generate(Path(tmp), n)
        context = mp.get_context("spawn")
        duck = _in_child(context, "duckdb", tmp)
        pandas = _in_child(context, "pandas", tmp)
        generate_report(Path(tmp), n)
        load = _in_child(context, "load", tmp)
    if duck["counts"] != pandas["counts"] or duck["sample"] != pandas["sample"]:
        differing = [(a, b) for a, b in zip(duck["sample"], pandas["sample"]) if a != b][:5]
        raise AssertionError(f"DuckDB and pandas disagree: counts {duck['counts']} vs {pandas['counts']}; "
                             f"first differing sample lines {differing}")
    report("paymatch", {
        "lines": n,
        "duckdb_s": round(duck["seconds"], 3),
        "pandas_s": round(pandas["seconds"], 3),
        "ratio": round(pandas["seconds"] / duck["seconds"], 2) if duck["seconds"] else None,
        "duckdb_peak_mb": round(duck["peak_mb"], 1),
        "pandas_peak_mb": round(pandas["peak_mb"], 1),
        "memory": "peak RSS of each engine's child process (data loaded + matching)",
        "classes_identical": f"yes ({len(duck['sample'])} sampled lines, all class counts)",
        "classes": duck["counts"],
        "load_s": round(load["seconds"], 3),
        "load_lines_per_s": round(load["lines"] / load["seconds"]) if load["seconds"] else None,
        "load": "a Stripe itemized payout report of the same size, CSV to payout_lines (load_report)",
    })


# -- data ------------------------------------------------------------------------------------------
def generate(folder: Path, n: int) -> None:
    """``lines.csv`` and ``invoices.csv`` in the shape of PayMatch's tables, from arithmetic only."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    cents = "(1000 + ({i} * 7919) % 99991)"
    money = "printf('%d.%02d', ({c}) // 100, ({c}) % 100)"
    inv_cents = f"CASE WHEN i % 100 = 93 THEN {cents.format(i='(i - 1)')} ELSE {cents.format(i='i')} END"
    con.execute(f"""
        COPY (
            SELECT i AS invoice_number, i % 5000 + 1 AS customer_number, 'O' || i AS order_ref,
                   CASE WHEN i % 100 BETWEEN 88 AND 93 THEN NULL ELSE 'ch_' || i END AS transaction_id,
                   {money.format(c=inv_cents)} AS amount, 'DKK' AS currency,
                   DATE '2024-01-01' + CAST(CASE WHEN i % 100 = 93 THEN i - 1 ELSE i END % 60 AS INTEGER) AS date,
                   CASE WHEN i % 100 = 70 THEN '0.00' ELSE {money.format(c=inv_cents)} END AS remainder
            FROM range(1, {n + 1}) t(i)
        ) TO '{folder / "invoices.csv"}' (HEADER)""")
    line_cents = f"""CASE WHEN j % 100 BETWEEN 80 AND 84 THEN {cents.format(i='j')} - 30
                          WHEN j % 100 BETWEEN 85 AND 87 THEN {cents.format(i='j')} // 2
                          WHEN j % 100 = 93 THEN 7
                          WHEN j % 100 = 99 THEN -250
                          ELSE {cents.format(i='j')} END"""
    con.execute(f"""
        COPY (
            SELECT j AS seq, 'L' || j AS line_key, 'txn_' || j AS line_ref, 'po_' || (j // 1000) AS payout_id,
                   CASE WHEN j % 100 = 99 THEN 'fee' ELSE 'charge' END AS type,
                   CASE WHEN j % 100 BETWEEN 88 AND 91 THEN 'x' || j
                        WHEN j % 100 IN (92, 93, 99) THEN NULL ELSE 'ch_' || j END AS transaction_id,
                   CASE WHEN j % 100 BETWEEN 88 AND 91 THEN 'O' || j END AS order_ref,
                   {money.format(c='abs(' + line_cents + ')')} AS amount_abs, ({line_cents}) < 0 AS negative,
                   'DKK' AS currency, DATE '2024-01-01' + CAST(j % 60 + 1 AS INTEGER) AS date
            FROM range(1, {n + 1}) t(j)
        ) TO '{folder / "lines.csv"}' (HEADER)""")
    con.close()


def generate_report(folder: Path, n: int) -> None:
    """``report.csv``: a Stripe itemized payout report (stripe_itemized format) of ``n`` lines."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"""
        COPY (
            SELECT 'po_' || (i // 1000) AS automatic_payout_id, '2024-03-08 00:00:00' AS automatic_payout_effective_at_utc,
                   'txn_' || i AS balance_transaction_id,
                   strftime(TIMESTAMP '2024-01-01' + INTERVAL (i % 5000) MINUTE, '%Y-%m-%d %H:%M:%S') AS created_utc,
                   'dkk' AS currency, printf('%d.%02d', c // 100, c % 100) AS gross, '1.75' AS fee,
                   printf('%d.%02d', (c - 175) // 100, (c - 175) % 100) AS net,
                   CASE WHEN i % 50 = 0 THEN 'refund' ELSE 'charge' END AS reporting_category,
                   'ch_' || i AS source_id, 'ch_' || i AS charge_id, 'O' || i AS "payment_metadata[order_id]",
                   'sale ' || i AS description
            FROM (SELECT i, 1000 + (i * 7919) % 99991 AS c FROM range({n}) t(i))
        ) TO '{folder / "report.csv"}' (HEADER)""")
    con.close()


# -- the children ------------------------------------------------------------------------------------
def _in_child(context: Any, engine: str, folder: str) -> dict[str, Any]:
    queue = context.Queue()
    child = context.Process(target=_child, args=(engine, folder, queue))
    child.start()
    result = queue.get()
    child.join()
    if "error" in result:
        raise RuntimeError(f"{engine} child failed: {result['error']}")
    return result


def _child(engine: str, folder: str, queue: Any) -> None:
    try:
        result = {"duckdb": _duckdb, "pandas": _pandas, "load": _load}[engine](Path(folder))
        result["peak_mb"] = peak_rss_mb()
        queue.put(result)
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def _duckdb(folder: Path) -> dict[str, Any]:
    import duckdb

    from engine.paymatch import match, rules_from_settings
    from engine.paymatch.load import MONEY, ref_key_sql

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"""
        CREATE TABLE payout_lines AS
        SELECT seq, line_key AS source_ref, line_key, line_ref, payout_id, CAST(NULL AS DATE) AS payout_date,
               type AS source_type, type,
               CAST(CASE WHEN negative THEN -amount_abs ELSE amount_abs END AS {MONEY}) AS amount,
               CAST(0 AS {MONEY}) AS fee, CAST(CASE WHEN negative THEN -amount_abs ELSE amount_abs END AS {MONEY}) AS net,
               currency, date, transaction_id, order_ref, {ref_key_sql('order_ref')} AS order_key,
               CAST(NULL AS {MONEY}) AS original_amount, CAST(NULL AS VARCHAR) AS original_currency
        FROM read_csv('{folder / "lines.csv"}', header = true, types = {{'amount_abs': 'DECIMAL(18,2)'}})""")
    con.execute(f"""
        CREATE TABLE invoice_payments AS
        SELECT invoice_number, customer_number, order_ref, {ref_key_sql('order_ref')} AS order_key, transaction_id,
               amount, currency, date, remainder
        FROM read_csv('{folder / "invoices.csv"}', header = true,
                      types = {{'amount': 'DECIMAL(18,2)', 'remainder': 'DECIMAL(18,2)'}})""")
    rules = rules_from_settings(RULES)
    started = time.perf_counter()
    match(con, rules)
    seconds = time.perf_counter() - started
    counts = dict(con.execute("SELECT class, count(*) FROM match_results GROUP BY class ORDER BY class").fetchall())
    sample = con.execute(f"SELECT seq, class FROM match_results WHERE seq % {SAMPLE_EVERY} = 0 ORDER BY seq").fetchall()
    return {"seconds": seconds, "counts": counts, "sample": [tuple(s) for s in sample]}


def _load(folder: Path) -> dict[str, Any]:
    import duckdb

    from engine.paymatch import load_format, load_report

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    loaded = load_report(con, folder / "report.csv", load_format("stripe_itemized"))
    seconds = time.perf_counter() - started
    if loaded.bad or loaded.lines != con.execute("SELECT count(*) FROM payout_lines").fetchone()[0]:
        raise AssertionError(f"the generated report did not load cleanly: {loaded.bad[:3]}")
    return {"seconds": seconds, "lines": loaded.lines}


def _pandas(folder: Path) -> dict[str, Any]:
    import pandas as pd

    lines = pd.read_csv(folder / "lines.csv", dtype={"transaction_id": "string", "order_ref": "string",
                                                     "amount_abs": "string"}, parse_dates=["date"])
    invoices = pd.read_csv(folder / "invoices.csv", dtype={"transaction_id": "string", "order_ref": "string",
                                                           "amount": "string", "remainder": "string"},
                           parse_dates=["date"])
    lines["amount_c"] = _cents(lines["amount_abs"]) * lines["negative"].map({True: -1, False: 1})
    invoices["amount_c"] = _cents(invoices["amount"])
    invoices["remainder_c"] = _cents(invoices["remainder"])
    lines["order_key"] = lines["order_ref"].str.strip().str.lower().str.replace(r"^#", "", regex=True)
    invoices["order_key"] = invoices["order_ref"].str.strip().str.lower().str.replace(r"^#", "", regex=True)
    started = time.perf_counter()
    classes = match_pandas(lines, invoices)
    seconds = time.perf_counter() - started
    counts = {k: int(v) for k, v in sorted(classes["class"].value_counts().items())}
    sampled = classes[classes["seq"] % SAMPLE_EVERY == 0].sort_values("seq")
    return {"seconds": seconds, "counts": counts,
            "sample": [(int(s), c) for s, c in zip(sampled["seq"], sampled["class"])]}


def _cents(text: Any) -> Any:
    parts = text.str.split(".", expand=True)
    return parts[0].astype("int64") * 100 + parts[1].astype("int64")


def match_pandas(lines: Any, invoices: Any) -> Any:
    """The same ordered rules, ties never guessed, running totals per invoice, in pandas."""
    import numpy as np
    import pandas as pd

    tolerance_c = {0: 50, 1: 50, 2: 0}
    pending = lines.loc[lines["type"] == "charge", ["line_key", "seq", "transaction_id", "order_key", "amount_c",
                                                     "currency", "date"]]
    open_invoices = invoices[invoices["amount_c"] > 0]
    decisions = []
    for index, rule in enumerate(RULES):
        if rule["by"] == "amount_date":
            cand = pending.merge(open_invoices[open_invoices["remainder_c"] != 0], left_on=["currency", "amount_c"],
                                 right_on=["currency", "remainder_c"], suffixes=("", "_inv"))
            cand = cand[(cand["date"] - cand["date_inv"]).dt.days.abs() <= rule["date_window_days"]]
        else:
            key = "transaction_id" if rule["by"] == "transaction_id" else "order_key"
            cand = pending.dropna(subset=[key]).merge(open_invoices.dropna(subset=[key]), on=key,
                                                      suffixes=("", "_inv"))
        cand = cand[["line_key", "invoice_number"]].drop_duplicates()
        found = cand.groupby("line_key")["invoice_number"].agg(["count", "min"]).reset_index()
        found["rule"] = index
        decisions.append(found)
        pending = pending[~pending["line_key"].isin(found["line_key"])]
    decided = pd.concat(decisions, ignore_index=True)
    out = lines[["line_key", "seq", "type", "amount_c", "date"]].merge(decided, on="line_key", how="left")
    unique = out[out["count"] == 1].merge(
        invoices[["invoice_number", "remainder_c"]], left_on="min", right_on="invoice_number")
    unique = unique.sort_values(["invoice_number", "date", "seq"])
    unique["paid_before"] = unique.groupby("invoice_number")["amount_c"].cumsum() - unique["amount_c"]
    expected = unique["remainder_c"] - unique["paid_before"]
    difference = unique["amount_c"] - expected
    tolerance = unique["rule"].map(tolerance_c)
    unique["class"] = np.select(
        [(expected <= 0), difference == 0, difference.abs() <= tolerance, difference < 0],
        ["overpaid", "matched_exact", "matched_within_tolerance", "partial"], "overpaid")
    out = out.merge(unique[["line_key", "class"]], on="line_key", how="left")
    out["class"] = np.select(
        [out["type"] == "fee", out["count"].isna(), out["count"] > 1],
        ["fee", "unmatched_payout_line", "ambiguous"], out["class"].fillna(""))
    return out[["seq", "class"]]
