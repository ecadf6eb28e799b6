"""A running Shopify Payments sandbox and a connector pointed at it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from engine.connector import Runtime
from engine.sandbox import build, serve_in_thread
from engine.secrets import Secret

from connectors.shopify_payments import ShopifyPaymentsConnector
from connectors.shopify_payments.sandbox import DEFAULT_TOKEN


class Made:
    """Helpers bound to one sandbox."""

    def __init__(self, url: str) -> None:
        self.url = url

    def connector(self, **settings: Any) -> ShopifyPaymentsConnector:
        base = {"access_token": Secret(DEFAULT_TOKEN, "${env:SHOPIFY_TOKEN}"), "shop_url": self.url,
                "calls_per_second": 20}
        return ShopifyPaymentsConnector({**base, **settings}, Runtime())

    def payout(self, transactions: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
        answer = httpx.post(f"{self.url}/_sandbox/payouts", json={"transactions": transactions, **fields})
        assert answer.status_code == 201, answer.text
        return answer.json()


@pytest.fixture
def made() -> Any:
    with serve_in_thread(build("shopify_payments")) as server:
        yield Made(server.url)


@pytest.fixture
def kit() -> type[Made]:
    return Made
