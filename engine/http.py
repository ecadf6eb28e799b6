"""The one HTTP client of iex.

Every connector call goes through ``HttpClient`` so that timeouts, retries, ``Retry-After``, the
shared rate budget, secret masking, plan mode and metrics behave the same everywhere.

Exactly-once comes first: a request with an effect (POST/PATCH without ``idempotent=True`` or an
``Idempotency-Key`` header) is retried only when it provably never reached the server (connect
errors, 429). After a read timeout, a dropped connection or a 5xx it raises ``TransientError``
at once with ``details["maybe_applied"] = True``; the runner then asks the action's finder
whether the effect exists before sending it again.
"""

from __future__ import annotations

import email.utils
import ipaddress
import itertools
import json as jsonlib
import logging
import random
import re
import threading
import time
from base64 import b64encode
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from engine.errors import ConfigError, DataError, IexError, IexSystemError, RateLimitedError, TransientError
from engine.secrets import Secret, mask

if TYPE_CHECKING:
    from engine.connector import Runtime
    from engine.ratelimit import RateBudget

log = logging.getLogger("iex.http")

RETRY_STATUSES = frozenset({408, 500, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
BODY_LIMIT = 500
_metrics_lock = threading.Lock()
_NUMERIC_SEGMENT = re.compile(r"(?<=/)\d+(?=/|$)")


class _Retry(Exception):
    """Internal: this attempt failed but another is allowed after ``wait`` seconds; ``error`` is
    raised if none is left."""

    def __init__(self, wait: float, error: IexError) -> None:
        super().__init__(str(error))
        self.wait = wait
        self.error = error


def endpoint_key(method: str, path: str) -> str:
    """``"GET /invoices/drafts/{id}"``: one key per endpoint, numeric segments as ``{id}``."""
    return f"{method.upper()} {_NUMERIC_SEGMENT.sub('{id}', path)}"


class Response:
    """What came back: status, headers, body. ``json()`` keeps fractions exact (Decimal)."""

    def __init__(self, raw: httpx.Response, method: str) -> None:
        self._raw = raw
        self.status: int = raw.status_code
        self.headers: Mapping[str, str] = raw.headers
        self.url: str = str(raw.url)
        self.method: str = method

    @property
    def content(self) -> bytes:
        return self._raw.content

    @property
    def text(self) -> str:
        return self._raw.text

    def json(self) -> Any:
        try:
            return jsonlib.loads(self.text, parse_float=Decimal)
        except jsonlib.JSONDecodeError as exc:
            raise IexSystemError(
                f"{self.method} {mask(self.url)} answered HTTP {self.status} with a body that is not JSON "
                f"({exc.msg} at char {exc.pos}): {_excerpt(self.text)}"
            ) from None

    def __repr__(self) -> str:
        return f"<Response {self.method} {mask(self.url)} {self.status}>"


def dumps(value: Any) -> str:
    """JSON text with Decimal written as an exact number (``Decimal("1.10")`` -> ``1.10``).
    A float is refused with its field path: money must never pass through binary floats."""
    return _encode(value, "$")


def _encode(value: Any, path: str) -> str:
    if value is None or isinstance(value, (bool, str)):
        return jsonlib.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise DataError(f"{value} is not a number JSON can carry", field_path=path)
        return format(value, "f")
    if isinstance(value, Secret):
        return jsonlib.dumps(value.reveal(), ensure_ascii=False)
    if isinstance(value, Mapping):
        items = (f"{jsonlib.dumps(str(k), ensure_ascii=False)}:{_encode(v, f'{path}.{k}')}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(v, f"{path}[{i}]") for i, v in enumerate(value)) + "]"
    if isinstance(value, float):
        raise IexSystemError(f"a float ({value!r}) reached a request body; use Decimal", field_path=path)
    raise IexSystemError(f"{type(value).__name__} cannot be sent as JSON", field_path=path)


class HttpClient:
    """One client per base URL (one connection pool). Safe to share between worker threads."""

    def __init__(
        self,
        base_url: str,
        *,
        runtime: Runtime | None = None,
        name: str = "",
        headers: Mapping[str, str | Secret] | None = None,
        basic_auth: tuple[str | Secret, str | Secret] | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff_base: float = 0.25,
        backoff_cap: float = 20.0,
        max_retry_after: float = 120.0,
        budget: RateBudget | None = None,
        error_parser: Callable[[Response], IexError | None] | None = None,
    ) -> None:
        _require_safe_scheme(base_url)
        self.base_url = base_url.rstrip("/")
        self._base = urlsplit(self.base_url)
        self.name = name or self._base.hostname or "http"
        self.runtime = runtime
        self._headers = dict(headers or {})
        self._basic_auth = basic_auth
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.budget = budget
        self.error_parser = error_parser
        self.log = runtime.log if runtime is not None else log
        self.sleep: Callable[[float], None] = time.sleep   # tests replace this to skip waiting
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    # -- the public calls ---------------------------------------------------------------------
    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Response:
        return self.request("DELETE", path, **kw)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str | Secret] | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Send one request, retrying where that is safe; raise the iex error class on failure."""
        method = method.upper()
        url = self._url(path)
        body = dumps(json).encode() if json is not None else content
        merged = {**self._headers, **(headers or {})}
        if json is not None and not any(k.lower() == "content-type" for k in merged):
            merged["Content-Type"] = "application/json"
        if self.runtime is not None and self.runtime.dry_run and method not in ("GET", "HEAD"):
            return self._plan(method, url, params, json, body)
        if idempotent is None:
            idempotent = method in SAFE_METHODS or any(k.lower() == "idempotency-key" for k in merged)
        endpoint = endpoint_key(method, self._endpoint_path(url))
        where = mask(f"{method} {self._endpoint_path(url)}")

        for attempt in itertools.count():
            try:
                return self._attempt(method, url, params, merged, body, idempotent, endpoint, where, attempt)
            except _Retry as retry:
                if attempt >= self.max_retries:
                    raise retry.error from None
                self._count(f"http.{self.name}.retries")
                self.sleep(retry.wait)
        raise AssertionError("unreachable")

    # -- one attempt ----------------------------------------------------------------------------
    def _attempt(
        self, method: str, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, Any],
        body: bytes | None, idempotent: bool, endpoint: str, where: str, attempt: int,
    ) -> Response:
        """Send once. Raises ``_Retry`` when another attempt is allowed, the iex error when not."""
        backoff = random.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))
        slot = self.budget.slot() if self.budget is not None else nullcontext()
        with slot:
            self._count(f"http.{self.name}")
            self._count(f"http.{self.name}.{endpoint}")
            started = time.monotonic()
            try:
                raw = self._client.request(
                    method, url, params=_reveal_map(params), headers=self._wire_headers(headers), content=body
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # The request never left: retrying is safe for every method.
                self.log.debug("%s %s failed to connect: %s", method, mask(url), type(exc).__name__)
                raise _Retry(backoff, TransientError(
                    f"{self.name}: cannot connect for {where} ({_why(exc)})", details={"maybe_applied": False}))
            except (httpx.LocalProtocolError, httpx.UnsupportedProtocol) as exc:
                # Our request is malformed (a bad header value, say): repeating will not help.
                raise IexSystemError(f"{self.name}: cannot send {where}: {_why(exc)}") from None
            except httpx.TransportError as exc:
                self.log.debug("%s %s transport error: %s", method, mask(url), type(exc).__name__)
                raise self._unclear(idempotent, backoff, where, _why(exc)) from None
            elapsed = time.monotonic() - started
        self.log.debug("%s %s -> %s in %.3f s", method, mask(str(raw.url)), raw.status_code, elapsed)
        resp = Response(raw, method)
        if 200 <= resp.status < 300:
            return resp
        raise self._failure(resp, idempotent, backoff, where, attempt)

    def _failure(self, resp: Response, idempotent: bool, backoff: float, where: str, attempt: int) -> Exception:
        """The error for a non-2xx answer: ``_Retry`` if another attempt is allowed."""
        status = resp.status
        if status in (401, 403):
            return ConfigError(
                f"{self.name} refused the credentials (HTTP {status}) for {where}: {_server_message(resp)}. "
                "Check the credentials and the access rights in the instance file", details={"status": status})
        if status == 429:
            wait = _retry_after(resp.headers.get("retry-after"))
            if wait is not None and wait > self.max_retry_after:
                return RateLimitedError(
                    f"{self.name} is rate limiting {where}; it asks to wait {wait:.0f} s, more than the "
                    f"{self.max_retry_after:.0f} s iex waits within a run", retry_after=wait)
            wait = backoff if wait is None else wait
            return _Retry(wait, RateLimitedError(
                f"{self.name} is still rate limiting {where} after {attempt + 1} attempts", retry_after=wait))
        if status in RETRY_STATUSES:
            return self._unclear(idempotent, backoff, where, f"HTTP {status}: {_server_message(resp)}", status)
        if 400 <= status < 500:
            parsed = self.error_parser(resp) if self.error_parser is not None else None
            if parsed is not None:
                return parsed
            return DataError(
                f"{self.name} rejected {where} (HTTP {status}): {_excerpt(resp.text)}", details={"status": status})
        return IexSystemError(
            f"{self.name} answered {where} with an unexpected HTTP {status}: {_excerpt(resp.text)}",
            details={"status": status})

    def _unclear(self, idempotent: bool, backoff: float, where: str, why: str, status: int | None = None) -> Exception:
        """The request may have reached the server. Retry only what is safe to repeat."""
        details: dict[str, Any] = {"maybe_applied": not idempotent}
        if status is not None:
            details["status"] = status
        if idempotent:
            return _Retry(backoff, TransientError(f"{self.name}: {where} failed ({why}); retries used up",
                                                  details=details))
        return TransientError(
            f"{self.name}: {where} failed ({why}); it may have been applied, so it is not sent again blindly",
            details=details)

    # -- helpers --------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        if "://" not in path:
            return f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url
        _require_safe_scheme(path)
        target = urlsplit(path)
        if (target.scheme, target.netloc) != (self._base.scheme, self._base.netloc):
            # Credentials go with every request: never to a host other than the configured one.
            raise IexSystemError(
                f"{self.name}: refusing to follow {mask(path)}: it is not on {mask(self.base_url)}")
        return path

    def _endpoint_path(self, url: str) -> str:
        path = urlsplit(url).path
        base = self._base.path.rstrip("/")
        if base and path.startswith(base):
            path = path[len(base):]
        return path or "/"

    def _wire_headers(self, headers: Mapping[str, Any]) -> dict[str, str]:
        wire = _reveal_map(headers) or {}
        if self._basic_auth is not None:
            user, password = (_reveal(v) for v in self._basic_auth)
            wire["Authorization"] = "Basic " + b64encode(f"{user}:{password}".encode()).decode()
        return wire

    def _plan(self, method: str, url: str, params: Mapping[str, Any] | None, json: Any,
              body: bytes | None) -> Response:
        """Plan mode: record what would be sent and echo the body as a 201."""
        full = str(httpx.URL(url, params=_reveal_map(params))) if params else url
        shown: Any = None
        if json is not None:
            shown = jsonlib.loads(mask(dumps(json)), parse_float=Decimal)
        elif body is not None:
            shown = mask(body.decode("utf-8", "replace"))
        if self.runtime is not None:
            with _metrics_lock:
                self.runtime.cache.setdefault("plan", []).append({"method": method, "url": mask(full), "body": shown})
        raw = httpx.Response(201, content=body or b"", headers={"content-type": "application/json"},
                             request=httpx.Request(method, url))
        return Response(raw, method)

    def _count(self, key: str) -> None:
        if self.runtime is not None:
            with _metrics_lock:
                self.runtime.metrics[key] += 1


def scheme_problem(url: str) -> str | None:
    """Why ``url`` may not be called (credentials would cross the network in clear text), or
    None: https anywhere, plain http only on loopback. ``iex validate`` applies the same rule to
    connection URLs, so a customer learns it before the first run."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return f"{mask(url)} is not a valid URL"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host and _is_loopback(host):
        return None
    return (f"{mask(url)} is not an https:// URL; plain http is allowed only for loopback addresses "
            "(127.0.0.1, ::1, localhost)")


def _require_safe_scheme(url: str) -> None:
    problem = scheme_problem(url)
    if problem is not None:
        raise ConfigError(problem)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reveal(value: Any) -> Any:
    return value.reveal() if isinstance(value, Secret) else value


def _reveal_map(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else {k: _reveal(v) for k, v in values.items()}


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _server_message(resp: Response) -> str:
    """The server's own explanation: a ``message`` field when the body is a JSON object."""
    try:
        data = jsonlib.loads(resp.text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("message", "error_description", "error", "errorCode"):
            if isinstance(data.get(key), str) and data[key]:
                return _excerpt(data[key])
    return _excerpt(resp.text) or "no message"


def _excerpt(text: str) -> str:
    text = mask(text.strip())
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + "..."


def _why(exc: httpx.TransportError) -> str:
    return mask(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
