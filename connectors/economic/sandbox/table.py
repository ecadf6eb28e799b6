"""One in-memory collection with secondary indexes, so equality lookups (``email$eq:..``,
``references.other$eq:..``) stay O(1) when a benchmark pushes thousands of orders through."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from decimal import Decimal
from typing import Any


def get_path(doc: Any, path: str) -> Any:
    """The value at a dotted path (``customer.customerNumber``), or None where it is absent."""
    for part in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def index_key(value: Any) -> Hashable | None:
    """How a value is filed: strings case-insensitively (e-conomic compares them so), numbers by
    value (1 == 1.00); other types are not indexed."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    return None


class Table:
    """Documents by key, in insertion order, with indexes on chosen dotted paths."""

    def __init__(self, key_field: str, indexed: Iterable[str] = ()) -> None:
        self.key_field = key_field
        self.rows: dict[Any, dict[str, Any]] = {}
        self.indexes: dict[str, dict[Hashable, set[Any]]] = {path: {} for path in indexed}

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(list(self.rows.values()))

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None

    def get(self, key: Any) -> dict[str, Any] | None:
        """The document with this key; None also for keys that cannot be keys (a list from a
        malformed request), so lookups never fail on bad input."""
        try:
            return self.rows.get(key)
        except TypeError:
            return None

    def put(self, doc: dict[str, Any]) -> dict[str, Any]:
        key = doc[self.key_field]
        old = self.rows.get(key)
        if old is not None:
            self._unindex(key, old)
        self.rows[key] = doc
        for path, index in self.indexes.items():
            value = index_key(get_path(doc, path))
            if value is not None:
                index.setdefault(value, set()).add(key)
        return doc

    def delete(self, key: Any) -> dict[str, Any] | None:
        old = self.rows.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def lookup(self, path: str, value: Any) -> list[dict[str, Any]] | None:
        """Documents whose ``path`` equals ``value`` (case-insensitive), in key order; None when
        the path is not indexed (the caller then scans)."""
        index = self.indexes.get(path)
        if index is None:
            return None
        key = index_key(value)
        if key is None:
            return None
        found = [self.rows[k] for k in index.get(key, ())]
        if len(found) > 1:
            found.sort(key=lambda d: _sortable(d[self.key_field]))
        return found

    def _unindex(self, key: Any, doc: dict[str, Any]) -> None:
        for path, index in self.indexes.items():
            value = index_key(get_path(doc, path))
            if value is not None and value in index:
                index[value].discard(key)
                if not index[value]:
                    del index[value]


def _sortable(key: Any) -> tuple[int, Any]:
    return (0, key) if isinstance(key, (int, Decimal)) else (1, str(key))
