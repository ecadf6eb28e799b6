"""CSV payout reports -> ``payout_lines``, read and converted by DuckDB itself (no Python per line).

DuckDB reads every cell as VARCHAR (``read_csv`` with explicit columns, ``WITH ORDINALITY`` as
the record number). SQL then does what a format says: trims, removes thousands separators and
turns a decimal comma into a point (``replace``), checks the number's shape and casts it
(``TRY_CAST`` to DECIMAL, never DOUBLE), divides minor units through the currency-exponent table
(a join), applies sign, debit/credit and fee-sign rules, maps the acquirer's types (a join) and
hashes the identity columns into the line key. A line that fails a check is not loaded; it comes
back as ``report.csv:<line>: <field> '<value>' is not a number`` (the same checks and words, in
the same order, as the JSON path in ``load``), and the rest goes on.

Line numbers are physical lines, as an editor shows them. When every record is one line they are
the record number + 1 (the header); a file with blank lines or quoted line breaks is counted once
more with Python's csv module (positions only) so the numbers stay exact.
"""

from __future__ import annotations

import codecs
import csv
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from engine.errors import DataError, Location
from engine.helpers.money import currency_exponent
from engine.paymatch.formats import FormatSpec

Progress = Callable[[int], None]

PARSED = "DECIMAL(18,4)"
NUMBER_RE = r"[+-]?(\d+(\.\d*)?|\.\d+)"
#: what Python's str.strip() removes in practice (the JSON path strips with it)
BLANKS = "' ' || chr(9) || chr(10) || chr(13) || chr(11) || chr(12) || chr(160)"

def _filled(char_code: str) -> str:
    """SQL: the character is not a blank (an IN list here would become a hash join per cell)."""
    return f"({char_code} > 32 AND {char_code} <> 160)"
DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "latin-1": "latin-1", "iso8859-1": "latin-1",
                    "utf-16": "utf-16"}
TEXT_FIELDS = ("line_id", "payout_id", "payout_date", "type", "currency", "date", "transaction_id", "order_ref",
               "original_currency")
MONEY_ORDER = ("amount", "fee", "net", "original_amount")


def read_header(path: Path, spec: FormatSpec) -> dict[str, int]:
    """The header's column positions by lower-case name; the file must exist and have one."""
    try:
        with path.open(encoding=spec.encoding, newline="") as handle:
            header = next(csv.reader(handle, delimiter=spec.delimiter), None)
    except (OSError, UnicodeDecodeError, LookupError, csv.Error) as exc:
        raise DataError(f"cannot read {path} as {spec.encoding} text: {exc}", location=Location(file=str(path))) from None
    if header is None:
        raise DataError("the report is empty (no header line)", location=Location(file=str(path), line=1))
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index[name.strip().lower()] = i     # a repeated name: the last one counts
    index["\x00width"] = len(header)
    return index


@dataclass
class Staged:
    """What ``stage`` read: records in the file, bad lines as (where, why), and the SQL relation
    of the good lines (the columns of ``load.COLUMNS``) to build ``payout_lines`` from."""

    records: int
    bad: list[tuple[str, str]]
    relation: str


