"""Secret references and masking.

Instance files hold references (``${env:NAME}``, ``${file:path}``), never literal secrets. A
resolved value is wrapped in ``Secret`` so it cannot be printed by accident, and registered so
that ``mask()`` removes it from any text before it reaches a log, an error, a plan or the state
store.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from engine.errors import ConfigError

REFERENCE = re.compile(r"^\$\{(env|file):([^}]+)\}$")
MASK = "***"

_lock = threading.Lock()
_known: set[str] = set()


class Secret:
    """A secret value. ``str()`` and ``repr()`` show ``***``; call ``reveal()`` where the value
    must be sent (an auth header), and nowhere else."""

    __slots__ = ("_value", "reference")

    def __init__(self, value: str, reference: str = "") -> None:
        self._value = value
        self.reference = reference
        register(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.reference or MASK})"

    __str__ = lambda self: MASK  # noqa: E731

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def is_reference(value: object) -> bool:
    return isinstance(value, str) and bool(REFERENCE.match(value))


def resolve(reference: str, *, base_dir: Path | None = None) -> Secret:
    """Turn ``${env:NAME}`` or ``${file:path}`` into a Secret. Raises ConfigError naming the
    reference (never the value) when it cannot be resolved."""
    m = REFERENCE.match(reference)
    if not m:
        raise ConfigError(
            "a secret must be a reference like ${env:NAME} or ${file:path}, not a literal value"
        )
    kind, name = m.groups()
    if kind == "env":
        value = os.environ.get(name)
        if value is None:
            raise ConfigError(f"environment variable {name} is not set (needed by {reference})")
    else:
        path = Path(name)
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read secret file {path}: {exc.strerror}") from None
    return Secret(value, reference)


def register(value: str) -> None:
    """Remember a secret so that mask() hides it. Very short values are not registered: masking
    them would shred ordinary text, and they are not secrets worth the name."""
    if value and len(value) >= 4:
        with _lock:
            _known.add(value)


def mask(text: str) -> str:
    """Replace every registered secret in ``text`` with ``***`` (longest first, so a secret that
    contains another is hidden whole)."""
    if not text or not _known:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text
