"""The shared e-conomic sandbox fixtures: the sandbox served over real HTTP on loopback.

* ``economic_sandbox``: one server per test session (built like ``iex sandbox economic``:
  ``engine.sandbox.build`` = the app + fault injection + ``/_sandbox/`` admin routes), reset to the
  seeded agreement with faults off before every test.
* ``economic_sandbox_factory(options)``: a separate server with its own options (e.g.
  ``{"payment_sign": "positive"}``, ``{"today": "2025-03-01"}``, fault options), stopped after the test.

Both give an ``EconomicSandbox``: ``url`` (REST base), ``journals_url`` (Journals API base on the
same server), the tokens, ``headers()``, ``client()`` (an httpx client with the tokens),
``store`` (the in-memory agreement, for assertions only) and ``set_today()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from engine.sandbox import FaultInjector, SandboxServer, build, serve_in_thread

JOURNALS_API_PATH = "/journalsapi/v5.0.0"


@dataclass
class EconomicSandbox:
    url: str
    injector: FaultInjector
    server: SandboxServer
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def journals_url(self) -> str:
        return self.url + JOURNALS_API_PATH

    @property
    def store(self) -> Any:
        """The sandbox's in-memory agreement (``connectors.economic.sandbox.store.Store``)."""
        return self.injector.app.state.store

    @property
    def app_secret_token(self) -> str:
        return self.store.options.app_secret_token

    @property
    def agreement_grant_token(self) -> str:
        return self.store.options.agreement_grant_token

    def headers(self) -> dict[str, str]:
        return {"X-AppSecretToken": self.app_secret_token, "X-AgreementGrantToken": self.agreement_grant_token}

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on the sandbox with the tokens set (closed after the test)."""
        client = httpx.Client(base_url=self.url, headers=self.headers(), timeout=10, **kwargs)
        self._clients.append(client)
        return client

    def reset(self) -> None:
        """Seeded agreement, faults off, call counts zero."""
        with httpx.Client(base_url=self.url, timeout=10) as admin:
            admin.put("/_sandbox/faults", json={}).raise_for_status()
        self.injector.reset()

    def set_today(self, date: str | None) -> None:
        """Move the sandbox's "today" (due dates, overdue) until the next reset."""
        with httpx.Client(base_url=self.url, timeout=10) as admin:
            admin.post("/_sandbox/today", json={"today": date}).raise_for_status()

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


def _start(options: dict[str, Any] | None = None) -> EconomicSandbox:
    injector = build("economic", options or {})
    server = serve_in_thread(injector)
    return EconomicSandbox(url=server.url.rstrip("/"), injector=injector, server=server)


@pytest.fixture(scope="session")
def _economic_sandbox_session() -> Iterator[EconomicSandbox]:
    sandbox = _start()
    yield sandbox
    sandbox.server.stop()


@pytest.fixture
def economic_sandbox(_economic_sandbox_session: EconomicSandbox) -> Iterator[EconomicSandbox]:
    sandbox = _economic_sandbox_session
    sandbox.reset()
    yield sandbox
    sandbox.close_clients()


@pytest.fixture
def economic_sandbox_factory() -> Iterator[Callable[[dict[str, Any]], EconomicSandbox]]:
    started: list[EconomicSandbox] = []

    def start(options: dict[str, Any]) -> EconomicSandbox:
        sandbox = _start(options)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.close_clients()
        sandbox.server.stop()


@pytest.fixture
def eco(economic_sandbox: EconomicSandbox) -> Iterator[Any]:
    """The e-conomic connector pointed at the sandbox, as a recipe would build it."""
    from connectors.economic.testing import sandbox_connector

    connector = sandbox_connector(economic_sandbox.url)
    yield connector
    connector.close()


@pytest.fixture
def probe(economic_sandbox: EconomicSandbox) -> Iterator[Any]:
    """Reads the sandbox's state and switches its faults, outside the connector under test."""
    from connectors.economic.testing import Probe

    p = Probe(economic_sandbox.url)
    yield p
    p.faults()
    p.close()
