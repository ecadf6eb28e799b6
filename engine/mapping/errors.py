"""Compile problems of a mapping, all of them at once."""

from __future__ import annotations

from typing import Any, NamedTuple

from engine.errors import IexSystemError, Location

DocPath = tuple[Any, ...]


class MappingProblem(NamedTuple):
    path: DocPath          # inside the document, e.g. ("fields", "lines", "$fields", "unitNetPrice")
    message: str
    line: int              # inside the template text (1 if not applicable)
    col: int


class MappingError(IexSystemError):
    """Every problem found while compiling a mapping (a technician fixes the mapping)."""

    def __init__(self, problems: list[MappingProblem], origin: str = "<inline>") -> None:
        self.problems = problems
        self.origin = origin
        lines = [f"{origin}: {len(problems)} problem{'s' if len(problems) != 1 else ''} in the mapping"]
        for p in problems:
            where = dotted(p.path) or "(document)"
            pos = f" (template {p.line}:{p.col})" if (p.line, p.col) != (1, 1) else ""
            lines.append(f"  {where}{pos}: {p.message}")
        super().__init__("\n".join(lines), location=Location(file=origin))

    def __str__(self) -> str:
        return self.message


def dotted(path: DocPath) -> str:
    """("fields", "lines", 0, "x") -> "fields.lines[0].x"."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
