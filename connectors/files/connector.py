"""The ``files`` connector: records from CSV, JSON-lines or XML files in a folder, and keyed
output files.

Reading. Files matching ``pattern`` are read in name order, one Record per row, line or element.
The stream state lists the files whose records are all settled (with their sha256), carried by
the cursor of each file's last record; the runner stores it only once every record before it is
done, dead-lettered or held. A file is moved out of ``folder`` when a later read *starts* and
finds it in that state (to ``failed_folder`` if some row could not be read, else to
``processed_folder``). So a crash at any point leaves the file in place and it is read again:
nothing is lost, and the ledger skips the rows that were already done. A file whose content
changed since (another sha256) counts as new.

Writing. ``write_records`` writes rows under the step's idempotency key into an output file
(``.jsonl`` or ``.csv``), so the same key is never written twice; its finder looks the key up.

Every record carries ``iex_file`` (the file name) and ``iex_line`` (where the record starts), for
mappings and for keys when no ``key_field`` is given (the default key is ``file:line``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from connectors.files.numbers import parse_number
from connectors.files.readers import Row, data_error, decode, read_csv, read_jsonl, read_xml
from connectors.files.writer import KEY_COLUMN, KeyedFile
from engine.connector import JSON, ActionContext, Connector, Record, Runtime, action, stream
from engine.errors import ConfigError, DataError, IexError

OPEN_OUTPUTS = 16   # output files whose key index stays in memory at once


@dataclass
class UnreadableRecord(Record):
    """A row that could not be read; the runner dead-letters ``error`` under ``key``."""

    error: IexError | None = None


SETTINGS_SCHEMA: JSON = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "folder": {"type": "string", "description": "Folder the input files are dropped in"},
        "pattern": {"type": "string", "default": "*.csv", "description": "Glob of the input files"},
        "format": {"enum": ["csv", "jsonl", "xml"], "default": "csv"},
        "encoding": {"type": "string", "default": "utf-8", "description": "utf-8, cp1252 or latin-1"},
        "delimiter": {
            "type": "string", "minLength": 1, "maxLength": 1, "default": ",",
            "description": "CSV field separator. The default is ',' (RFC 4180); Danish Excel writes ';'",
        },
        "decimal_comma": {"type": "boolean", "default": False, "description": "Numbers like 1.234,50"},
        "columns": {
            "type": "object", "additionalProperties": {"type": "string"},
            "description": "Header name (or XML/JSON field) -> field name in the record",
        },
        "record_element": {"type": "string", "description": "XML: the tag of one record, e.g. order"},
        "processed_folder": {"type": "string", "description": "Default <folder>/processed"},
        "failed_folder": {"type": "string", "description": "Default <folder>/failed"},
        "output_folder": {"type": "string", "description": "Where write_records writes"},
    },
}

RECORDS_OPTIONS: JSON = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "key_field": {"type": "string", "description": "Field that identifies a record; default file:line"},
        "numeric_fields": {"type": "array", "items": {"type": "string"}, "description": "Fields read as Decimal"},
        "since": {"description": "Ignored (iex backfill): a folder has no history to go back to"},
        "until": {"description": "Ignored (iex backfill)"},
    },
}

WRITE_INPUT: JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["records"],
    "properties": {
        "file": {"type": "string", "pattern": r"^[^/\\]+\.(jsonl|csv)$", "description": "Output file name"},
        "records": {"type": "array", "items": {"type": "object"}},
    },
}


class FilesConnector(Connector):
    name = "files"
    title = "Files (CSV, JSON lines, XML)"
    settings_schema = SETTINGS_SCHEMA
    capabilities = frozenset({"poll", "idempotent_actions"})

    def __init__(self, settings: JSON, runtime: Runtime) -> None:
        super().__init__(settings, runtime)
        self._outputs: dict[Path, KeyedFile] = {}     # open files, least recently used first
        self._locks: dict[Path, threading.Lock] = {}   # one per output path, for the whole run
        self._guard = threading.Lock()                 # the two dicts above

    # -- reading ----------------------------------------------------------------------------
    def _folder(self, setting: str, default: str | None = None) -> Path:
        value = self.settings.get(setting) or (
            str(Path(self.settings["folder"]) / default) if default and self.settings.get("folder") else None
        )
        if not value:
            raise ConfigError(f"the files connection has no `{setting}` setting")
        return Path(value)

    @stream(description="One record per CSV row, JSON line or XML element, oldest file name first",
            options_schema=RECORDS_OPTIONS)
    def records(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        folder = self._folder("folder")
        if not folder.is_dir():
            raise ConfigError(f"input folder {folder} does not exist")
        settled = self._move_settled(folder, (state or {}).get("settled", []))
        for path in sorted(p for p in folder.glob(self.settings.get("pattern", "*.csv")) if p.is_file()):
            raw = path.read_bytes()
            entry = {"file": path.name, "sha256": hashlib.sha256(raw).hexdigest()}
            if entry["sha256"] in {s["sha256"] for s in settled if s["file"] == path.name}:
                continue  # settled, but its move failed: do not read it again
            records = list(self._file_records(path.name, raw, options))
            if not records:
                if not self.runtime.dry_run:
                    self._move(path, self._folder("processed_folder", "processed"))
                continue
            entry["failed"] = any(isinstance(r, UnreadableRecord) for r in records)
            settled = [*settled, entry]
            records[-1].cursor = {"settled": settled}
            yield from records

    def _move_settled(self, folder: Path, settled: list[JSON]) -> list[JSON]:
        """Move the files the stored state calls settled; return the entries still needed."""
        remaining: list[JSON] = []
        for entry in settled:
            path = folder / entry["file"]
            if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
                continue  # moved already, or replaced by a new file of the same name
            if self.runtime.dry_run:
                remaining.append(entry)
                continue
            target = self._folder("failed_folder", "failed") if entry.get("failed") else self._folder("processed_folder", "processed")
            try:
                self._move(path, target)
            except OSError as exc:
                self.runtime.log.warning("cannot move %s to %s: %s", path.name, target, exc.strerror)
                remaining.append(entry)
        return remaining

    @staticmethod
    def _move(path: Path, target_folder: Path) -> None:
        target_folder.mkdir(parents=True, exist_ok=True)
        target = target_folder / path.name
        if target.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            target = target_folder / f"{path.stem}.{stamp}{path.suffix}"
        os.replace(path, target)

    def _file_records(self, name: str, raw: bytes, options: JSON) -> Iterator[Record]:
        try:
            text = decode(name, raw, self.settings.get("encoding", "utf-8"))
        except DataError as exc:
            yield UnreadableRecord(key=name, data={"iex_file": name}, error=exc)
            return
        fmt = self.settings.get("format", "csv")
        rows: Iterator[Row]
        if fmt == "csv":
            rows = read_csv(name, text, self.settings.get("delimiter", ","))
        elif fmt == "jsonl":
            rows = read_jsonl(name, text)
        elif fmt == "xml":
            rows = read_xml(name, text, self.settings.get("record_element"))
        else:
            raise ConfigError(f"unknown file format {fmt!r} (csv, jsonl or xml)")
        for row in rows:
            yield self._record(name, row, options)

    def _record(self, name: str, row: Row, options: JSON) -> Record:
        columns: dict[str, str] = self.settings.get("columns") or {}
        data = {columns.get(field, field): value for field, value in row.fields.items()}
        key_field = options.get("key_field")
        key = f"{name}:{row.line}"
        error = row.error
        if key_field:
            value = data.get(key_field)
            if value is not None and str(value).strip():
                key = str(value).strip()
            elif error is None:
                error = data_error(name, row.line, f"the key field {key_field!r} is empty or missing", key_field)
        if error is None:
            error = self._convert_numbers(name, row.line, data, options.get("numeric_fields") or [])
        data.update({"iex_file": name, "iex_line": row.line})
        if error is not None:
            return UnreadableRecord(key=key, data=data, error=error)
        return Record(key=key, data=data)

    def _convert_numbers(self, name: str, line: int, data: JSON, fields: list[str]) -> DataError | None:
        comma = bool(self.settings.get("decimal_comma", False))
        for field in fields:
            value = data.get(field)
            if isinstance(value, str):
                try:
                    data[field] = parse_number(value, decimal_comma=comma)
                except ValueError as exc:
                    return data_error(name, line, str(exc), field)
        return None

    # -- writing ----------------------------------------------------------------------------
    @contextmanager
    def _output(self, file_name: str | None) -> Iterator[KeyedFile]:
        """The output file, held for this thread. At most OPEN_OUTPUTS files keep their key index
        in memory (a backfill that writes one file per export stays flat); one used again later
        is read again."""
        path = self._folder("output_folder") / (file_name or "records.jsonl")
        with self._guard:
            lock = self._locks.setdefault(path, threading.Lock())
        with lock:
            with self._guard:
                output = self._outputs.pop(path, None)
            if output is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                output = KeyedFile(
                    path, delimiter=self.settings.get("delimiter", ","),
                    decimal_comma=bool(self.settings.get("decimal_comma", False)),
                    encoding=self.settings.get("encoding", "utf-8"),
                )
            with self._guard:
                self._outputs[path] = output
                self._close_idle()
            yield output

    def _close_idle(self) -> None:
        """Forget the least recently used files beyond OPEN_OUTPUTS that no thread holds."""
        for path in list(self._outputs)[: max(len(self._outputs) - OPEN_OUTPUTS, 0)]:
            lock = self._locks[path]
            if lock.acquire(blocking=False):
                try:
                    del self._outputs[path]
                finally:
                    lock.release()

    @action(input_schema=WRITE_INPUT, description="Write rows to an output file, once per record key",
            updatable=True)
    def write_records(self, data: JSON, ctx: ActionContext) -> JSON:
        with self._output(data.get("file")) as output:
            result = {"reference": f"{output.path.name}#{ctx.idempotency_key}", "file": output.path.name,
                      "rows": len(data["records"])}
            if ctx.dry_run:
                self.runtime.cache.setdefault("plan", []).append(
                    {"method": "WRITE", "url": str(output.path), "body": data["records"]}
                )
                return result
            output.write(ctx.idempotency_key, data["records"])
        self.runtime.metrics["files.rows_written"] += len(data["records"])
        return result

    @write_records.finder
    def find_written(self, data: JSON, ctx: ActionContext) -> JSON | None:
        with self._output(data.get("file")) as output:
            rows = output.rows_of(ctx.idempotency_key)
        if not rows:
            return None
        return {"reference": f"{output.path.name}#{ctx.idempotency_key}", "file": output.path.name, "rows": len(rows)}


__all__ = ["KEY_COLUMN", "FilesConnector", "UnreadableRecord"]
