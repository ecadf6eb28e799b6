"""Pointing the connector at a sandbox: used by this connector's tests, end-to-end tests and
benchmarks, so they all build it the same way (tokens as ``Secret``, as the instance loader does).
"""

from __future__ import annotations

from typing import Any

from engine.connector import ActionContext, Runtime
from engine.secrets import Secret

from connectors.economic.connector import EconomicConnector

# The sandbox's default tokens (connectors/economic/sandbox/options.py).
SANDBOX_APP_SECRET = "sandbox-app-secret"
SANDBOX_GRANT = "sandbox-grant"


def sandbox_settings(url: str, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "app_secret_token": Secret(SANDBOX_APP_SECRET, "${env:ECONOMIC_APP_SECRET}"),
        "agreement_grant_token": Secret(SANDBOX_GRANT, "${env:ECONOMIC_GRANT}"),
        "base_url": url,
        # loopback: fast, and generous enough that tests never wait for tokens
        "rate_limit": {"requests_per_second": 1000, "burst": 1000, "daily_limit": 50000},
        "max_concurrency": 8,
    }
    settings.update(overrides)
    return settings


def sandbox_connector(url: str, *, runtime: Runtime | None = None, **overrides: Any) -> EconomicConnector:
    connector = EconomicConnector(sandbox_settings(url, **overrides), runtime or Runtime())
    # retries without waiting: the sandbox's injected faults are instant
    for client in (connector.api.rest, connector.api.journals):
        client.sleep = lambda seconds: None
    return connector


def context(key: str, *, previous: dict[str, Any] | None = None, dry_run: bool = False) -> ActionContext:
    """An ActionContext as the runner builds it for record ``key``."""
    return ActionContext(idempotency_key=f"test:{key}", record_key=key, previous=previous, dry_run=dry_run)


class Probe:
    """Looks at the sandbox the way a person would in e-conomic's UI (GETs with the tokens), and
    drives its admin routes: call counts and fault injection."""

    def __init__(self, url: str) -> None:
        import httpx

        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, timeout=10, headers={
            "X-AppSecretToken": SANDBOX_APP_SECRET, "X-AgreementGrantToken": SANDBOX_GRANT})

    def get(self, path: str, **params: Any) -> Any:
        import json
        from decimal import Decimal

        response = self.http.get(path, params=params or None)
        response.raise_for_status()
        return json.loads(response.text, parse_float=Decimal)

    def post(self, path: str, body: Any) -> Any:
        return self._send("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self._send("PUT", path, body)

    def _send(self, method: str, path: str, body: Any) -> Any:
        import json
        from decimal import Decimal

        from engine.http import dumps

        response = self.http.request(method, path, content=dumps(body).encode(), headers={"Content-Type": "application/json"})
        response.raise_for_status()
        return json.loads(response.text, parse_float=Decimal)

    def collection(self, path: str, **params: Any) -> list[dict[str, Any]]:
        return self.get(path, pagesize=1000, **params)["collection"]

    def calls(self) -> dict[str, int]:
        """Requests the sandbox received per "METHOD /path" (numeric segments as {id})."""
        return dict(self.http.get("/_sandbox/calls").json()["calls"])

    def total_calls(self) -> int:
        return int(self.http.get("/_sandbox/calls").json()["total"])

    def faults(self, **config: Any) -> None:
        """Replace the fault config, e.g. ``faults(fault_rate=1.0, kinds=["drop_after"])``;
        ``faults()`` switches faults off."""
        self.http.put("/_sandbox/faults", json=config).raise_for_status()

    def close(self) -> None:
        self.http.close()
