"""Small pieces the runner's modules share: the connectors of a run, keys, option values."""

from __future__ import annotations

import hashlib
import logging
import threading
from decimal import Decimal
from typing import Any

from engine.connector import Connector, Runtime
from engine.errors import ConfigError
from engine.registry import get as get_connector
from engine.secrets import mask

log = logging.getLogger("iex")


class Connections:
    """The connectors of one integration in one run, built on first use, shared by workers."""

    def __init__(self, integration: Any, runtime: Runtime) -> None:
        self.integration = integration
        self.runtime = runtime
        self._built: dict[str, Connector] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Connector:
        with self._lock:
            if name not in self._built:
                conn = self.integration.connections.get(name)
                if conn is None:
                    raise ConfigError(f"integration {self.integration.name}: no connection named {name!r}")
                self._built[name] = get_connector(conn.connector)(conn.settings, self.runtime)
            return self._built[name]

    def close(self) -> None:
        for connector in self._built.values():
            try:
                connector.close()
            except Exception as exc:  # noqa: BLE001 - closing must not hide the run's outcome
                log.warning(mask(f"closing connector {connector.name} failed: {exc}"))


def idempotency_key(integration: str, flow: str, record_key: str, step: str) -> str:
    """Stable for (integration, flow, record key, step); at most 100 characters, so it fits the
    external-reference fields of target systems (e-conomic ``references.other`` takes 250)."""
    key = f"{integration}/{flow}/{record_key}/{step}"
    if len(key) <= 100:
        return key
    return key[:83] + "~" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def resolve(value: Any, context: dict[str, Any]) -> Any:
    """Evaluate compiled templates inside a nested option value."""
    if hasattr(value, "evaluate"):
        return value.evaluate(context)
    if isinstance(value, dict):
        return {k: resolve(v, context) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolve(v, context) for v in value]
    return value


def record_key_text(value: Any) -> str | None:
    """A flow key as text: ints and Decimals without decoration, strings stripped."""
    if value is None or isinstance(value, bool) or isinstance(value, (dict, list)):
        return None
    if isinstance(value, Decimal):
        value = value.normalize() if value == value.to_integral_value() else value
        text = format(value, "f")
    else:
        text = str(value).strip()
    return text or None


def reference_of(result: Any) -> str | None:
    """What the target calls the effect, for the ledger: ``reference``, else ``number``/``id``."""
    if isinstance(result, dict):
        for name in ("reference", "number", "id"):
            value = result.get(name)
            if value is not None and not isinstance(value, (dict, list)):
                return str(value)
    return None
