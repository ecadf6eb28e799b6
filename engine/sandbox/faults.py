"""Fault injection and the ``/_sandbox/`` admin routes, as an ASGI middleware.

Every connector sandbox is wrapped by ``with_faults`` (centrally, in ``engine.sandbox.build``),
so all sandboxes inject the same faults and answer the same admin routes:

* ``GET  /_sandbox/faults``  the current ``FaultConfig`` as JSON
* ``PUT  /_sandbox/faults``  replace it (fields left out take their defaults; the RNG is reseeded)
* ``GET  /_sandbox/calls``   requests per ``"METHOD /path"`` (numeric segments as ``{id}``),
  the total, and faults injected per kind
* ``POST /_sandbox/reset``   call the sandbox's ``reset`` (its data back to the start), zero counts

Other ``/_sandbox/...`` paths belong to the connector sandbox and pass through, never faulted.

Fault kinds, picked with probability ``fault_rate`` by a seeded RNG for each other request:
``429`` (with ``Retry-After``), ``500``, ``503`` (JSON error bodies), ``drop`` (the connection is
cut before the app runs: nothing happened), ``drop_after`` (the app runs, its effect happens, then
the connection is cut: the case that tests exactly-once), ``slow`` (``slow_ms`` extra delay).

A client that goes away while sending its request (killed, timed out) is normal for a sandbox:
the request is dropped with one INFO line, for every sandbox alike, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from engine.http import endpoint_key

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KINDS = ("429", "500", "503", "drop", "drop_after", "slow")
ADMIN_PREFIX = "/_sandbox/"
log = logging.getLogger("iex.sandbox")


@dataclass(frozen=True)
class FaultConfig:
    latency_ms: int = 0
    fault_rate: float = 0.0            # a probability, not money: float is right here
    kinds: tuple[str, ...] = KINDS
    seed: int | None = None
    retry_after: int = 1               # seconds sent in Retry-After with an injected 429
    slow_ms: int = 2000

    def __post_init__(self) -> None:
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown fault kind(s) {', '.join(unknown)} (known: {', '.join(KINDS)})")
        if not self.kinds and self.fault_rate > 0:
            raise ValueError("fault_rate > 0 needs at least one fault kind")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be between 0 and 1, not {self.fault_rate}")
        if self.latency_ms < 0 or self.slow_ms < 0 or self.retry_after < 0:
            raise ValueError("latency_ms, slow_ms and retry_after must not be negative")

    @classmethod
    def from_json(cls, data: Any) -> FaultConfig:
        """Build from a JSON object (the PUT body); raises ValueError saying what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("the fault config must be a JSON object")
        known = {f.name for f in fields(cls)}
        extra = sorted(set(data) - known)
        if extra:
            raise ValueError(f"unknown field(s) {', '.join(extra)} (known: {', '.join(sorted(known))})")
        values = dict(data)
        if "kinds" in values:
            kinds = values["kinds"]
            values["kinds"] = tuple(kinds.split(",") if isinstance(kinds, str) else kinds)
        try:
            return cls(**values)
        except TypeError as exc:
            raise ValueError(str(exc)) from None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kinds"] = list(self.kinds)
        return data


class ConnectionCut(Exception):
    """Raised after the response has started, so the server closes the connection mid-answer."""

    injected_fault = True


