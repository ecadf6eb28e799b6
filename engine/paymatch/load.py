"""Payout reports -> the DuckDB table ``payout_lines`` (money as DECIMAL(18,4), never DOUBLE).

CSV reports are read and converted by DuckDB itself (``load_csv``): a million lines load in
seconds. JSON documents (API answers, a connector's records) are read here through their
``FormatSpec`` line by line into canonical fields, checked, and staged as exact decimal text that
DuckDB reads with typed columns. Both end in the same table, dates parsed by DuckDB in one pass.
A bad line is reported with its place (``report.csv:12: amount 'abc' is not a number``) and left
out; the rest goes on.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import jmespath

from engine.errors import DataError, Location
from engine.helpers.money import minor_to_major
from engine.paymatch import load_csv
from engine.paymatch.formats import FieldSource, FormatSpec

Getter = Callable[[str], Any]
Progress = Callable[[int], None]

COLUMNS = ("seq", "source_ref", "line_key", "line_ref", "payout_id", "payout_date_raw", "source_type", "type",
           "amount", "fee", "net", "currency", "date_raw", "transaction_id", "order_ref",
           "original_amount", "original_currency")
MONEY = "DECIMAL(18,4)"
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
PROGRESS_EVERY = 10_000


@dataclass(frozen=True)
class BadLine:
    """One line left out, and why. ``where`` is ``file:line`` (CSV) or ``file $.path`` (JSON)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Loaded:
    """What ``load_*`` put into ``payout_lines``."""

    source: str
    spec: FormatSpec
    lines: int = 0
    bad: list[BadLine] = field(default_factory=list)


class _LineError(Exception):
    pass


