"""An OAuth-style bearer token: fetched on first use, kept until shortly before ``expires_in``
runs out, fetched again once when an API call answers 401.

How a token is asked for differs per system (client credentials, a JWT assertion, headers); the
connector gives that request as ``fetch(client)`` returning the token answer
(``{"access_token", "expires_in"}``). The token request changes nothing, so it is sent even in
plan mode (which echoes writes): it goes through a runtime of its own."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from engine.connector import Runtime
from engine.errors import ConfigError, IexSystemError
from engine.http import HttpClient
from engine.secrets import Secret

MARGIN_SECONDS = 60


class BearerToken:
    def __init__(self, system: str, base_url: str, fetch: Callable[[HttpClient], Any], runtime: Runtime,
                 **http_options: Any) -> None:
        """``http_options`` (``name``, ``basic_auth``, ``error_parser``) make the token's own client."""
        self._system, self._fetch = system, fetch
        self._runtime = Runtime(logger=runtime.log)          # never in plan mode: see the module text
        self._client: HttpClient = self._runtime.http(base_url, **http_options)
        self._token: Secret | None = None
        self._until = 0.0

    def header(self) -> Secret:
        """``Bearer <token>`` for ``Authorization``, fetching a token when there is none or it runs out."""
        if self._token is None or time.monotonic() >= self._until:
            self.refresh()
        assert self._token is not None
        return Secret(f"Bearer {self._token.reveal()}")

    def refresh(self) -> None:
        answer = self._fetch(self._client)
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise IexSystemError(f"{self._system} answered the token request without an access_token")
        self._token = Secret(str(token))
        self._until = time.monotonic() + max(0, _seconds(answer.get("expires_in")) - MARGIN_SECONDS)

    def get_json(self, client: HttpClient, target: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``target`` through ``client`` with the token; a 401 (the token ran out between two
        calls) fetches a new one and asks once more."""
        try:
            return client.get(target, params=params, headers={"Authorization": self.header()}).json()
        except ConfigError as exc:
            if exc.details.get("status") != 401:
                raise
        self.refresh()
        return client.get(target, params=params, headers={"Authorization": self.header()}).json()

    def close(self) -> None:
        self._runtime.close()


def _seconds(value: Any) -> int:
    """``expires_in`` as whole seconds: a number, or text as Vipps sends it [S]; 0 when unreadable."""
    try:
        return int(Decimal(str(value)))
    except (ArithmeticError, ValueError):
        return 0
