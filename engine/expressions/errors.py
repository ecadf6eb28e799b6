"""Compile errors of templates and selectors, located inside the template text."""

from __future__ import annotations

from engine.errors import IexSystemError


class ExpressionError(IexSystemError):
    """A template or selector that cannot be compiled. ``line``/``col`` are 1-based positions
    inside the template text; the validator adds the YAML position of the string. The class is
    *system*: a technician fixes the recipe or mapping."""

    def __init__(self, message: str, line: int = 1, col: int = 1, source: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.col = col
        self.source = source

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.message}"
