"""A Clearhaus Merchant API token by the OAuth 2.0 client-credentials grant: the client id and
secret as HTTP Basic, form ``grant_type=client_credentials``; the answer's ``access_token`` goes
out as ``Bearer``. The token path is ``/oauth/token`` on the API host unless ``token_url`` says
otherwise [U: Clearhaus documents the grant, not the path we could confirm].

The token request changes nothing, so it is sent even in plan mode (which echoes writes): it
goes through a runtime of its own."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from engine.connector import Runtime
from engine.errors import IexSystemError
from engine.http import HttpClient
from engine.secrets import Secret

MARGIN_SECONDS = 60


class AccessToken:
    def __init__(self, token_url: str, client_id: str, client_secret: Secret, runtime: Runtime) -> None:
        parts = urlsplit(token_url)
        self._runtime = Runtime(logger=runtime.log)
        self._client: HttpClient = self._runtime.http(f"{parts.scheme}://{parts.netloc}", name="clearhaus-oauth",
                                                      basic_auth=(client_id, client_secret))
        self._path = parts.path or "/oauth/token"
        self._token: Secret | None = None
        self._until = 0.0

    def header(self) -> Secret:
        if self._token is None or time.monotonic() >= self._until:
            self.refresh()
        assert self._token is not None
        return Secret(f"Bearer {self._token.reveal()}")

    def refresh(self) -> None:
        answer = self._client.post(self._path, content=b"grant_type=client_credentials", idempotent=True,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"}).json()
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise IexSystemError("clearhaus answered the token request without an access_token")
        self._token = Secret(str(token))
        self._until = time.monotonic() + max(0, int(answer.get("expires_in") or 0) - MARGIN_SECONDS)

    def close(self) -> None:
        self._runtime.close()
