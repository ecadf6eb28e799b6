"""A Clearhaus Merchant API token by the OAuth 2.0 client-credentials grant: the client id and
secret as HTTP Basic, form ``grant_type=client_credentials``; the answer's ``access_token`` goes
out as ``Bearer``. The token path is ``/oauth/token`` on the API host unless ``token_url`` says
otherwise [U: Clearhaus documents the grant, not the path we could confirm]."""

from __future__ import annotations

from urllib.parse import urlsplit

from engine.connector import Runtime
from engine.http import HttpClient
from engine.oauth import BearerToken
from engine.secrets import Secret


def access_token(token_url: str, client_id: str, client_secret: Secret, runtime: Runtime) -> BearerToken:
    parts = urlsplit(token_url)
    path = parts.path or "/oauth/token"

    def fetch(client: HttpClient) -> object:
        return client.post(path, content=b"grant_type=client_credentials", idempotent=True,
                           headers={"Content-Type": "application/x-www-form-urlencoded"}).json()

    return BearerToken("clearhaus", f"{parts.scheme}://{parts.netloc}", fetch, runtime, name="clearhaus-oauth",
                       basic_auth=(client_id, client_secret))
