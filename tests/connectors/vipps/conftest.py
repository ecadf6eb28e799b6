"""A running Vipps MobilePay sandbox and a connector pointed at it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from engine.connector import Runtime
from engine.sandbox import build, serve_in_thread
from engine.secrets import Secret

from connectors.vipps import VippsConnector
from connectors.vipps.sandbox import DEFAULTS


class Made:
    def __init__(self, url: str) -> None:
        self.url = url

    def connector(self, **settings: Any) -> VippsConnector:
        base = {"client_id": DEFAULTS["client_id"],
                "client_secret": Secret(DEFAULTS["client_secret"], "${env:VIPPS_SECRET}"),
                "subscription_key": Secret(DEFAULTS["subscription_key"], "${env:VIPPS_KEY}"),
                "merchant_serial_number": DEFAULTS["msn"], "base_url": self.url}
        return VippsConnector({**base, **settings}, Runtime())

    def day(self, ledger_date: str, entries: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
        answer = httpx.post(f"{self.url}/_sandbox/payouts", json={"ledgerDate": ledger_date, "entries": entries,
                                                                  **fields})
        assert answer.status_code == 201, answer.text
        return answer.json()


@pytest.fixture
def made() -> Any:
    with serve_in_thread(build("vipps")) as server:
        yield Made(server.url)
