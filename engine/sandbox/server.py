"""Run an ASGI app (a connector sandbox) with uvicorn on loopback.

Tests call ``serve_in_thread`` and get a live base URL; ``iex sandbox`` calls ``serve_forever``.
We bind the listening socket ourselves so the port is known before the server starts (port 0
picks a free one), and we return only once the server accepts connections.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn

from engine.errors import IexSystemError

ASGIApp = Callable[..., Any]

STARTUP_TIMEOUT = 20.0


class SandboxServer:
    """A sandbox served from a daemon thread. ``url`` is its base URL; ``stop()`` shuts it down."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, url: str) -> None:
        self._server = server
        self._thread = thread
        self.url = url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SandboxServer({self.url})"


def serve_in_thread(app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Start ``app`` on ``host:port`` (0 = a free port) in a daemon thread; return once it
    accepts connections."""
    sock = _bind(host, port)
    server = uvicorn.Server(_config(app, host, sock))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            failure.append(exc)
        finally:
            sock.close()

    thread = threading.Thread(target=run, name=f"sandbox-{_url(host, sock)}", daemon=True)
    thread.start()
    _wait_started(server, thread, failure)
    return SandboxServer(server, thread, _url(host, sock))


def serve_forever(app: ASGIApp, host: str, port: int, *, on_ready: Callable[[str], None]) -> None:
    """Serve ``app`` in this thread until Ctrl-C; ``on_ready(base_url)`` once it accepts
    connections (the CLI prints the URL there)."""
    sock = _bind(host, port)
    server = uvicorn.Server(_config(app, host, sock))
    url = _url(host, sock)
    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        if server.started:
            on_ready(url)

    server.startup = startup  # type: ignore[method-assign]
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def _config(app: ASGIApp, host: str, sock: socket.socket) -> uvicorn.Config:
    _quiet_logs()
    return uvicorn.Config(
        app,
        host=host,
        port=sock.getsockname()[1],
        log_config=None,      # leave the process's logging alone
        log_level="warning",  # no startup banner, no access log
        access_log=False,
        lifespan="auto",
        timeout_graceful_shutdown=1,
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only then, and
    # without it every keep-alive answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise IexSystemError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _url(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _wait_started(server: uvicorn.Server, thread: threading.Thread, failure: list[BaseException]) -> None:
    """Poll until uvicorn reports ``started`` (set from its own loop), the thread dies, or time
    runs out."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            why = f": {failure[0]!r}" if failure else ""
            raise IexSystemError(f"the sandbox server did not start{why}")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise IexSystemError(f"the sandbox server did not start within {STARTUP_TIMEOUT:.0f} s")
        time.sleep(0.005)


class _HideInjectedDrops(logging.Filter):
    """uvicorn logs every exception that escapes the app; the fault middleware cuts connections
    on purpose by raising ``ConnectionCut``, which is not worth a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not getattr(exc, "injected_fault", False)


_filter_installed = False


def _quiet_logs() -> None:
    global _filter_installed
    if not _filter_installed:
        logging.getLogger("uvicorn.error").addFilter(_HideInjectedDrops())
        _filter_installed = True
