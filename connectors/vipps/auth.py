"""The Vipps MobilePay access token: ``POST /accesstoken/get`` with the client id, client secret
and subscription key as headers; the answer's ``access_token`` goes out as ``Bearer``, kept until
shortly before ``expires_in`` (sent as text by Vipps [S])."""

from __future__ import annotations

from collections.abc import Mapping

from engine.connector import Runtime
from engine.http import HttpClient
from engine.oauth import BearerToken
from engine.secrets import Secret


def access_token(base_url: str, headers: Mapping[str, str | Secret], runtime: Runtime) -> BearerToken:
    def fetch(client: HttpClient) -> object:
        return client.post("/accesstoken/get", headers=dict(headers), content=b"", idempotent=True).json()

    return BearerToken("vipps", base_url, fetch, runtime, name="vipps-token")
