"""The shared HTTP client against real loopback servers."""

from __future__ import annotations

import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from collections import Counter
from decimal import Decimal
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response as StarletteResponse
from starlette.routing import Route

from engine.connector import Runtime
from engine.errors import ConfigError, DataError, IexSystemError, RateLimitedError, TransientError
from engine.http import HttpClient, dumps, endpoint_key
from engine.ratelimit import RateBudget
from engine.sandbox import FaultConfig, serve_in_thread, with_faults
from engine.secrets import Secret

TOKEN = "tok-4f9a2c7e1b"  # registered as a secret by Secret(...) below


class Target:
    """A tiny API that remembers what it received."""

    def __init__(self) -> None:
        self.created: list[dict] = []
        self.hits: Counter[str] = Counter()
        self.fail_first = 0
        self.retry_after = ""
        self.seen_headers: list[dict] = []

    def app(self) -> Starlette:
        async def items(request: Request) -> StarletteResponse:
            self.hits[request.method] += 1
            self.seen_headers.append(dict(request.headers))
            if request.method == "POST":
                body = json.loads(await request.body(), parse_float=Decimal)
                self.created.append(body)
                return StarletteResponse(await request.body(), status_code=201, media_type="application/json")
            return StarletteResponse('{"amount": 12.10, "items": %d}' % len(self.created),
                                     media_type="application/json")

        async def flaky(request: Request) -> StarletteResponse:
            self.hits["flaky"] += 1
            if self.hits["flaky"] <= self.fail_first:
                return JSONResponse({"message": "try later"}, status_code=503)
            return JSONResponse({"ok": True})

        async def limited(request: Request) -> StarletteResponse:
            self.hits["limited"] += 1
            if self.hits["limited"] <= self.fail_first:
                headers = {"Retry-After": self.retry_after} if self.retry_after else {}
                return JSONResponse({"message": "slow down"}, status_code=429, headers=headers)
            return JSONResponse({"ok": True})

        async def locked(request: Request) -> StarletteResponse:
            return JSONResponse({"message": f"token {request.headers.get('x-token')} is not valid"}, status_code=401)

        async def invalid(request: Request) -> StarletteResponse:
            return JSONResponse({"message": "bad field", "echo": request.query_params.get("key")}, status_code=422)

        async def not_json(request: Request) -> StarletteResponse:
            return StarletteResponse("<html>oops</html>", media_type="text/html")

        return Starlette(routes=[
            Route("/api/items", items, methods=["GET", "POST"]),
            Route("/api/items/{id}", items, methods=["GET", "PUT"]),
            Route("/api/flaky", flaky, methods=["GET", "POST"]),
            Route("/api/limited", limited, methods=["GET", "POST"]),
            Route("/api/locked", locked),
            Route("/api/invalid", invalid),
            Route("/api/html", not_json),
        ])


@pytest.fixture
def target() -> Target:
    return Target()


@pytest.fixture
def server(target: Target):
    with serve_in_thread(target.app()) as srv:
        yield srv


def make_client(url: str, runtime: Runtime | None = None, **kw) -> tuple[HttpClient, list[float]]:
    client = HttpClient(f"{url}/api", runtime=runtime, name="shop", backoff_base=0.01, **kw)
    waits: list[float] = []
    client.sleep = waits.append  # record the waits instead of sleeping
    return client, waits


def test_decimal_round_trip(server, target) -> None:
    client, _ = make_client(server.url)
    sent = {"total": Decimal("1234.50"), "rate": Decimal("0.25"), "qty": 3, "lines": [{"p": Decimal("1E+2")}]}
    echoed = client.post("/items", json=sent).json()
    assert echoed == {"total": Decimal("1234.50"), "rate": Decimal("0.25"), "qty": 3, "lines": [{"p": Decimal("100")}]}
    assert str(target.created[0]["total"]) == "1234.50"
    assert client.get("items").json()["amount"] == Decimal("12.10")


def test_a_float_in_a_body_is_refused_with_its_path() -> None:
    with pytest.raises(IexSystemError, match="float") as err:
        dumps({"lines": [{"price": 0.1}]})
    assert err.value.field_path == "$.lines[0].price"


def test_5xx_is_retried_for_get(server, target) -> None:
    target.fail_first = 2
    client, waits = make_client(server.url)
    assert client.get("flaky").json() == {"ok": True}
    assert target.hits["flaky"] == 3
    assert len(waits) == 2


