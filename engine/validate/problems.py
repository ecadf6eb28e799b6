"""A located problem and how it is printed.

Every check in ``engine.validate`` returns ``Problem``s; the CLI prints them as
``file:line:col: error: message [json.path]`` (the form editors and CI annotations understand)
or as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from engine.errors import ConfigError, Location
from engine.yamlpos import Document, JsonPath, format_path

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    col: int
    path: str                  # JSON path inside the file, e.g. "$.flows.orders.steps[0].input"
    message: str
    severity: Severity = "error"
    suggestion: str | None = None   # the likely intended name for a misspelt key or value

    def __str__(self) -> str:
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}{hint} [{self.path}]"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.col, self.path, self.message)


def at(
    doc: Document,
    path: JsonPath,
    message: str,
    *,
    key: bool = False,
    severity: Severity = "error",
    suggestion: str | None = None,
    position: tuple[int, int] | None = None,
) -> Problem:
    """A problem at ``path`` of ``doc`` (its key when ``key``), or at an explicit position."""
    line, col = position or doc.position(path, key=key)
    return Problem(doc.name, line, col, format_path(path), message, severity, suggestion)


def sorted_unique(problems: list[Problem]) -> list[Problem]:
    """Sorted by file and position; the same problem found twice is reported once."""
    return sorted(set(problems), key=Problem.sort_key)


def raise_if_errors(problems: list[Problem], what: str) -> None:
    """Raise one ConfigError listing every located error (for the loaders)."""
    errors = [p for p in sorted_unique(problems) if p.severity == "error"]
    if not errors:
        return
    first = errors[0]
    listing = "\n".join(f"  {p}" for p in errors)
    raise ConfigError(
        f"{what} has {len(errors)} problem{'s' if len(errors) != 1 else ''}:\n{listing}",
        location=Location(file=first.file, line=first.line, col=first.col, path=first.path),
        details={"problems": [p.to_dict() for p in errors]},
    )
