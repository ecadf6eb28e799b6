"""Whatever a client sends, the sandbox answers as e-conomic would: a success or a 4xx with an
error body, never a 500 (a crash would hide the connector bug the test is looking for)."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.economic.sandbox.jsonio import dumps

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 100_000), st.text(max_size=8),
                    st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from(["customerNumber", "vatZoneNumber", "productNumber", "name", "self"]), inner, max_size=3)),
                      max_leaves=6)
DRAFT_FIELDS = ["date", "dueDate", "currency", "exchangeRate", "customer", "paymentTerms", "layout", "recipient",
                "references", "notes", "lines"]
LINE_FIELDS = ["product", "quantity", "unitNetPrice", "discountPercentage", "description", "unit"]


@pytest.fixture
def http(economic_sandbox: Any) -> httpx.Client:
    """One client for all examples of a test (hypothesis reuses function-scoped fixtures)."""
    return economic_sandbox.client()


def _valid_draft(today: str) -> dict[str, Any]:
    return {"date": today, "currency": "DKK", "customer": {"customerNumber": 1}, "paymentTerms": {"paymentTermsNumber": 1},
            "layout": {"layoutNumber": 19}, "recipient": {"name": "X", "vatZone": {"vatZoneNumber": 1}},
            "lines": [{"product": {"productNumber": "100"}, "description": "T", "quantity": 1, "unitNetPrice": 10}]}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.dictionaries(st.sampled_from(DRAFT_FIELDS), values, max_size=4),
       line=st.dictionaries(st.sampled_from(LINE_FIELDS), values, max_size=3))
def test_draft_bodies_never_crash_the_sandbox(economic_sandbox: Any, http: httpx.Client, header: dict[str, Any],
                                              line: dict[str, Any]) -> None:
    client = http
    body = _valid_draft(economic_sandbox.store.today().isoformat())
    body.update(header)
    if isinstance(body.get("lines"), list) and body["lines"] and isinstance(body["lines"][0], dict):
        body["lines"][0].update(line)
    response = client.post("/invoices/drafts", content=dumps(body).encode(), headers={"Content-Type": "application/json"})
    assert response.status_code in (201, 400), response.text
    if response.status_code == 400:
        assert response.json()["message"] and response.json()["httpStatusCode"] == 400
    else:
        booked = client.post("/invoices/booked", json={"draftInvoice": {"draftInvoiceNumber": response.json()["draftInvoiceNumber"]}})
        assert booked.status_code in (201, 400), booked.text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=st.text(alphabet="$:()[],*abn.eqltgikm01 ", max_size=24))
def test_any_filter_text_is_answered_with_200_or_400(http: httpx.Client, flt: str) -> None:
    response = http.get("/customers", params={"filter": flt})
    assert response.status_code in (200, 400), response.text


HALF_A_REQUEST = """
import socket, sys, time
sock = socket.create_connection((sys.argv[1], int(sys.argv[2])))
sock.sendall(sys.argv[3].encode())
print("sent", flush=True)
time.sleep(60)
"""


def test_a_client_killed_mid_body_is_dropped_without_a_traceback(economic_sandbox: Any,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """A client process killed (SIGKILL) while sending a POST body: one quiet line, no customer,
    and the sandbox goes on serving."""
    caplog.set_level(logging.INFO)
    host, port = economic_sandbox.url.removeprefix("http://").rsplit(":", 1)
    tokens = "".join(f"{k}: {v}\r\n" for k, v in economic_sandbox.headers().items())
    half = (f"POST /customers HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{tokens}"
            'Content-Length: 4000\r\n\r\n{"name": "Half Sent A/S", "currencies"')
    before = economic_sandbox.client().get("/customers", params={"pagesize": 1000}).json()["collection"]
    client = subprocess.Popen([sys.executable, "-c", HALF_A_REQUEST, host, port, half], stdout=subprocess.PIPE, text=True)
    try:
        assert client.stdout is not None and client.stdout.readline() == "sent\n"
    finally:
        client.send_signal(signal.SIGKILL)
        client.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any("went away" in r.getMessage() for r in caplog.records):
        time.sleep(0.01)
    after = economic_sandbox.client().get("/customers", params={"pagesize": 1000}).json()["collection"]
    assert after == before
    assert [r.getMessage() for r in caplog.records if "went away" in r.getMessage()] == [
        "sandbox: the client went away during POST /customers; request dropped"]
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING] == []
