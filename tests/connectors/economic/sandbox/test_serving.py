"""Serving: ``iex sandbox economic`` answers curl-style requests, the admin routes work, and
concurrent clients never get the same number twice."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D
from typing import Any

import httpx
import pytest

from engine.errors import ConfigError

from connectors.economic.sandbox import create_app
from connectors.economic.sandbox.jsonio import dumps


def test_iex_sandbox_economic_serves_the_api(tmp_path: Any) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", "sandbox", "economic", "--today", "2025-06-30", "--payment-sign", "positive"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), process.stderr.read() if process.poll() is not None else url
        headers = {"X-AppSecretToken": "sandbox-app-secret", "X-AgreementGrantToken": "sandbox-grant"}
        me = httpx.get(f"{url}/self", headers=headers, timeout=10)
        assert me.status_code == 200 and me.json()["settings"]["baseCurrency"] == "DKK"
        years = httpx.get(f"{url}/accounting-years", headers=headers, timeout=10).json()["collection"]
        assert [y["year"] for y in years] == ["2024", "2025"]  # --today reached create_app
        assert httpx.get(f"{url}/customers", timeout=10).status_code == 401
        assert httpx.get(f"{url}/_sandbox/calls", timeout=10).json()["total"] >= 3
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown economic sandbox option"):
        create_app({"paymentsign": "positive"})
    with pytest.raises(ConfigError, match="payment_sign"):
        create_app({"payment_sign": "sideways"})
    with pytest.raises(ConfigError, match="today"):
        create_app({"today": "tomorrow"})


def test_admin_summary_reset_and_today(api: Any) -> None:
    api.invoice([api.line("100", "1", "1.00")])
    admin = httpx.Client(base_url=api.sandbox.url, timeout=10)
    summary = admin.get("/_sandbox/state/summary").json()
    assert (summary["booked"], summary["customers"], summary["drafts"]) == (1, 3, 0)
    assert admin.post("/_sandbox/today", json={"today": "2030-01-01"}).json() == {"today": "2030-01-01"}
    assert admin.post("/_sandbox/today", json={"today": "soon"}).status_code == 400
    admin.post("/_sandbox/reset").raise_for_status()
    assert admin.get("/_sandbox/state/summary").json()["booked"] == 0
    assert api.get("/invoices/booked").json()["pagination"]["results"] == 0
    admin.close()


def test_concurrent_clients_get_distinct_numbers(economic_sandbox: Any) -> None:
    headers = {**economic_sandbox.headers(), "Content-Type": "application/json"}
    today = economic_sandbox.store.today().isoformat()
    body = dumps({"date": today, "currency": "DKK", "customer": {"customerNumber": 1}, "paymentTerms": {"paymentTermsNumber": 1},
                  "layout": {"layoutNumber": 19}, "recipient": {"name": "X", "vatZone": {"vatZoneNumber": 1}},
                  "lines": [{"product": {"productNumber": "100"}, "description": "T", "quantity": D(1), "unitNetPrice": D("8.00")}]})

    def create_and_book(_: int) -> tuple[int, int]:
        with httpx.Client(base_url=economic_sandbox.url, headers=headers, timeout=20) as client:
            draft = client.post("/invoices/drafts", content=body).json()["draftInvoiceNumber"]
            booked = client.post("/invoices/booked", content=dumps({"draftInvoice": {"draftInvoiceNumber": draft}})).json()
            return draft, booked["bookedInvoiceNumber"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create_and_book, range(24)))
    assert len({d for d, _ in results}) == 24 and len({b for _, b in results}) == 24
    assert sorted(b for _, b in results) == list(range(10001, 10025))
    assert economic_sandbox.store.accounts.get(5600)["balance"] == D("240.00")