def load_report(con: duckdb.DuckDBPyConnection, path: str | Path, spec: FormatSpec, *,
                default_currency: str | None = None, progress: Progress | None = None) -> Loaded:
    """Read a report file (CSV or JSON per the spec) into ``payout_lines``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"report file {path} does not exist", location=Location(file=str(path)))
    if spec.kind == "csv":
        return _load_csv(con, path, spec, default_currency, progress)
    try:
        document = json.loads(path.read_text(encoding=spec.encoding), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is not JSON: {exc}", location=Location(file=str(path))) from None
    return load_document(con, document, spec, source=str(path), default_currency=default_currency,
                         progress=progress)


def load_document(con: duckdb.DuckDBPyConnection, document: Any, spec: FormatSpec, *, source: str,
                  default_currency: str | None = None, progress: Progress | None = None) -> Loaded:
    """Read an already parsed JSON document (a file, or records from a connector)."""
    if spec.kind != "json":
        raise DataError(f"format {spec.name} reads CSV files, not JSON documents", location=Location(file=source))
    return _load(con, source, spec, _json_rows(document, spec, source), default_currency, progress)


# -- reading rows --------------------------------------------------------------------------------
Row = tuple[str, Getter, dict[str, FieldSource], tuple[str, ...], dict[str, Any]]


def _check_header(spec: FormatSpec, index: Mapping[str, int], source: str) -> None:
    """Columns of required fields and identity must exist; optional ones may be absent."""
    missing = [c for c in spec.identity if c.lower() not in index]
    for name in ("type", "date"):
        missing += [r for r in _needed(spec.fields[name]) if r.lower() not in index]
    money = [spec.fields[n] for n in ("amount", "net") if n in spec.fields]
    if money and all(any(r.lower() not in index for r in _needed(m)) for m in money):
        missing += [r for m in money for r in _needed(m) if r.lower() not in index]
    if missing:
        raise DataError(
            f"the header has no column {', '.join(repr(m) for m in dict.fromkeys(missing))} that format "
            f"{spec.name} needs (columns are matched by name, ignoring case)",
            location=Location(file=source, line=1))


def _needed(source: FieldSource) -> tuple[str, ...]:
    if source.kind == "first":
        return ()  # any one of them will do; an absent one is skipped
    return source.refs


def _json_rows(document: Any, spec: FormatSpec, source: str) -> Iterator[Row]:
    compiled: dict[str, Any] = {}

    def search(expr: str, data: Any) -> Any:
        if expr not in compiled:
            compiled[expr] = jmespath.compile(expr)
        return compiled[expr].search(data)

    defaults = {name: _json_value(f, document, search) for name, f in spec.document.items()}
    for g, group in enumerate(spec.groups):
        items = search(group.each, document)
        if items is None:
            continue
        if not isinstance(items, list):
            raise DataError(f"source.groups[{g}].each ({group.each}) does not select a list",
                            location=Location(file=source))
        identity = group.identity or spec.identity or group.fields["line_id"].refs
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue

            def get(ref: str, item: dict[str, Any] = item) -> Any:
                return search(ref, item)

            yield f"{source} $.{group.each}[{i}]", get, group.fields, identity, defaults


def _json_value(source: FieldSource, data: Any, search: Callable[[str, Any], Any]) -> Any:
    if source.kind == "value":
        return source.value
    for ref in source.refs:
        value = search(ref, data)
        if value not in (None, ""):
            return value
    return None


# -- one line ------------------------------------------------------------------------------------
def _canonical(get: Getter, spec: FormatSpec, fields: dict[str, FieldSource], identity: tuple[str, ...],
               defaults: dict[str, Any], default_currency: str | None) -> dict[str, Any]:
    text: dict[str, str | None] = {}
    for name in ("line_id", "payout_id", "payout_date", "type", "currency", "date", "transaction_id", "order_ref",
                 "original_currency"):
        value = _text(get, fields[name]) if name in fields else None
        if value is None and defaults.get(name) is not None:
            value = str(defaults[name]).strip() or None
        text[name] = value
    currency = (text.get("currency") or default_currency or "").upper()
    if not _CURRENCY.match(currency):
        raise _LineError(f"currency {currency!r} is not an ISO code" if currency else
                         "the line has no currency (set `currency` in the PayMatch settings for this format)")
    original_currency = (text.get("original_currency") or "").upper() or None
    money = {name: _money(get, fields[name], spec, name, currency if name != "original_amount" else
                          (original_currency or currency)) for name in ("amount", "fee", "net", "original_amount")
             if name in fields}
    raw_type = text.get("type")
    if not raw_type:
        raise _LineError("the line has no type")
    pair = spec.types.get(raw_type.strip().lower())
    if pair is None:
        raise _LineError(f"type {raw_type!r} is not in format {spec.name}'s type map (add it to `types`)")
    amount, fee, net = money.get("amount"), money.get("fee"), money.get("net")
    if spec.fee_sign == "cost_negative" and fee is not None:
        fee = -fee
    sign_of = amount if amount is not None else net
    kind = pair[0] if sign_of is None or sign_of >= 0 else pair[1]
    original_amount = money.get("original_amount")
    if spec.sign == "by_type" and kind in spec.negative_types:
        amount, net, original_amount = (None if v is None else -v for v in (amount, net, original_amount))
    amount, fee, net = _complete(amount, fee, net)
    if not text.get("date"):
        raise _LineError("the line has no date")
    values = [_identity_part(get(ref)) for ref in identity]
    return {
        "line_ref": "/".join(v for v in values if v) or text.get("line_id") or "",
        "identity": values,
        "payout_id": text.get("payout_id"), "payout_date_raw": text.get("payout_date"),
        "source_type": raw_type, "type": kind, "amount": amount, "fee": fee, "net": net, "currency": currency,
        "date_raw": text["date"], "transaction_id": text.get("transaction_id"), "order_ref": text.get("order_ref"),
        "original_amount": original_amount, "original_currency": original_currency if original_amount is not None else None,
    }


def _complete(amount: Decimal | None, fee: Decimal | None, net: Decimal | None) -> tuple[Decimal, Decimal, Decimal]:
    """Fill the one missing figure of gross = fee + net, and check the three when all are given."""
    if amount is None and net is None:
        raise _LineError("the line has no amount")
    if amount is None:
        fee = fee or Decimal(0)
        return net + fee, fee, net  # type: ignore[operator]
    if net is None:
        fee = fee or Decimal(0)
        return amount, fee, amount - fee
    if fee is None:
        return amount, amount - net, net
    if amount - fee != net:
        raise _LineError(f"net {net} is not amount {amount} minus fee {fee} (check the format's sign settings)")
    return amount, fee, net


def _text(get: Getter, source: FieldSource) -> str | None:
    if source.kind == "value":
        return source.value
    for ref in source.refs:
        value = get(ref)
        if value is not None and not isinstance(value, (dict, list)) and str(value).strip() != "":
            return str(value).strip()
    return None


def _money(get: Getter, source: FieldSource, spec: FormatSpec, name: str, currency: str) -> Decimal | None:
    if source.kind == "value":
        return None if source.value is None else _number(source.value, spec, name, currency)
    if source.kind == "ref":
        return _number(get(source.refs[0]), spec, name, currency)
    if source.kind == "negate":
        value = _number(get(source.refs[0]), spec, name, currency)
        return None if value is None else -value
    if source.kind == "first":
        for ref in source.refs:
            value = _number(get(ref), spec, name, currency)
            if value is not None:
                return value
        return None
    parts = [_number(get(ref), spec, f"{name} ({ref})", currency) for ref in source.refs]
    if all(p is None for p in parts):
        return None
    if source.kind == "sum":
        return sum((p or Decimal(0) for p in parts), Decimal(0))
    debit, credit = (p or Decimal(0) for p in parts)
    return credit - debit


def _number(raw: Any, spec: FormatSpec, name: str, currency: str) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or isinstance(raw, float) or isinstance(raw, (dict, list)):
        raise _LineError(f"{name} {str(raw)[:40]!r} is not a number")
    if isinstance(raw, (int, Decimal)):
        value = Decimal(raw)
    else:
        text = str(raw).strip().replace("\u2212", "-")
        if not text:
            return None
        if spec.thousands:
            text = text.replace(spec.thousands, "")
        if spec.decimal != ".":
            text = text.replace(spec.decimal, ".")
        if not _NUMBER.match(text):
            raise _LineError(f"{name} {str(raw)[:40]!r} is not a number")
        value = Decimal(text)
    if not value.is_finite():
        raise _LineError(f"{name} {str(raw)[:40]!r} is not a number")
    if spec.units == "minor":
        if value != value.to_integral_value():
            raise _LineError(f"{name} {str(raw)[:40]!r} is not a whole number of minor units")
        return minor_to_major(value, currency)
    return value


def _identity_part(value: Any) -> str:
    return "" if value is None else str(value).strip()


def line_key(namespace: str, values: list[str], occurrence: int) -> str:
    """The line's identity: a hash of the namespace and the declared columns (plus its number
    among identical lines of one report, so two equal batch rows stay two lines)."""
    text = "\x1f".join([namespace, *values]) + (f"\x1f#{occurrence}" if occurrence > 1 else "")
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# -- into DuckDB ---------------------------------------------------------------------------------
def _load(con: duckdb.DuckDBPyConnection, source: str, spec: FormatSpec, rows: Iterator[Row],
          default_currency: str | None, progress: Progress | None) -> Loaded:
    loaded = Loaded(source=source, spec=spec)
    seen: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="iex-paymatch-") as tmp:
        staged = Path(tmp) / "lines.csv"
        with staged.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            for seq, (where, get, fields, identity, defaults) in enumerate(rows, start=1):
                try:
                    line = _canonical(get, spec, fields, identity, defaults, default_currency)
                except _LineError as exc:
                    loaded.bad.append(BadLine(where, str(exc)))
                    continue
                ident = "\x1f".join(line["identity"])
                seen[ident] = seen.get(ident, 0) + 1
                key = line_key(spec.namespace, line["identity"], seen[ident])
                writer.writerow([seq, where, key, line["line_ref"]] + [
                    _cell(line[c]) for c in COLUMNS[4:]])
                loaded.lines += 1
                if progress is not None and seq % PROGRESS_EVERY == 0:
                    progress(seq)
        _create_table(con, "read_csv(?, header = true, delim = ',', quote = '\"', escape = '\"', "
                      f"columns = {_staged_columns()})", [str(staged)], spec, source)
    return _finish(con, loaded, progress)


def _load_csv(con: duckdb.DuckDBPyConnection, path: Path, spec: FormatSpec, default_currency: str | None,
              progress: Progress | None) -> Loaded:
    """A CSV report through DuckDB (``load_csv``), into the same table as the JSON path."""
    index = load_csv.read_header(path, spec)
    _check_header(spec, index, str(path))
    staged = load_csv.stage(con, path, spec, index, default_currency)
    if progress is not None:
        progress(staged.records)
    loaded = Loaded(source=str(path), spec=spec, bad=[BadLine(where, why) for where, why in staged.bad])
    try:
        _create_table(con, staged.relation, [], spec, str(path))
    finally:
        load_csv.cleanup(con)
    loaded.lines = con.execute("SELECT count(*) FROM payout_lines").fetchone()[0]
    return _finish(con, loaded, progress)


def _finish(con: duckdb.DuckDBPyConnection, loaded: Loaded, progress: Progress | None) -> Loaded:
    """Lines whose dates do not parse become bad lines too; then the table is final."""
    spec = loaded.spec
    for where, value, name in con.execute(
            "SELECT source_ref, bad_value, bad_field FROM payout_lines WHERE bad_field IS NOT NULL ORDER BY seq"
    ).fetchall():
        loaded.bad.append(BadLine(where, f"{name} {value!r} does not match date format {spec.date_format!r}"))
        loaded.lines -= 1
    con.execute("DELETE FROM payout_lines WHERE bad_field IS NOT NULL")
    con.execute("ALTER TABLE payout_lines DROP COLUMN bad_field")
    con.execute("ALTER TABLE payout_lines DROP COLUMN bad_value")
    if progress is not None:
        progress(loaded.lines + len(loaded.bad))
    return loaded


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def date_sql(column: str, date_format: str) -> str:
    """DuckDB expression turning the raw text in ``column`` into a DATE (NULL when it does not parse)."""
    if date_format == "iso":
        return f"TRY_CAST(left({column}, 10) AS DATE)"
    if date_format == "unix":
        return f"CAST(epoch_ms(TRY_CAST({column} AS BIGINT) * 1000) AS DATE)"
    return f"CAST(TRY_STRPTIME({column}, '{date_format.replace(chr(39), chr(39) * 2)}') AS DATE)"


def _staged_columns() -> str:
    types = {c: "VARCHAR" for c in COLUMNS}
    types.update(seq="BIGINT", amount=MONEY, fee=MONEY, net=MONEY, original_amount=MONEY)
    return "{" + ", ".join(f"'{c}': '{t}'" for c, t in types.items()) + "}"


def _create_table(con: duckdb.DuckDBPyConnection, relation: str, params: list[Any], spec: FormatSpec,
                  source: str) -> None:
    """``payout_lines`` from a relation with the columns of ``COLUMNS`` (money already DECIMAL)."""
    default_payout = f"{spec.name}:{Path(source).stem}".replace("'", "''")
    date, payout_date = date_sql("date_raw", spec.date_format), date_sql("payout_date_raw", spec.date_format)
    con.execute(f"""
        CREATE OR REPLACE TABLE payout_lines AS
        SELECT seq, source_ref, line_key, line_ref,
               coalesce(payout_id, '{default_payout}') AS payout_id,
               {payout_date} AS payout_date, source_type, type,
               CAST(amount AS {MONEY}) AS amount, CAST(fee AS {MONEY}) AS fee, CAST(net AS {MONEY}) AS net, currency,
               {date} AS date, transaction_id, order_ref,
               {ref_key_sql('order_ref')} AS order_key, CAST(original_amount AS {MONEY}) AS original_amount,
               original_currency,
               CASE WHEN {date} IS NULL THEN 'date'
                    WHEN payout_date_raw IS NOT NULL AND {payout_date} IS NULL THEN 'payout_date' END AS bad_field,
               CASE WHEN {date} IS NULL THEN date_raw ELSE payout_date_raw END AS bad_value
        FROM {relation}
    """, params)


def ref_key_sql(column: str) -> str:
    """Order references compare without case, blanks or a leading '#' (Shopify names: #1001)."""
    return f"nullif(regexp_replace(lower(trim({column})), '^#', ''), '')"
