"""A running Zettle sandbox and a connector pointed at it, its clock in March 2024."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from engine.connector import Runtime
from engine.sandbox import build, serve_in_thread
from engine.secrets import Secret

from connectors.zettle import ZettleConnector
from connectors.zettle.sandbox import DEFAULTS

NOW = datetime(2024, 3, 20, 12, 0, tzinfo=UTC)


class Made:
    def __init__(self, url: str) -> None:
        self.url = url

    def connector(self, **settings: Any) -> ZettleConnector:
        base = {"client_id": DEFAULTS["client_id"], "api_key": Secret(DEFAULTS["api_key"], "${env:ZETTLE_KEY}"),
                "currency": "DKK", "base_url": self.url, "oauth_url": self.url}
        connector = ZettleConnector({**base, **settings}, Runtime())
        connector.now = lambda: NOW
        return connector

    def payout(self, timestamp: str, rows: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
        answer = httpx.post(f"{self.url}/_sandbox/payouts", json={"timestamp": timestamp, "transactions": rows, **fields})
        assert answer.status_code == 201, answer.text
        return answer.json()


def sandbox(options: dict[str, Any] | None = None) -> Any:
    return serve_in_thread(build("zettle", options or {}))


@pytest.fixture
def made() -> Any:
    with sandbox() as server:
        yield Made(server.url)


@pytest.fixture
def kit() -> Any:
    return type("Kit", (), {"Made": Made, "sandbox": staticmethod(sandbox)})
