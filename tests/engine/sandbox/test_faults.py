"""Fault injection and the /_sandbox/ admin routes, over real HTTP."""

from __future__ import annotations

import logging
import socket
import time

import httpx
import pytest

from engine.errors import ConfigError
from engine.sandbox import FaultConfig, build, serve_in_thread


def statuses(url: str, n: int) -> list[int]:
    with httpx.Client(base_url=url) as c:
        return [c.get("/orders").status_code for _ in range(n)]


def test_same_seed_same_faults() -> None:
    options = {"fault_rate": 0.5, "fault_kinds": "429,500,503", "seed": 42}
    with serve_in_thread(build("toy", options)) as one, serve_in_thread(build("toy", options)) as two:
        first, second = statuses(one.url, 30), statuses(two.url, 30)
    assert first == second
    assert 200 in first and set(first) - {200} <= {429, 500, 503} and len(set(first)) > 1


def test_injected_429_carries_retry_after_and_json() -> None:
    with serve_in_thread(build("toy", {"fault_rate": 1, "fault_kinds": ["429"], "retry_after": 3})) as srv:
        r = httpx.get(f"{srv.url}/orders")
    assert r.status_code == 429 and r.headers["retry-after"] == "3"
    assert "Too many requests" in r.json()["message"]


def test_admin_paths_are_never_faulted_and_app_admin_passes_through() -> None:
    app = build("toy", {"fault_rate": 1, "fault_kinds": "500", "orders": "2"})
    with serve_in_thread(app) as srv:
        assert httpx.get(f"{srv.url}/orders").status_code == 500
        calls = httpx.get(f"{srv.url}/_sandbox/calls")
        own = httpx.get(f"{srv.url}/_sandbox/state")
    assert calls.status_code == 200 and calls.json()["faults"] == {"500": 1}
    assert own.status_code == 200 and own.json() == {"orders": 2, "options": {"orders": "2"}}


def test_counts_per_endpoint_and_reset() -> None:
    app = build("toy", {"orders": 3})
    with serve_in_thread(app) as srv, httpx.Client(base_url=srv.url) as c:
        c.get("/orders/1")
        c.get("/orders/2")
        c.post("/orders", json={"note": "new"})
        assert c.get("/_sandbox/calls").json() == {
            "calls": {"GET /orders/{id}": 2, "POST /orders": 1}, "total": 3, "faults": {}, "faults_total": 0}
        assert len(c.get("/orders").json()) == 4
        assert c.post("/_sandbox/reset").json() == {"reset": True}
        assert c.get("/_sandbox/calls").json()["total"] == 0
        assert len(c.get("/orders").json()) == 3  # the app's own data went back to the start


def test_reconfigure_at_run_time() -> None:
    with serve_in_thread(build("toy", {})) as srv, httpx.Client(base_url=srv.url) as c:
        assert c.get("/orders").status_code == 200
        put = c.put("/_sandbox/faults", json={"fault_rate": 1, "kinds": ["503"], "seed": 1})
        assert put.status_code == 200 and put.json()["kinds"] == ["503"]
        assert c.get("/_sandbox/faults").json()["fault_rate"] == 1
        assert c.get("/orders").status_code == 503
        bad = c.put("/_sandbox/faults", json={"fault_rate": 1, "kinds": ["teapot"]})
        assert bad.status_code == 400 and "unknown fault kind(s) teapot" in bad.json()["message"]
        typo = c.put("/_sandbox/faults", json={"fault_rat": 1})
        assert typo.status_code == 400 and "unknown field(s) fault_rat" in typo.json()["message"]
        assert c.put("/_sandbox/faults", json={}).json()["fault_rate"] == 0   # back to the defaults
        assert c.get("/orders").status_code == 200


def test_drop_cuts_before_the_app_runs() -> None:
    with serve_in_thread(build("toy", {"fault_rate": 1, "fault_kinds": "drop"})) as srv:
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(f"{srv.url}/orders", json={"note": "lost"})
        httpx.put(f"{srv.url}/_sandbox/faults", json={})
        assert httpx.get(f"{srv.url}/orders").json() == []


def test_drop_after_lets_the_effect_happen() -> None:
    with serve_in_thread(build("toy", {"fault_rate": 1, "fault_kinds": "drop_after"})) as srv:
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(f"{srv.url}/orders", json={"note": "kept"})
        httpx.put(f"{srv.url}/_sandbox/faults", json={})
        assert httpx.get(f"{srv.url}/orders").json() == [{"id": 1, "note": "kept"}]


def test_slow_answers_after_the_client_gave_up() -> None:
    with serve_in_thread(build("toy", {"fault_rate": 1, "fault_kinds": "slow", "slow_ms": 3000})) as srv:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{srv.url}/orders", timeout=0.3)


def test_bad_options_and_missing_sandbox() -> None:
    with pytest.raises(ConfigError, match="unknown fault kind"):
        build("toy", {"fault_kinds": "500,boom"})
    with pytest.raises(ConfigError, match="connector 'plain' has no sandbox \\(sandboxes: toy\\)"):
        build("plain", {})


def test_config_rejects_rates_out_of_range() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultConfig(fault_rate=1.5)


def _send_half_and_go_away(url: str, path: str) -> None:
    """A client that announces a body, sends part of it and closes (as a killed process does)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     'Content-Length: 1000\r\n\r\n{"note": '.encode())


def _wait_for_dropped(caplog: pytest.LogCaptureFixture, path: str) -> list[logging.LogRecord]:
    """The records logged until the sandbox reported the dropped request (or 10 s passed)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
            "went away" in r.getMessage() and path in r.getMessage() for r in caplog.records):
        time.sleep(0.01)
    return list(caplog.records)


@pytest.mark.parametrize("options", [{}, {"latency_ms": 1}], ids=["direct", "buffered-by-latency"])
def test_a_client_gone_mid_body_is_one_quiet_line_and_nothing_happens(
        caplog: pytest.LogCaptureFixture, options: dict) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="iex.sandbox")   # whatever an earlier test set it to
    with serve_in_thread(build("toy", options)) as srv:
        _send_half_and_go_away(srv.url, "/orders")
        records = _wait_for_dropped(caplog, "POST /orders")
        assert httpx.get(f"{srv.url}/orders").json() == []   # still serving, nothing created
    dropped = [r for r in records if "went away" in r.getMessage()]
    assert [r.getMessage() for r in dropped] == ["sandbox: the client went away during POST /orders; request dropped"]
    assert dropped[0].levelno == logging.INFO
    assert [r.getMessage() for r in records if r.exc_info or r.levelno >= logging.WARNING] == []
