"""Errors that say where, what, and who must act.

Every failure the engine reports is an ``IexError`` with an ``error_class``. The class decides
what the runner does with it (see ``RETRY_POLICY``) and who is told: a customer fixes settings
and source data, a technician fixes recipes, mappings and systems.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ErrorClass(StrEnum):
    CONFIG = "config"              # credentials, settings, recipe: stop the flow, tell the customer
    TRANSIENT = "transient"        # network, 5xx: retry with backoff
    RATE_LIMITED = "rate_limited"  # 429 / fair use: honour Retry-After up to a cap, then stop cleanly
    DATA = "data"                  # one record is wrong: dead-letter it, the run goes on
    SYSTEM = "system"              # a bug or an unexpected answer: dead-letter, alert the technician
    HELD = "held"                  # waits for another record (refund before its invoice): retried later


WHO_ACTS: dict[ErrorClass, str] = {
    ErrorClass.CONFIG: "customer: fix the settings or credentials in the instance file",
    ErrorClass.TRANSIENT: "nobody yet: iex retries on its own",
    ErrorClass.RATE_LIMITED: "nobody yet: iex waits and resumes on the next run",
    ErrorClass.DATA: "customer: correct the record in the source system (or its settings), then `iex dlq retry`",
    ErrorClass.SYSTEM: "technician: the recipe, mapping or connector needs a fix",
    ErrorClass.HELD: "nobody yet: the record waits for the record it depends on",
}


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file position, a JSON path inside a document, a record key."""

    file: str | None = None
    line: int | None = None      # 1-based
    col: int | None = None       # 1-based
    path: str | None = None      # JSON path, e.g. "$.flows.orders.steps[2].input"
    record_key: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            pos = self.file
            if self.line is not None:
                pos += f":{self.line}"
                if self.col is not None:
                    pos += f":{self.col}"
            parts.append(pos)
        if self.record_key:
            parts.append(f"record {self.record_key}")
        if self.path:
            parts.append(self.path)
        return " ".join(parts)


class IexError(Exception):
    """Base of every error iex reports. Message text must never contain secrets or record values
    beyond what the user needs to find the problem."""

    error_class: ErrorClass = ErrorClass.SYSTEM

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        field_path: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.field_path = field_path
        self.details = details or {}

    @property
    def who(self) -> str:
        return WHO_ACTS[self.error_class]

    def __str__(self) -> str:
        where = str(self.location) if self.location else ""
        field = f" (field {self.field_path})" if self.field_path else ""
        return f"{where + ': ' if where else ''}{self.message}{field}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": str(self.error_class),
            "message": self.message,
            "field_path": self.field_path,
            "location": str(self.location) if self.location else None,
            "who": self.who,
            "details": self.details,
        }


class ConfigError(IexError):
    error_class = ErrorClass.CONFIG


class TransientError(IexError):
    error_class = ErrorClass.TRANSIENT


class RateLimitedError(IexError):
    error_class = ErrorClass.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class DataError(IexError):
    error_class = ErrorClass.DATA


class IexSystemError(IexError):
    error_class = ErrorClass.SYSTEM


class HeldError(IexError):
    """The record cannot go yet because something it depends on is not done (a refund whose
    order has no booked invoice). The runner keeps it and tries again on later runs."""

    error_class = ErrorClass.HELD


def classify(exc: BaseException) -> IexError:
    """Wrap anything that is not an IexError as a system error, keeping its type name only."""
    if isinstance(exc, IexError):
        return exc
    return IexSystemError(f"unexpected {type(exc).__name__}: {exc}")
