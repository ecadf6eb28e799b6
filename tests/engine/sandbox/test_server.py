"""serve_in_thread: a real server on a free loopback port, up on return, gone after stop."""

from __future__ import annotations

import os
import signal
import socket
import threading

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine.errors import IexSystemError
from engine.sandbox.server import serve_forever, serve_in_thread


def hello_app() -> Starlette:
    async def hello(request):  # noqa: ANN001
        return JSONResponse({"hello": request.query_params.get("name", "world")})

    return Starlette(routes=[Route("/hello", hello)])


def test_serves_on_a_free_loopback_port_and_stops() -> None:
    with serve_in_thread(hello_app()) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{server.url}/hello", params={"name": "iex"}).json() == {"hello": "iex"}
        url = server.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/hello", timeout=2)


def test_two_servers_get_different_ports() -> None:
    with serve_in_thread(hello_app()) as one, serve_in_thread(hello_app()) as two:
        assert one.url != two.url
        assert httpx.get(f"{two.url}/hello").status_code == 200


def test_a_taken_port_is_a_clear_error() -> None:
    with serve_in_thread(hello_app()) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with pytest.raises(IexSystemError, match=f"cannot listen on 127.0.0.1:{port}"):
            serve_in_thread(hello_app(), port=port)


def test_serve_forever_reports_the_url_and_stops_on_ctrl_c() -> None:
    ready: list[str] = []
    got: list[int] = []

    def client(url: str) -> None:
        got.append(httpx.get(f"{url}/hello", timeout=5).status_code)
        os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C does to `iex sandbox`

    def on_ready(url: str) -> None:
        ready.append(url)
        threading.Thread(target=client, args=(url,), daemon=True).start()

    with pytest.raises(KeyboardInterrupt):
        serve_forever(hello_app(), "127.0.0.1", 0, on_ready=on_ready)
    assert ready and ready[0].startswith("http://127.0.0.1:")
    assert got == [200]
    probe = socket.socket()
    probe.settimeout(2)
    assert probe.connect_ex(("127.0.0.1", int(ready[0].rsplit(":", 1)[1]))) != 0
    probe.close()
