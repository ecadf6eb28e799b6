"""Keyed output files: rows written under an idempotency key, never twice.

Each output row carries the key in the column ``iex_key``. Writing a key that is not in the file
appends (cheap, the common case); writing a key that is already there replaces its rows through
a temporary file and an atomic rename. A line cut short by a crash is dropped when the file is
next opened, so the finder never mistakes half a write for a done one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.files.numbers import format_number
from engine.errors import DataError
from engine.state import codec

KEY_COLUMN = "iex_key"


class KeyedFile:
    """One output file (``.jsonl`` or ``.csv``) with the rows of every key it holds.

    Only a digest of each key's rows is kept in memory, so a long run (a 100,000-order backfill)
    writes in constant time per record; the rare rewrite of a key that changed reads the file
    again. Not thread-safe: the connector holds a lock per path around every use."""

    def __init__(self, path: Path, *, delimiter: str = ",", decimal_comma: bool = False, encoding: str = "utf-8") -> None:
        self.path = path
        self.csv = path.suffix.lower() == ".csv"
        self.delimiter = delimiter
        self.decimal_comma = decimal_comma
        self.encoding = encoding
        self.header: list[str] = []
        self.digests: dict[str, str] = {}   # key -> digest of its rows as the file holds them
        self._load()

    def _load(self) -> None:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for row in self._read():
            grouped.setdefault(str(row.get(KEY_COLUMN)), []).append(row)
        self.digests = {key: self._digest(rows) for key, rows in grouped.items()}

    def _read(self) -> list[dict[str, Any]]:
        """Every row of the file (dropping a last line cut short by a crash)."""
        if not self.path.exists():
            return []
        text = self.path.read_text(encoding=self.encoding)
        if text and not text.endswith("\n"):
            text = text[: text.rfind("\n") + 1]  # a line cut short by a crash
            self._replace_with(text)
        if self.csv:
            reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=self.delimiter)
            self.header = list(reader.fieldnames or [])
            return list(reader)
        # "\n" only: a string may hold U+2028 unescaped, which splitlines() would break at
        return [codec.loads(line) for line in text.split("\n") if line.strip()]

    def rows_of(self, key: str) -> list[dict[str, Any]]:
        """The rows of ``key`` as the file holds them (read from disk: finders and tests only)."""
        if key not in self.digests:
            return []
        return [row for row in self._read() if row.get(KEY_COLUMN) == key]

    def write(self, key: str, records: list[dict[str, Any]]) -> None:
        new = [{KEY_COLUMN: key, **record} for record in records]
        for record in new:
            for name, value in record.items():
                if isinstance(value, (dict, list)) and self.csv:
                    raise DataError(f"a CSV cell cannot hold a {type(value).__name__}", field_path=f"records[].{name}")
        digest = self._digest(new)
        if self.digests.get(key) == digest:
            return  # the same rows again: nothing to write
        columns = list(self.header)
        for record in new:
            columns += [name for name in record if name not in columns]
        try:
            if key in self.digests or (self.csv and columns != self.header):
                rows = self._replace_rows(self._read(), key, new)
                self._replace_with(self._render(rows, header=True, columns=columns))
                self.header = columns
            else:
                with open(self.path, "a", encoding=self.encoding, newline="") as out:
                    out.write(self._render(new, header=False, columns=self.header))
                    out.flush()
                    os.fsync(out.fileno())
        except UnicodeEncodeError as exc:  # the whole text is encoded before any byte is written
            bad = exc.object[exc.start:exc.end]
            raise DataError(f"the character {bad!r} cannot be written in {self.encoding}; "
                            "change the value or the output encoding") from None
        self.digests[key] = digest

    @staticmethod
    def _replace_rows(existing: list[dict[str, Any]], key: str, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every row, with the rows of ``key`` replaced where the first of them stood."""
        rows: list[dict[str, Any]] = []
        placed = False
        for row in existing:
            if row.get(KEY_COLUMN) != key:
                rows.append(row)
            elif not placed:
                rows += new
                placed = True
        return rows if placed else rows + new

    def _digest(self, rows: list[dict[str, Any]]) -> str:
        return hashlib.sha256(codec.dumps([self._comparable(r) for r in rows]).encode("utf-8", "surrogatepass")).hexdigest()

    def _comparable(self, row: dict[str, Any]) -> dict[str, str]:
        """A row as the file holds it (CSV reads back as text), to tell a repeat from a change."""
        return {k: self._cell(v) if self.csv else codec.dumps(v) for k, v in row.items() if v not in (None, "")}

    def _render(self, rows: list[dict[str, Any]], *, header: bool, columns: list[str]) -> str:
        if not self.csv:
            return "".join(codec.dumps(row, sort_keys=False) + "\n" for row in rows)
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=columns, delimiter=self.delimiter, lineterminator="\n")
        if header:
            writer.writeheader()
        for row in rows:
            writer.writerow({k: self._cell(v) for k, v in row.items()})
        return buffer.getvalue()

    def _cell(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, Decimal):
            return format_number(value, decimal_comma=self.decimal_comma)
        return str(value)

    def _replace_with(self, text: str) -> None:
        temp = self.path.with_name(f".{self.path.name}.tmp")
        with open(temp, "w", encoding=self.encoding, newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.path)
