"""Find connector plugins through the ``iex.connectors`` entry-point group."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from engine.connector import Connector
from engine.errors import ConfigError

GROUP = "iex.connectors"


@cache
def connectors() -> dict[str, type[Connector]]:
    """Every installed connector class by name. A plugin that fails to import is reported when
    it is asked for, not here, so one broken plugin does not stop the others."""
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=GROUP):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # noqa: BLE001 - reported on use
            _broken[ep.name] = f"{type(exc).__name__}: {exc}"
    return found


_broken: dict[str, str] = {}


def get(name: str) -> type[Connector]:
    available = connectors()
    if name in available:
        return available[name]
    if name in _broken:
        raise ConfigError(f"connector {name!r} is installed but failed to load: {_broken[name]}")
    known = ", ".join(sorted(available)) or "none"
    raise ConfigError(f"unknown connector {name!r} (installed: {known})")