def test_5xx_retries_run_out(server, target) -> None:
    target.fail_first = 10
    client, _ = make_client(server.url, max_retries=2)
    with pytest.raises(TransientError, match="HTTP 503: try later"):
        client.get("flaky")
    assert target.hits["flaky"] == 3


def test_5xx_on_post_is_not_retried(server, target) -> None:
    target.fail_first = 1
    client, _ = make_client(server.url)
    with pytest.raises(TransientError, match="may have been applied") as err:
        client.post("flaky", json={})
    assert target.hits["flaky"] == 1
    assert err.value.details["maybe_applied"] is True


def test_post_with_idempotency_key_is_retried(server, target) -> None:
    target.fail_first = 1
    client, _ = make_client(server.url)
    assert client.post("flaky", json={}, headers={"Idempotency-Key": "k-1"}).status == 200
    assert target.hits["flaky"] == 2


def test_retry_after_seconds_is_honoured(server, target) -> None:
    target.fail_first, target.retry_after = 2, "7"
    client, waits = make_client(server.url)
    assert client.post("limited", json={}).status == 200  # 429 means "not processed": safe for POST
    assert waits == [7.0, 7.0]


def test_retry_after_http_date_is_honoured(server, target) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    target.fail_first, target.retry_after = 1, format_datetime(when, usegmt=True)
    client, waits = make_client(server.url)
    client.get("limited")
    assert len(waits) == 1 and 25 <= waits[0] <= 31


def test_retry_after_above_the_cap_stops_at_once(server, target) -> None:
    target.fail_first, target.retry_after = 1, "3600"
    client, waits = make_client(server.url, max_retry_after=60)
    with pytest.raises(RateLimitedError, match="3600 s") as err:
        client.get("limited")
    assert err.value.retry_after == 3600
    assert waits == [] and target.hits["limited"] == 1


def test_429_without_retry_after_backs_off_then_gives_up(server, target) -> None:
    target.fail_first = 10
    client, waits = make_client(server.url, max_retries=3)
    with pytest.raises(RateLimitedError):
        client.get("limited")
    assert target.hits["limited"] == 4 and len(waits) == 3


def test_connect_errors_are_retried_even_for_post() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    runtime = Runtime()
    client, waits = make_client(f"http://127.0.0.1:{port}", runtime, max_retries=2)
    with pytest.raises(TransientError, match="cannot connect") as err:
        client.post("items", json={"a": 1})
    assert err.value.details["maybe_applied"] is False
    assert len(waits) == 2
    assert runtime.metrics["http.shop"] == 3 and runtime.metrics["http.shop.retries"] == 2


def test_dropped_answer_to_a_post_is_not_retried_but_the_effect_exists(target) -> None:
    app = with_faults(target.app(), FaultConfig(fault_rate=1.0, kinds=("drop_after",)))
    with serve_in_thread(app) as srv:
        client, _ = make_client(srv.url)
        with pytest.raises(TransientError, match="may have been applied"):
            client.post("items", json={"order": 1})
    assert target.created == [{"order": 1}]  # sent once, and it happened


def test_dropped_connection_on_get_is_retried(target) -> None:
    app = with_faults(target.app(), FaultConfig(fault_rate=0.5, kinds=("drop",), seed=3))
    with serve_in_thread(app) as srv:
        client, waits = make_client(srv.url, max_retries=10)
        for _ in range(6):
            assert client.get("items").status == 200
    assert waits, "the seed must have produced at least one drop"
    assert app.snapshot()["faults"]["drop"] == len(waits)


def test_401_is_a_config_error_without_the_secret(server) -> None:
    client, _ = make_client(server.url, headers={"X-Token": Secret(TOKEN)})
    with pytest.raises(ConfigError) as err:
        client.get("locked")
    text = str(err.value)
    assert "shop refused the credentials (HTTP 401)" in text
    assert "is not valid" in text and TOKEN not in text and "***" in text


def test_secret_in_url_and_error_body_is_masked(server, caplog) -> None:
    client, _ = make_client(server.url)
    caplog.set_level("DEBUG", logger="iex.http")
    with pytest.raises(DataError) as err:
        client.get("invalid", params={"key": Secret(TOKEN)})
    assert "HTTP 422" in str(err.value) and "GET /invalid" in str(err.value)
    assert TOKEN not in str(err.value) and "***" in str(err.value)
    assert "invalid" in caplog.text and TOKEN not in caplog.text