class FaultInjector:
    """The middleware. Counts and config are guarded by a lock so tests may read them from
    another thread (``injector.calls``) as well as over HTTP."""

    def __init__(self, app: ASGIApp, config: FaultConfig, reset: Callable[[], None] | None) -> None:
        self.app = app
        self._reset = reset
        self._lock = threading.Lock()
        self._configure(config)
        self.calls: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()

    @property
    def config(self) -> FaultConfig:
        return self._config

    def _configure(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._rng = random.Random(config.seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self._http(scope, receive, send)
        except ClientDisconnect:
            # Nothing to answer: the connection is gone, and the request was never whole.
            log.info("sandbox: the client went away during %s %s; request dropped", scope["method"], scope["path"])

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path.startswith(ADMIN_PREFIX):
            if not await self._admin(scope, receive, send):
                await self.app(scope, receive, send)
            return
        kind, config = self._next(scope["method"], path)
        if config.latency_ms or kind == "slow":
            # A slow server has the request in hand: a client that gives up meanwhile does not
            # undo it, so read the body now and hand it to the app after the wait.
            receive = await _buffered(receive)
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        if kind is None:
            await self.app(scope, receive, send)
        elif kind == "slow":
            await asyncio.sleep(config.slow_ms / 1000)
            await self.app(scope, receive, send)
        elif kind == "429":
            await _json(send, 429, {"message": "Too many requests (injected by the sandbox)", "fault": kind},
                        [(b"retry-after", str(config.retry_after).encode())])
        elif kind in ("500", "503"):
            await _json(send, int(kind), {"message": f"Injected HTTP {kind} (sandbox fault)", "fault": kind})
        elif kind == "drop":
            await _drain(receive)  # an unread body would turn the cut into a TCP reset
            await _cut(send, 200, [])
        else:  # drop_after: let the effect happen, then lose the answer
            status, headers = await _run_swallowing(self.app, scope, receive)
            await _cut(send, status, headers)

    def _next(self, method: str, path: str) -> tuple[str | None, FaultConfig]:
        """Count the call and draw its fault (None: none) from the seeded RNG."""
        with self._lock:
            self.calls[endpoint_key(method, path)] += 1
            config = self._config
            kind = None
            if config.fault_rate > 0 and self._rng.random() < config.fault_rate:
                kind = self._rng.choice(config.kinds)
                self.faults[kind] += 1
            return kind, config

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(sorted(self.calls.items())),
                "total": sum(self.calls.values()),
                "faults": dict(sorted(self.faults.items())),
                "faults_total": sum(self.faults.values()),
            }

    def reset(self) -> None:
        """Back to the start: the sandbox's data, the counts and the RNG sequence."""
        if self._reset is not None:
            self._reset()
        with self._lock:
            self.calls.clear()
            self.faults.clear()
            self._rng = random.Random(self._config.seed)

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer our admin routes; False for any other ``/_sandbox/`` path (the app's own)."""
        route = (scope["method"], scope["path"].rstrip("/"))
        if route == ("GET", "/_sandbox/faults"):
            await _json(send, 200, self._config.to_json())
        elif route == ("PUT", "/_sandbox/faults"):
            body = await Request(scope, receive).body()
            try:
                self._configure(FaultConfig.from_json(json.loads(body or b"{}")))
            except ValueError as exc:  # JSONDecodeError is a ValueError too
                await _json(send, 400, {"message": f"bad fault config: {exc}"})
                return True
            await _json(send, 200, self._config.to_json())
        elif route == ("GET", "/_sandbox/calls"):
            await _json(send, 200, self.snapshot())
        elif route == ("POST", "/_sandbox/reset"):
            self.reset()
            await _json(send, 200, {"reset": True})
        else:
            return False
        return True


def with_faults(app: ASGIApp, config: FaultConfig, *, reset: Callable[[], None] | None = None) -> FaultInjector:
    """Wrap a sandbox app with fault injection and the admin routes."""
    return FaultInjector(app, config, reset)


async def _json(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    response = JSONResponse(body, status_code=status)
    for name, value in headers or []:
        response.headers[name.decode()] = value.decode()
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


async def _cut(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    """Start a response that promises a body, then raise: the server closes the connection and
    the client sees an incomplete answer, never a clean HTTP response."""
    kept = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"transfer-encoding")]
    await send({"type": "http.response.start", "status": status,
                "headers": [*kept, (b"content-length", b"4096")]})
    raise ConnectionCut("connection cut by the sandbox (fault injection)")


async def _buffered(receive: Receive) -> Receive:
    """Read the whole request body now; the returned ``receive`` replays it once. A client that
    went away before the body was whole is replayed as gone, never as a shorter body."""
    chunks: list[bytes] = []
    message: Message = {"more_body": True}
    while message.get("more_body"):
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
    whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
    replay: list[Message] = [message if message["type"] == "http.disconnect" else whole]

    async def buffered() -> Message:
        return replay.pop() if replay else await receive()

    return buffered


async def _drain(receive: Receive) -> None:
    message: Message = {"more_body": True}
    while message.get("more_body") and message.get("type") != "http.disconnect":
        message = await receive()


async def _run_swallowing(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list[tuple[bytes, bytes]]]:
    """Run the app to completion, keep its status and headers, throw its answer away."""
    started: dict[str, Any] = {"status": 200, "headers": []}

    async def swallow(message: Message) -> None:
        if message["type"] == "http.response.start":
            started["status"] = message["status"]
            started["headers"] = list(message.get("headers", []))

    await app(scope, receive, swallow)
    return started["status"], started["headers"]
