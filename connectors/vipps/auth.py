"""The Vipps MobilePay access token: ``POST /accesstoken/get`` with the client id, client secret
and subscription key as headers; the answer's ``access_token`` goes out as ``Bearer``.

The token request changes nothing, so it is sent even in plan mode (which echoes writes): it
goes through a runtime of its own. A token is kept until shortly before ``expires_in`` (sent as
text by Vipps [S]) and fetched again once when an API call answers 401."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from engine.connector import Runtime
from engine.errors import ConfigError, IexSystemError
from engine.http import HttpClient
from engine.secrets import Secret

MARGIN_SECONDS = 60


class AccessToken:
    def __init__(self, base_url: str, headers: Mapping[str, str | Secret], runtime: Runtime) -> None:
        self._runtime = Runtime(logger=runtime.log)          # never in plan mode: see the module text
        self._client: HttpClient = self._runtime.http(base_url, name="vipps-token")
        self._headers = dict(headers)
        self._token: Secret | None = None
        self._until = 0.0

    def header(self) -> Secret:
        if self._token is None or time.monotonic() >= self._until:
            self.refresh()
        assert self._token is not None
        return Secret(f"Bearer {self._token.reveal()}")

    def refresh(self) -> None:
        answer = self._client.post("/accesstoken/get", headers=self._headers, content=b"", idempotent=True).json()
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise IexSystemError("vipps answered the token request without an access_token")
        self._token = Secret(str(token))
        self._until = time.monotonic() + max(0, _seconds(answer.get("expires_in")) - MARGIN_SECONDS)

    def close(self) -> None:
        self._runtime.close()


def _seconds(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def plain(settings: Mapping[str, Any], name: str) -> str:
    value = settings.get(name)
    if not value:
        raise ConfigError(f"the vipps connection needs {name} (a ${{env:...}} reference)")
    return value.reveal() if isinstance(value, Secret) else str(value)
