"""A running Stripe sandbox and a connector pointed at it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from engine.connector import Runtime
from engine.sandbox import build, serve_in_thread
from engine.secrets import Secret

from connectors.stripe import StripeConnector
from connectors.stripe.sandbox import DEFAULT_SECRET_KEY


@pytest.fixture
def sandbox():
    with serve_in_thread(build("stripe")) as server:
        yield server


class Made:
    """Helpers bound to one sandbox."""

    def __init__(self, url: str) -> None:
        self.url = url

    def connector(self, **settings: Any) -> StripeConnector:
        base = {"secret_key": Secret(DEFAULT_SECRET_KEY, "${env:STRIPE_KEY}"), "base_url": self.url}
        connector = StripeConnector({**base, **settings}, Runtime())
        connector.client.sleep = lambda seconds: None
        return connector

    def payout(self, transactions: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
        answer = httpx.post(f"{self.url}/_sandbox/payouts", json={"transactions": transactions, **fields})
        assert answer.status_code == 201, answer.text
        return answer.json()


@pytest.fixture
def made(sandbox) -> Made:
    return Made(sandbox.url)