def test_error_parser_decides_other_4xx(server) -> None:
    client, _ = make_client(server.url, error_parser=lambda r: DataError(f"parsed: {r.json()['message']}"))
    with pytest.raises(DataError, match="parsed: bad field"):
        client.get("invalid")


def test_secret_headers_and_basic_auth_are_sent(server, target) -> None:
    client, _ = make_client(server.url, headers={"X-Token": Secret(TOKEN)}, basic_auth=("user", Secret("pw-secret-1")))
    client.get("items")
    seen = target.seen_headers[-1]
    assert seen["x-token"] == TOKEN
    assert seen["authorization"] == "Basic dXNlcjpwdy1zZWNyZXQtMQ=="


def test_plan_mode_sends_no_post(server, target) -> None:
    runtime = Runtime(dry_run=True)
    client, _ = make_client(server.url, runtime)
    assert client.get("items").json()["items"] == 0      # reads are real
    resp = client.post("items", json={"total": Decimal("9.95"), "token": Secret(TOKEN)})
    assert resp.status == 201 and resp.json()["total"] == Decimal("9.95")
    assert target.hits["POST"] == 0 and target.created == []
    plan = runtime.cache["plan"]
    assert plan == [{"method": "POST", "url": f"{server.url}/api/items", "body": {"total": Decimal("9.95"), "token": "***"}}]


def test_metrics_per_endpoint(server) -> None:
    runtime = Runtime()
    client, _ = make_client(server.url, runtime)
    client.get("items/12")
    client.get("/items/13")
    client.put("items/14", json={})
    assert runtime.metrics["http.shop"] == 3
    assert runtime.metrics["http.shop.GET /items/{id}"] == 2
    assert runtime.metrics["http.shop.PUT /items/{id}"] == 1


def test_full_urls_must_stay_on_the_same_host(server) -> None:
    client, _ = make_client(server.url)
    assert client.get(f"{server.url}/api/items?skippages=1").status == 200
    with pytest.raises(IexSystemError, match="refusing to follow"):
        client.get("https://elsewhere.example/api/items")


@pytest.mark.parametrize("url", ["http://shop.example/api", "ftp://127.0.0.1/x", "http://10.0.0.1/"])
def test_plain_http_only_on_loopback(url: str) -> None:
    with pytest.raises(ConfigError, match="not an https:// URL"):
        HttpClient(url)


@pytest.mark.parametrize("url", ["https://shop.example/api", "http://127.0.0.5:80", "http://[::1]:8080", "http://localhost"])
def test_https_or_loopback_accepted(url: str) -> None:
    HttpClient(url).close()


def test_non_json_answer_is_a_system_error(server) -> None:
    client, _ = make_client(server.url)
    with pytest.raises(IexSystemError, match="not JSON"):
        client.get("html").json()


def test_endpoint_key() -> None:
    assert endpoint_key("get", "/invoices/drafts/12/lines/3") == "GET /invoices/drafts/{id}/lines/{id}"
    assert endpoint_key("POST", "/products/SKU-12") == "POST /products/SKU-12"


def test_read_timeout_on_post_is_not_retried_and_the_effect_arrives(target) -> None:
    app = with_faults(target.app(), FaultConfig(fault_rate=1.0, kinds=("slow",), slow_ms=1500))
    with serve_in_thread(app) as srv:
        client, waits = make_client(srv.url, timeout=0.3)
        with pytest.raises(TransientError, match="ReadTimeout.*may have been applied"):
            client.post("items", json={"order": 7})
        assert waits == []
        for _ in range(100):  # the server still has it in hand: wait for it to land
            if target.created:
                break
            threading.Event().wait(0.05)
    assert target.created == [{"order": 7}]


def test_shared_budget_across_threads(server, target) -> None:
    shared = RateBudget("shop-test-threads", max_concurrency=2, daily_limit=12)
    runtime = Runtime()
    client, _ = make_client(server.url, runtime, budget=shared)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda i: client.get(f"items/{i}").status, range(12)))
    assert results == [200] * 12
    assert runtime.metrics["http.shop.GET /items/{id}"] == 12
    with pytest.raises(RateLimitedError, match="daily limit of 12 calls"):
        client.get("items")
    assert target.hits["GET"] == 12  # the 13th was never sent
