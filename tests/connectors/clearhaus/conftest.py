"""A running Clearhaus sandbox and a connector pointed at it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from engine.connector import Runtime
from engine.sandbox import build, serve_in_thread
from engine.secrets import Secret

from connectors.clearhaus import ClearhausConnector
from connectors.clearhaus.sandbox import DEFAULTS


class Made:
    def __init__(self, url: str) -> None:
        self.url = url

    def connector(self, **settings: Any) -> ClearhausConnector:
        base = {"client_id": DEFAULTS["client_id"],
                "client_secret": Secret(DEFAULTS["client_secret"], "${env:CLEARHAUS_SECRET}"), "base_url": self.url}
        return ClearhausConnector({**base, **settings}, Runtime())

    def settle(self, transactions: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
        answer = httpx.post(f"{self.url}/_sandbox/payouts", json={"transactions": transactions, **fields})
        assert answer.status_code == 201, answer.text
        return answer.json()


@pytest.fixture
def made() -> Any:
    with serve_in_thread(build("clearhaus")) as server:
        yield Made(server.url)
