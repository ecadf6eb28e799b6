"""A Zettle access token by the assertion grant of a self-hosted app: ``POST {oauth}/token``,
form-encoded ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``, ``client_id`` and
``assertion`` (the merchant's API key, a JWT). The token lives 7200 s; the same API key gets
the next one. ``invalid_grant`` means the merchant revoked the key.

The token request changes nothing, so it is sent even in plan mode (which echoes writes): it
goes through a runtime of its own."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from engine.connector import Runtime
from engine.errors import ConfigError, IexError, IexSystemError
from engine.http import HttpClient, Response
from engine.secrets import Secret

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MARGIN_SECONDS = 60


class AccessToken:
    def __init__(self, oauth_url: str, client_id: str, api_key: Secret, runtime: Runtime) -> None:
        self._runtime = Runtime(logger=runtime.log)
        self._client: HttpClient = self._runtime.http(oauth_url, name="zettle-oauth", error_parser=_oauth_error)
        self._client_id, self._api_key = client_id, api_key
        self._token: Secret | None = None
        self._until = 0.0

    def header(self) -> Secret:
        if self._token is None or time.monotonic() >= self._until:
            self.refresh()
        assert self._token is not None
        return Secret(f"Bearer {self._token.reveal()}")

    def refresh(self) -> None:
        form = urlencode({"grant_type": GRANT, "client_id": self._client_id, "assertion": self._api_key.reveal()})
        answer = self._client.post("/token", content=form.encode(), idempotent=True,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"}).json()
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise IexSystemError("zettle answered the token request without an access_token")
        self._token = Secret(str(token))
        self._until = time.monotonic() + max(0, int(answer.get("expires_in") or 0) - MARGIN_SECONDS)

    def close(self) -> None:
        self._runtime.close()


def _oauth_error(resp: Response) -> IexError | None:
    """``{"error": "invalid_grant"}`` and friends: the credentials are the customer's to fix."""
    try:
        body = json.loads(resp.text)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if error in ("invalid_grant", "invalid_client", "unauthorized_client"):
        hint = (" (the merchant may have revoked the API key: create a new one in Zettle and update the instance)"
                if error == "invalid_grant" else "")
        return ConfigError(f"zettle refused the credentials ({error}: {body.get('error_description') or 'no detail'})"
                           f"{hint}", details={"status": resp.status})
    return None
