"""Both sandboxes in a process of their own, so killing the engine never kills them.

``Sandboxes(options)`` starts ``python -m engine.torture.sandboxes`` with the options as JSON,
reads the two base URLs it prints, and offers the admin calls a torture run needs (faults, call
counts, the shop's scripted history). The child serves the e-conomic agreement and the
WooCommerce shop from threads and exits when its stdin closes (the parent died or finished).

Fault injection wraps both apps here rather than through ``engine.sandbox.build``, so the fault
seed and the shop generator's seed stay apart.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

JSON = dict[str, Any]

FAULT_KINDS = ("429", "500", "503", "drop", "drop_after", "slow")


@dataclass
class SandboxOptions:
    """What the two sandboxes hold and how they misbehave."""

    orders: int = 200
    shop_seed: int = 7
    fault_rate: float = 0.0
    fault_seed: int = 1
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    retry_after: int = 1
    slow_ms: int = 300
    woo_key: str = "ck_torture_key"
    woo_secret: str = "cs_torture_secret"
    webhook_secret: str = "torture-webhook-secret"
    economic_app_secret: str = "torture-app-secret"
    economic_grant: str = "torture-grant"
    latency_ms: int = 0

    def faults(self, seed_offset: int = 0) -> JSON:
        """The fault options as ``engine.sandbox.fault_config`` (and ``PUT /_sandbox/faults``) take them."""
        return {"fault_rate": self.fault_rate, "fault_kinds": ",".join(self.fault_kinds),
                "seed": self.fault_seed + seed_offset, "retry_after": self.retry_after, "slow_ms": self.slow_ms,
                "latency_ms": self.latency_ms}


@dataclass
class Sandboxes:
    """The child process and HTTP clients for both sandboxes' admin routes."""

    options: SandboxOptions
    log: Path | None = None        # where the sandbox process's stderr goes (default: inherited)
    economic_url: str = ""
    shop_url: str = ""
    _process: subprocess.Popen[str] | None = field(default=None, repr=False)
    _http: httpx.Client | None = field(default=None, repr=False)

    def __enter__(self) -> Sandboxes:
        stderr = None
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            stderr = self.log.open("ab")
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "engine.torture.sandboxes", json.dumps(asdict(self.options))],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
            )
        finally:
            if stderr is not None:
                stderr.close()
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox process did not start (see its stderr above)")
        urls = json.loads(line)
        self.economic_url, self.shop_url = urls["economic"], urls["shop"]
        self._http = httpx.Client(timeout=30)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    # -- admin ------------------------------------------------------------------------------
    def _url(self, which: str, path: str) -> str:
        return (self.economic_url if which == "economic" else self.shop_url) + path

    def request(self, which: str, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """An admin or API call that must succeed (faults never apply to ``/_sandbox/``)."""
        from engine.http import dumps   # exact Decimals, as the engine sends them

        assert self._http is not None
        headers = self.economic_headers() if which == "economic" else {}
        auth = (self.options.woo_key, self.options.woo_secret) if which == "shop" else None
        content = None
        if body is not None:
            content = dumps(body).encode("utf-8")
            headers = {**headers, "Content-Type": "application/json"}
        response = self._http.request(method, self._url(which, path), content=content, params=params or None,
                                      headers=headers, auth=auth)
        if response.status_code >= 300:
            raise RuntimeError(f"{which} {method} {path}: HTTP {response.status_code} {response.text[:300]}")
        return json.loads(response.text, parse_float=Decimal) if response.text else None

    def economic_headers(self) -> dict[str, str]:
        return {"X-AppSecretToken": self.options.economic_app_secret,
                "X-AgreementGrantToken": self.options.economic_grant}

    def set_faults(self, which: str, **config: Any) -> None:
        """Replace one sandbox's fault config; no arguments switch its faults off."""
        self.request(which, "PUT", "/_sandbox/faults", config)

    def calls(self, which: str) -> JSON:
        """``{"calls": {...}, "total": n, "faults": {kind: n}, "faults_total": n}``."""
        return self.request(which, "GET", "/_sandbox/calls")


# -- the child process ----------------------------------------------------------------------------

def _serve(options: SandboxOptions) -> None:
    from engine.sandbox import factory, fault_config, serve_in_thread, with_faults

    economic_app = factory("economic")({"app_secret_token": options.economic_app_secret,
                                        "agreement_grant_token": options.economic_grant})
    economic = with_faults(economic_app, fault_config(options.faults()),
                           reset=getattr(economic_app.state, "reset", None))
    shop_app = factory("woocommerce")({
        "generate": options.orders, "seed": options.shop_seed, "consumer_key": options.woo_key,
        "consumer_secret": options.woo_secret, "secret": options.webhook_secret,
    })
    shop = with_faults(shop_app, fault_config(options.faults(seed_offset=1000)), reset=shop_app.state.reset)
    servers = [serve_in_thread(economic), serve_in_thread(shop)]
    print(json.dumps({"economic": servers[0].url.rstrip("/"), "shop": servers[1].url.rstrip("/")}), flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin or dies
    finally:
        for server in servers:
            server.stop()


def main(argv: list[str]) -> int:
    raw = json.loads(argv[0]) if argv else {}
    raw["fault_kinds"] = tuple(raw.get("fault_kinds", FAULT_KINDS))
    _serve(SandboxOptions(**raw))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