def stage(con: duckdb.DuckDBPyConnection, path: Path, spec: FormatSpec, index: dict[str, int],
          default_currency: str | None) -> Staged:
    """Read and check the whole report in one DuckDB query into the temp table ``iex_checked``
    (in file order: its rowid is the record number - 1); ``cleanup`` drops it afterwards."""
    width = index.pop("\x00width")
    build = _Sql(spec, index)
    checked = build.checked_sql(default_currency)           # also notes which columns are read
    # a line of empty cells is skipped; almost every line shows it is not one in its first cell
    blank = (f"CASE WHEN {_filled('ascii(c0)')} THEN false ELSE "
             + " AND ".join(f"{_strip(f'c{i}')} IS NULL" for i in range(width)) + " END")
    with _duckdb_readable(path, spec) as (readable, encoding), _insertion_order(con):
        for parallel in ("true", "false"):
            names = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
            scan = (f"read_csv(?, auto_detect = false, header = true, delim = ?, quote = '\"', escape = '\"', "
                    f"columns = {{{names}}}, null_padding = true, strict_mode = false, parallel = {parallel}, "
                    "encoding = ?)")
            params = [str(readable), spec.delimiter, encoding]
            try:
                _lookup_tables(con, spec, build, default_currency, scan, params)
                query = checked.replace("@BLANK@", blank).replace("@SCAN@", scan)
                con.execute(f"CREATE OR REPLACE TEMP TABLE iex_checked AS {query}", params)
                break
            except duckdb.Error as exc:
                cleanup(con)
                if parallel == "true" and "parallel" in str(exc).lower():
                    continue    # quoted line breaks with short rows: DuckDB reads those in one thread only
                raise DataError(f"cannot read the report: {_first_line(exc)}",
                                location=Location(file=str(path))) from None
    records = con.execute("SELECT count(*) FROM iex_checked").fetchone()[0]
    con.execute(build.repeated_sql())
    line = _line_sql(con, path, spec, records)
    bad = [(f"{path}:{n}", _message(build, problem, detail, amount, fee, net)) for n, problem, detail, amount, fee, net
           in con.execute(f"SELECT {line}, problem, detail, bad_amount, bad_fee, bad_net FROM iex_checked c "
                          "WHERE problem NOT IN ('', 'blank') ORDER BY c.rowid").fetchall()]
    columns = (f"c.rowid + 1 AS seq, {_quote(str(path))} || ':' || {line} AS source_ref, "
               "* EXCLUDE (problem, ident, detail, bad_amount, bad_fee, bad_net, source_ref)")
    return Staged(records, bad, f"(SELECT {columns} FROM iex_checked c WHERE problem = '')")


