"""Running connector sandboxes: real HTTP servers on loopback that speak a system's API.

The one way to get a sandbox app is ``build(connector_name, options)``:

* A connector class names its sandbox factory: ``sandbox = "connectors.<name>.sandbox:create_app"``.
* ``create_app(options: dict) -> ASGI app`` builds a fresh app with its own in-memory data.
  Options from ``iex sandbox`` arrive as strings (``--generate 200`` -> ``{"generate": "200"}``,
  a bare ``--flag`` -> ``True``); tests may pass Python values, so convert with ``int(...)`` etc.
* If the app can go back to its initial data, it sets ``app.state.reset`` to a no-argument
  callable; ``POST /_sandbox/reset`` calls it.
* Fault injection and the shared admin routes are applied HERE, centrally: connector sandboxes
  never wrap themselves. The common options ``latency_ms``, ``fault_rate``, ``fault_kinds``
  (list or comma-separated text), ``seed``, ``retry_after`` and ``slow_ms`` are taken out of
  ``options`` before ``create_app`` sees them.

Tests::

    with serve_in_thread(build("economic", {"fault_rate": 0.2, "seed": 7})) as server:
        client = HttpClient(server.url, ...)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from engine import registry
from engine.errors import ConfigError
from engine.sandbox.faults import KINDS, FaultConfig, FaultInjector, with_faults
from engine.sandbox.server import SandboxServer, serve_forever, serve_in_thread

__all__ = [
    "KINDS", "FaultConfig", "FaultInjector", "SandboxServer", "available", "build", "fault_config",
    "serve_forever", "serve_in_thread", "with_faults",
]

FAULT_OPTIONS = ("latency_ms", "fault_rate", "fault_kinds", "seed", "retry_after", "slow_ms")


def build(connector_name: str, options: Mapping[str, Any] | None = None) -> FaultInjector:
    """The connector's sandbox app, wrapped with fault injection and the admin routes."""
    own = dict(options or {})
    faults = fault_config({k: own.pop(k) for k in FAULT_OPTIONS if k in own})
    if options and "seed" in options:
        own["seed"] = options["seed"]   # one --seed makes both the faults and the sandbox's data repeatable
    app = factory(connector_name)(own)
    reset = getattr(getattr(app, "state", None), "reset", None)
    return with_faults(app, faults, reset=reset)


def fault_config(options: Mapping[str, Any]) -> FaultConfig:
    """A FaultConfig from the common options (strings from the CLI or Python values)."""
    try:
        kinds = options.get("fault_kinds", KINDS)
        if isinstance(kinds, str):
            kinds = [k.strip() for k in kinds.split(",") if k.strip()]
        seed = options.get("seed")
        return FaultConfig(
            latency_ms=int(options.get("latency_ms", 0)),
            fault_rate=float(options.get("fault_rate", 0.0)),
            kinds=tuple(kinds),
            seed=None if seed is None else int(seed),
            retry_after=int(options.get("retry_after", 1)),
            slow_ms=int(options.get("slow_ms", 2000)),
        )
    except ValueError as exc:
        raise ConfigError(f"sandbox fault options: {exc}") from None


def factory(connector_name: str) -> Callable[[dict[str, Any]], Any]:
    """The connector's ``create_app``, loaded from its ``sandbox`` attribute."""
    cls = registry.get(connector_name)
    target = getattr(cls, "sandbox", None)
    if not target:
        raise ConfigError(f"connector {connector_name!r} has no sandbox (sandboxes: {', '.join(available()) or 'none'})")
    module, _, attr = str(target).partition(":")
    try:
        return getattr(importlib.import_module(module), attr or "create_app")
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"connector {connector_name!r}: cannot load its sandbox {target}: {exc}") from None


def available() -> list[str]:
    """Names of the installed connectors that ship a sandbox."""
    return sorted(name for name, cls in registry.connectors().items() if getattr(cls, "sandbox", None))
