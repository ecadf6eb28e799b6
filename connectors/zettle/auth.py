"""A Zettle access token by the assertion grant of a self-hosted app: ``POST {oauth}/token``,
form-encoded ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``, ``client_id`` and
``assertion`` (the merchant's API key, a JWT). The token lives 7200 s; the same API key gets
the next one. ``invalid_grant`` means the merchant revoked the key."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from engine.connector import Runtime
from engine.errors import ConfigError, IexError
from engine.http import HttpClient, Response
from engine.oauth import BearerToken
from engine.secrets import Secret

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def access_token(oauth_url: str, client_id: str, api_key: Secret, runtime: Runtime) -> BearerToken:
    def fetch(client: HttpClient) -> object:
        form = urlencode({"grant_type": GRANT, "client_id": client_id, "assertion": api_key.reveal()})
        return client.post("/token", content=form.encode(), idempotent=True,
                           headers={"Content-Type": "application/x-www-form-urlencoded"}).json()

    return BearerToken("zettle", oauth_url, fetch, runtime, name="zettle-oauth", error_parser=_oauth_error)


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