@contextmanager
def _insertion_order(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Keep file order in ``iex_checked`` (matching turns the setting off on its connection)."""
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if before else 'false'}")


def cleanup(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("iex_checked", "iex_lines", "iex_types", "iex_exponents"):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _message(build: _Sql, problem: str, detail: str | None, amount: Any, fee: Any, net: Any) -> str:
    """The words the JSON path uses for the same problem."""
    shown = repr(str(detail)[:40]) if detail is not None else "None"
    if problem.startswith("nan:"):
        return f"{build.label(problem)} {shown} is not a number"
    if problem.startswith("minor:"):
        return f"{build.label(problem)} {shown} is not a whole number of minor units"
    return {
        "no_currency": "the line has no currency (set `currency` in the PayMatch settings for this format)",
        "bad_currency": f"currency {detail!r} is not an ISO code",
        "no_type": "the line has no type",
        "unknown_type": f"type {detail!r} is not in format {build.spec.name}'s type map (add it to `types`)",
        "no_amount": "the line has no amount",
        "mismatch": f"net {_plain(net)} is not amount {_plain(amount)} minus fee {_plain(fee)} "
                    "(check the format's sign settings)",
        "no_date": "the line has no date",
    }[problem]


def _plain(value: Decimal | None) -> str:
    """A Decimal as a report writes it: no trailing zeros beyond two decimals (101.0000 -> 101.00)."""
    if value is None:
        return "None"
    value = value.normalize()
    return format(value.quantize(Decimal("0.01")) if value.as_tuple().exponent > -2 else value, "f")


# -- reading -----------------------------------------------------------------------------------------
@contextmanager
def _duckdb_readable(path: Path, spec: FormatSpec) -> Iterator[tuple[Path, str]]:
    """The file and an encoding DuckDB reads itself; other encodings are converted to UTF-8 once."""
    try:
        name = codecs.lookup(spec.encoding).name
    except LookupError:
        raise DataError(f"unknown encoding {spec.encoding!r} in format {spec.name}", location=Location(file=str(path))) from None
    if name in DUCKDB_ENCODINGS:
        yield path, DUCKDB_ENCODINGS[name]
        return
    with tempfile.TemporaryDirectory(prefix="iex-paymatch-") as tmp:
        converted = Path(tmp) / "report.csv"
        try:
            with path.open(encoding=spec.encoding, newline="") as src, converted.open("w", encoding="utf-8", newline="") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except UnicodeDecodeError as exc:
            raise DataError(f"cannot read {path} as {spec.encoding} text: {exc}", location=Location(file=str(path))) from None
        yield converted, "utf-8"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _line_sql(con: duckdb.DuckDBPyConnection, path: Path, spec: FormatSpec, records: int) -> str:
    """SQL for the physical line of record ``c.rec`` (the line it ends on)."""
    if _physical_lines(path) == records + 1:
        return "(c.rowid + 2)"
    ends: list[int] = []
    with path.open(encoding=spec.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=spec.delimiter)
        next(reader, None)
        for cells in reader:
            if cells:                      # DuckDB skips empty lines; so do the record numbers
                ends.append(reader.line_num)
    con.execute("CREATE OR REPLACE TEMP TABLE iex_lines AS "
                "SELECT ordinality AS rec, line FROM unnest(?::BIGINT[]) WITH ORDINALITY AS t(line)", [ends])
    return "(SELECT l.line FROM iex_lines l WHERE l.rec = c.rowid + 1)"


def _physical_lines(path: Path) -> int:
    """Lines in the file, a last line without a newline included; an empty line makes it differ
    from the record count, which is what sends a file to the exact count."""
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _lookup_tables(con: duckdb.DuckDBPyConnection, spec: FormatSpec, build: _Sql, default: str | None,
                   scan: str, params: list[Any]) -> None:
    """The type map and, for minor units, the exponent of every currency in the report, as tables."""
    con.execute("CREATE OR REPLACE TEMP TABLE iex_types (raw VARCHAR, positive VARCHAR, negative VARCHAR)")
    if spec.types:
        con.executemany("INSERT INTO iex_types VALUES (?, ?, ?)", [(k, p, n) for k, (p, n) in spec.types.items()])
    con.execute("CREATE OR REPLACE TEMP TABLE iex_exponents (code VARCHAR, factor DECIMAL(5,4))")
    if spec.units != "minor":
        return
    codes = {default.upper()} if default else set()
    for expr in (build.text("currency"), build.text("original_currency")):
        if expr != "NULL":
            codes.update(r[0] for r in con.execute(f"SELECT DISTINCT upper({expr}) FROM {scan}", params).fetchall()
                         if r[0])
    rows = [(code, Decimal(1).scaleb(-currency_exponent(code))) for code in codes
            if len(code) == 3 and code.isascii() and code.isalpha()]
    if rows:
        con.executemany("INSERT INTO iex_exponents VALUES (?, ?)", rows)


# -- the SQL of one format ---------------------------------------------------------------------------
class _Sql:
    """SQL expressions for one format over the raw table's columns ``c<position>``."""

    def __init__(self, spec: FormatSpec, index: dict[str, int]) -> None:
        self.spec = spec
        self.index = index
        self.used: set[int] = set()
        self.identity = spec.identity or spec.fields["line_id"].refs
        # money parts in check order: (field, part number, label, ref or None for a constant)
        self.parts: list[tuple[str, int, str, str | None]] = []
        for name in MONEY_ORDER:
            source = spec.fields.get(name)
            if source is None or source.kind == "value":
                continue
            labelled = source.kind in ("sum", "debit_credit")
            for k, ref in enumerate(source.refs):
                self.parts.append((name, k, f"{name} ({ref})" if labelled else name, ref))

    def column(self, ref: str) -> str:
        position = self.index.get(ref.strip().lower())
        if position is None:
            return "CAST(NULL AS VARCHAR)"
        self.used.add(position)
        return f"c{position}"

    def clean(self, ref: str) -> str:
        return _strip(self.column(ref))

    def text(self, name: str) -> str:
        source = self.spec.fields.get(name)
        if source is None:
            return "NULL"
        if source.kind == "value":
            return "NULL" if source.value is None else _quote(str(source.value).strip() or None)
        cleaned = [self.clean(ref) for ref in source.refs]
        return cleaned[0] if len(cleaned) == 1 else f"coalesce({', '.join(cleaned)})"

    def checked_sql(self, default_currency: str | None) -> str:
        """One query: canonical fields and, for a bad line, its first problem, in the order the
        JSON path checks (currency, money fields, type, amount, sum, date)."""
        spec = self.spec
        minor = spec.units == "minor"
        texts = "".join(f"{self.text(n)} AS t_{n}, " for n in TEXT_FIELDS)
        raws = "".join(f"{self.column(ref)} AS raw_{f}_{k}, " for f, k, _, ref in self.parts)
        normalised = "".join(f", {self._normalise(_strip(f'raw_{f}_{k}'))} AS n_{f}_{k}" for f, k, _, _ in self.parts)
        parsed = "".join(
            f", CASE WHEN regexp_full_match(n_{f}_{k}, '{NUMBER_RE}') THEN TRY_CAST(n_{f}_{k} AS {PARSED}) END AS v_{f}_{k}"
            for f, k, _, _ in self.parts)
        idents = [f"coalesce({self.clean(ref)}, '')" for ref in self.identity]
        ident = " || chr(31) || ".join(idents)
        ident_ref = "concat_ws('/', " + ", ".join(f"nullif({v}, '')" for v in idents) + ")"
        values = {name: self._money(name, minor) for name in MONEY_ORDER if name in spec.fields}
        checks = " ".join(self._part_checks(f, k, minor) for f, k, _, _ in self.parts)
        details = " ".join(f"WHEN '{kind}:{f}:{k}' THEN raw_{f}_{k}" for f, k, _, _ in self.parts
                           for kind in ("nan", "minor"))
        flip = "false"
        if spec.sign == "by_type":
            flip = "kind IN (" + (", ".join(_quote(t) for t in sorted(spec.negative_types)) or "NULL") + ")"
        fee = "-fee0" if spec.fee_sign == "cost_negative" else "fee0"
        default = _quote(default_currency.upper() if default_currency else None)
        return f"""
WITH t AS (
  SELECT (@BLANK@) AS blank, {texts}{raws}{ident} AS ident, {ident_ref} AS ident_ref
  FROM @SCAN@
), n AS (
  SELECT *, upper(coalesce(t_currency, {default})) AS cur, upper(t_original_currency) AS ocur{normalised} FROM t
), v AS (
  SELECT *{parsed} FROM n
), m AS (
  SELECT v.*, tm.positive, tm.negative, e.factor AS f_cur, coalesce(eo.factor, e.factor) AS f_orig
  FROM v LEFT JOIN iex_types tm ON tm.raw = lower(v.t_type)
         LEFT JOIN iex_exponents e ON e.code = v.cur LEFT JOIN iex_exponents eo ON eo.code = v.ocur
), a AS (
  SELECT *, {values.get('amount', 'NULL')} AS amount0, {values.get('fee', 'NULL')} AS fee0,
         {values.get('net', 'NULL')} AS net0, {values.get('original_amount', 'NULL')} AS orig0 FROM m
), k AS (
  SELECT *, {fee} AS fee1,
         CASE WHEN coalesce(amount0, net0) IS NULL OR coalesce(amount0, net0) >= 0 THEN positive ELSE negative END AS kind
  FROM a
), g AS (
  SELECT *, CASE WHEN {flip} THEN -amount0 ELSE amount0 END AS amount2, CASE WHEN {flip} THEN -net0 ELSE net0 END AS net2,
         CASE WHEN {flip} THEN -orig0 ELSE orig0 END AS orig2
  FROM k
), p AS (
  SELECT *,
    CASE WHEN blank THEN 'blank'
         WHEN cur IS NULL THEN 'no_currency'
         WHEN NOT regexp_full_match(cur, '[A-Z]{{3}}') THEN 'bad_currency'
         {checks}
         WHEN t_type IS NULL THEN 'no_type'
         WHEN positive IS NULL THEN 'unknown_type'
         WHEN amount2 IS NULL AND net2 IS NULL THEN 'no_amount'
         WHEN amount2 IS NOT NULL AND net2 IS NOT NULL AND fee1 IS NOT NULL AND amount2 - fee1 <> net2 THEN 'mismatch'
         WHEN t_date IS NULL THEN 'no_date' ELSE '' END AS problem
  FROM g
)
SELECT problem, ident,
  CASE problem WHEN 'bad_currency' THEN cur WHEN 'unknown_type' THEN t_type {details} END AS detail,
  amount2 AS bad_amount, fee1 AS bad_fee, net2 AS bad_net,
  NULL AS source_ref,
  left(sha256({_quote(spec.namespace)} || chr(31) || ident), 32) AS line_key,
  coalesce(nullif(ident_ref, ''), t_line_id, '') AS line_ref,
  t_payout_id AS payout_id, t_payout_date AS payout_date_raw, t_type AS source_type, kind AS type,
  CAST(CASE WHEN amount2 IS NULL THEN net2 + coalesce(fee1, 0) ELSE amount2 END AS {PARSED}) AS amount,
  CAST(CASE WHEN amount2 IS NULL OR net2 IS NULL THEN coalesce(fee1, 0) WHEN fee1 IS NULL THEN amount2 - net2
            ELSE fee1 END AS {PARSED}) AS fee,
  CAST(CASE WHEN net2 IS NULL THEN amount2 - coalesce(fee1, 0) ELSE net2 END AS {PARSED}) AS net,
  cur AS currency, t_date AS date_raw, t_transaction_id AS transaction_id, t_order_ref AS order_ref,
  CAST(orig2 AS {PARSED}) AS original_amount, CASE WHEN orig2 IS NOT NULL THEN ocur END AS original_currency
FROM p"""

    def repeated_sql(self) -> str:
        """Identical lines of one report stay apart: the second and later get their number in
        the key (the JSON path's ``line_key``). Few lines repeat, so only they are counted."""
        return f"""
UPDATE iex_checked c SET line_key = left(sha256({_quote(self.spec.namespace)} || chr(31) || c.ident
                                                 || chr(31) || '#' || d.occurrence), 32)
FROM (SELECT rowid AS rec, row_number() OVER (PARTITION BY ident ORDER BY rowid) AS occurrence FROM iex_checked
      WHERE problem = '' AND ident IN (SELECT ident FROM iex_checked WHERE problem = ''
                                      GROUP BY ident HAVING count(*) > 1)) d
WHERE c.rowid = d.rec AND d.occurrence > 1"""

    def label(self, problem: str) -> str:
        """The field a ``nan:<field>:<k>`` / ``minor:...`` problem names (``fee (Markup)``)."""
        _, field, k = problem.split(":")
        return next(label for f, j, label, _ in self.parts if f == field and j == int(k))

    # the pieces of checked_sql --------------------------------------------------------------------
    def _normalise(self, stripped: str) -> str:
        text = f"replace({stripped}, chr(8722), '-')"
        if self.spec.thousands:
            text = f"replace({text}, {_quote(self.spec.thousands)}, '')"
        if self.spec.decimal != ".":
            text = f"replace({text}, {_quote(self.spec.decimal)}, '.')"
        return text

    def _part_checks(self, field: str, k: int, minor: bool) -> str:
        """WHEN clauses for one money part: not a number, then (minor units) not whole."""
        guard = ""
        if self.spec.fields[field].kind == "first":
            # only the first filled column is read; the later ones do not matter
            guard = "".join(f"n_{field}_{j} IS NULL AND " for j in range(k))
        clause = f"WHEN {guard}n_{field}_{k} IS NOT NULL AND v_{field}_{k} IS NULL THEN 'nan:{field}:{k}'"
        if minor:
            clause += f" WHEN {guard}v_{field}_{k} % 1 <> 0 THEN 'minor:{field}:{k}'"
        return clause

    def _money(self, name: str, minor: bool) -> str:
        """A money field's value in major units (NULL when its columns are empty)."""
        source = self.spec.fields[name]
        factor = "f_orig" if name == "original_amount" else "f_cur"

        def part(k: int) -> str:
            return f"(v_{name}_{k} * {factor})" if minor else f"v_{name}_{k}"

        if source.kind == "value":
            if source.value is None:
                return "NULL"
            constant = f"CAST({_constant(source.value, self.spec, name)} AS {PARSED})"
            return f"({constant} * {factor})" if minor else constant
        refs = range(len(source.refs))
        if source.kind == "ref":
            return part(0)
        if source.kind == "negate":
            return f"-{part(0)}"
        if source.kind == "first":
            return f"coalesce({', '.join(part(k) for k in refs)})"
        empty = " AND ".join(f"n_{name}_{k} IS NULL" for k in refs)
        if source.kind == "sum":
            total = " + ".join(f"coalesce({part(k)}, 0)" for k in refs)
            return f"CASE WHEN {empty} THEN NULL ELSE {total} END"
        return f"CASE WHEN {empty} THEN NULL ELSE coalesce({part(1)}, 0) - coalesce({part(0)}, 0) END"


def _strip(column: str) -> str:
    """SQL for Python's ``text.strip() or None``. Trimming a set of characters is slow in DuckDB,
    so a cell that neither starts nor ends with a blank (almost all of them) is taken as it is."""
    return (f"CASE WHEN {column} IS NULL THEN NULL "
            f"WHEN {_filled(f'ascii({column})')} AND {_filled(f'ascii(right({column}, 1))')} "
            f"THEN {column} ELSE nullif(trim({column}, {BLANKS}), '') END")


def _quote(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _constant(value: str, spec: FormatSpec, name: str) -> str:
    text = value.strip().replace("\u2212", "-")
    if spec.thousands:
        text = text.replace(spec.thousands, "")
    if spec.decimal != ".":
        text = text.replace(spec.decimal, ".")
    try:
        return format(Decimal(text), "f")
    except ArithmeticError:
        raise DataError(f"format {spec.name}: fields.{name} value {value!r} is not a number",
                        location=Location(file=spec.file)) from None
