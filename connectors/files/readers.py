"""Parsers for the input formats: one ``Row`` per record with its line, or the row's error.

Every parser goes on after a bad row when the format allows it (CSV with a wrong field count,
a JSON line that does not parse); an error that breaks the rest of the file (an unclosed quote,
XML that is not well formed) ends the file with that error.
"""

from __future__ import annotations

import csv
import io
import json
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.errors import ConfigError, DataError, Location


@dataclass
class Row:
    line: int                          # 1-based line where the record starts
    fields: dict[str, Any]
    error: DataError | None = None     # set when the row could not be read


def data_error(name: str, line: int | None, message: str, field: str | None = None) -> DataError:
    return DataError(message, location=Location(file=name, line=line), field_path=field)


def decode(name: str, raw: bytes, encoding: str) -> str:
    """File bytes as text; a UTF-8 byte-order mark is dropped. A byte the encoding cannot read
    is a DataError at its line (a cp1252 file read as utf-8, usually)."""
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return raw.decode(codec)
    except LookupError:
        raise ConfigError(f"unknown encoding {encoding!r} in the files connection settings") from None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise data_error(
            name, line, f"byte 0x{raw[exc.start]:02x} is not valid {encoding}; "
            "set `encoding` (cp1252 for files saved by Danish Excel)",
        ) from None


def read_csv(name: str, text: str, delimiter: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    last_line = 0
    while True:
        start = last_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Row(start, {}, data_error(name, start, f"cannot read the CSV from here on: {exc}"))
            return
        last_line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [cell.strip() for cell in cells]
            continue
        fields = dict(zip(header, cells, strict=False))
        if len(cells) != len(header):
            yield Row(start, fields, data_error(
                name, start, f"the row has {len(cells)} fields, the header has {len(header)} "
                f"(check the delimiter {delimiter!r} and the quoting)",
            ))
            continue
        yield Row(start, fields)


def read_jsonl(name: str, text: str) -> Iterator[Row]:
    """JSON Lines separates records by ``\n`` only (a ``\r`` before it is dropped):
    ``str.splitlines`` would also break at U+2028/U+2029/U+0085, which JSON allows unescaped
    inside strings."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            error = DataError(f"invalid JSON: {exc.msg}", location=Location(file=name, line=number, col=exc.colno))
            yield Row(number, {}, error)
            continue
        except RecursionError:
            yield Row(number, {}, data_error(name, number, "the JSON is nested too deeply to read"))
            continue
        if not isinstance(value, dict):
            yield Row(number, {}, data_error(name, number, f"a line must hold one JSON object, not {type(value).__name__}"))
            continue
        yield Row(number, value)


def read_xml(name: str, text: str, record_element: str | None) -> Iterator[Row]:
    """Each ``record_element`` becomes a dict: attributes as ``@name``, children as fields
    (repeated children as lists, text-only children as strings, text beside children as ``#text``).
    DTDs are refused, so entity tricks never run."""
    if not record_element:
        raise ConfigError("the files connection reads XML but has no `record_element` (the tag of one record)")
    parser = xml.parsers.expat.ParserCreate(encoding="utf-8")  # the `encoding` setting already decoded it
    stack: list[tuple[str, dict[str, Any], list[str]]] = []
    rows: list[Row] = []
    depth_of_record: list[int] = []
    start_line: list[int] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if not depth_of_record and tag == record_element:
            depth_of_record.append(len(stack))
            start_line.append(parser.CurrentLineNumber)
        stack.append((tag, {f"@{k}": v for k, v in attrs.items()}, []))

    def end(tag: str) -> None:
        _, node, texts = stack.pop()
        text = "".join(texts).strip()
        value: Any
        if node:
            if text:
                node["#text"] = text
            value = node
        else:
            value = text
        if depth_of_record and len(stack) == depth_of_record[0]:
            rows.append(Row(start_line.pop(), value if isinstance(value, dict) else {"#text": value}))
            depth_of_record.clear()
        elif stack and depth_of_record:
            parent = stack[-1][1]
            if tag in parent:
                existing = parent[tag]
                parent[tag] = [*existing, value] if isinstance(existing, list) else [existing, value]
            else:
                parent[tag] = value

    def chars(data: str) -> None:
        if stack:
            stack[-1][2].append(data)

    def no_dtd(*_: Any) -> None:
        raise ValueError("a DOCTYPE is not allowed in input files")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = no_dtd
    try:
        parser.Parse(text.encode("utf-8"), True)
    except (xml.parsers.expat.ExpatError, ValueError) as exc:
        yield from rows
        message = xml.parsers.expat.ErrorString(exc.code) if isinstance(exc, xml.parsers.expat.ExpatError) else str(exc)
        yield Row(parser.CurrentLineNumber, {}, DataError(
            f"the XML cannot be read from here on: {message}",
            location=Location(file=name, line=parser.CurrentLineNumber, col=parser.CurrentColumnNumber + 1),
        ))
        return
    yield from rows
