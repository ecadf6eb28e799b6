"""No secret ever leaves iex: not in output, logs (DEBUG included), errors, plans, dead letters, the
run log or the state file.

Distinctive credentials reach iex only through ``${env:..}`` references. Then iex is used the way
people use it, failures included: ``validate``, ``plan``, ``run`` (broken orders become dead
letters, faults make retries and errors), ``dlq list/show``, a run with wrong credentials, and
``iex serve`` receiving a good, a forged and a replayed webhook. Every byte any of it printed or
logged, and every file in the instance folder (the SQLite state, its WAL and lock files) is
scanned for the secrets, also base64-encoded as in a Basic auth header, and for fragments of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from engine.torture import processes
from engine.torture.instance import SECRET_ENV, TortureInstance
from engine.torture.sandboxes import Sandboxes, SandboxOptions
from engine.torture.scenarios import _free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

OPTIONS = SandboxOptions(
    orders=40, shop_seed=5, fault_rate=0.15, fault_seed=3, slow_ms=50,
    woo_key="ck_SCANKEY_5b1e0c9a7d3f", woo_secret="cs_SCANSECRET_e83f41aa90c2",
    webhook_secret="whsec_SCANHOOK_2c7d19b4e6", economic_app_secret="SCANAPP_91ac3fe07b55",
    economic_grant="SCANGRANT_0d4e6b2f1899",
)
WRONG = {"IEX_TORTURE_ECONOMIC_GRANT": "SCANWRONGGRANT_77aa31c0", "IEX_TORTURE_WOO_SECRET": "cs_SCANWRONGSECRET_4d2e"}


def needles(secret: str) -> list[str]:
    """The secret, its URL-encoded form, and its distinctive middle (a leak of a fragment is a leak)."""
    middle = secret[3:15] if len(secret) > 15 else secret
    return [secret, quote(secret, safe=""), middle]


def forbidden() -> dict[str, str]:
    """Text that must appear nowhere -> which secret it would reveal."""
    secrets = [str(getattr(OPTIONS, option)) for option in SECRET_ENV.values()] + list(WRONG.values())
    found = {needle: secret for secret in secrets for needle in needles(secret)}
    for key, secret in ((OPTIONS.woo_key, OPTIONS.woo_secret), (OPTIONS.woo_key, WRONG["IEX_TORTURE_WOO_SECRET"])):
        basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
        found[basic] = f"Basic auth of {key}"
        found[basic[4:24]] = f"Basic auth of {key}"
    return found


def scan(name: str, data: bytes, leaks: list[str]) -> None:
    for needle, secret in forbidden().items():
        for encoded in {needle.encode("utf-8"), needle.encode("utf-16-le")}:
            if encoded in data:
                at = data.index(encoded)
                context = data[max(0, at - 60): at + len(encoded) + 20].decode("utf-8", "replace")
                leaks.append(f"{name}: {secret!r} as {needle!r} ...{context}...")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandboxes, TortureInstance]]:
    with Sandboxes(OPTIONS) as sandboxes:
        instance = TortureInstance(tmp_path_factory.mktemp("scan") / "instance", sandboxes, serve_port=_free_port())
        instance.write()
        yield sandboxes, instance


def _sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _use_everything(sandboxes: Sandboxes, instance: TortureInstance) -> list[processes.IexProcess]:
    done = [_validate(instance)]
    done.append(processes.run(instance, "plan", "--limit", "5", "-v", timeout=300))
    done.append(processes.run(instance, "run", "--once", "--no-progress", "-v", timeout=300))
    done.append(processes.run(instance, "dlq", "list", "--all", timeout=120))
    from engine.state import open_store

    store = open_store(instance.state_path)
    try:
        letters = store.dead_letters(include_retried=True)
    finally:
        store.close()
    assert letters, "the broken orders should have made dead letters"
    done.append(processes.run(instance, "dlq", "show", str(letters[0].id), timeout=120))
    # wrong credentials: the error paths, with secrets that are wrong but still secret
    wrong = TortureInstance(instance.folder, sandboxes, serve_port=instance.serve_port)
    wrong.env = lambda: {**instance.env(), **WRONG}  # type: ignore[method-assign]
    done.append(processes.run(wrong, "run", "--once", "--no-progress", "-v", timeout=300))
    done.append(processes.run(wrong, "dlq", "retry", "--all", "-v", timeout=300))
    done.append(_serve_webhooks(sandboxes, instance))
    return done


def _validate(instance: TortureInstance) -> processes.IexProcess:
    """``iex validate <instance>`` (it takes paths, not -i)."""
    import subprocess
    import sys

    logs = instance.folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / "validate.out", logs / "validate.err"
    with out.open("wb") as o, err.open("wb") as e:
        popen = subprocess.Popen([sys.executable, "-m", "engine", "validate", str(instance.path)], stdout=o, stderr=e,
                                 env=instance.env(), cwd=instance.folder)
        popen.wait(timeout=120)
    return processes.IexProcess(popen.args, popen, out, err)


def _serve_webhooks(sandboxes: Sandboxes, instance: TortureInstance) -> processes.IexProcess:
    serve = processes.start(instance, "serve", "-v")
    base = f"http://127.0.0.1:{instance.serve_port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        orders = sandboxes.request("shop", "GET", "/wp-json/wc/v3/orders", per_page=2)
        body = json.dumps(orders[0], default=str).encode()
        url = f"{base}/webhooks/webshop/shop"
        good = {"X-WC-Webhook-Signature": _sign(body, OPTIONS.webhook_secret), "X-WC-Webhook-Topic": "order.updated"}
        forged = {"X-WC-Webhook-Signature": _sign(body, "attacker-guess"), "X-WC-Webhook-Topic": "order.updated"}
        answers = [httpx.post(url, content=body, headers=h, timeout=10).status_code for h in (good, good, forged)]
        answers.append(httpx.post(url, content=b"webhook_id=12", timeout=10).status_code)
        assert answers == [200, 200, 401, 200], answers
        time.sleep(2)   # let the receiver run the webhook flow
    finally:
        serve.popen.terminate()
        serve.wait(timeout=60)
    return serve


def _debug_run(instance: TortureInstance, monkeypatch: pytest.MonkeyPatch) -> str:
    """A full run in this process with every logger (iex, httpx, httpcore, uvicorn) at DEBUG."""
    from engine.instance import load_instance
    from engine.runner import Runner
    from engine.state import open_store

    for name, value in instance.env().items():
        if name.startswith("IEX_TORTURE_"):
            monkeypatch.setenv(name, value)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    iex_logger = logging.getLogger("iex")
    old_iex = (iex_logger.level, iex_logger.propagate)
    iex_logger.setLevel(logging.DEBUG)
    iex_logger.propagate = True
    try:
        loaded = load_instance(instance.path)
        store = open_store(instance.folder / "debug-state.sqlite")
        try:
            summary = Runner(loaded, store, progress=False).run()
            Runner(loaded, store, progress=False).run(dry_run=True, limit=5)
            buffer.write(json.dumps(summary.to_dict(), default=str))
        finally:
            store.close()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        iex_logger.setLevel(old_iex[0])
        iex_logger.propagate = old_iex[1]
    return buffer.getvalue()


def test_no_secret_in_any_output_log_or_state_file(world, monkeypatch: pytest.MonkeyPatch) -> None:
    sandboxes, instance = world
    done = _use_everything(sandboxes, instance)
    debug_log = _debug_run(instance, monkeypatch)
    assert "DEBUG" in debug_log and "GET" in debug_log      # the DEBUG log really was captured

    leaks: list[str] = []
    for process in done:
        scan(process.stdout.name, process.stdout.read_bytes(), leaks)
        scan(process.stderr.name, process.stderr.read_bytes(), leaks)
        assert "Traceback" not in process.output(), process.output()[-3000:]
    scan("in-process DEBUG log", debug_log.encode("utf-8"), leaks)
    files = [p for p in instance.folder.rglob("*") if p.is_file()]   # iex.yaml holds references only
    assert any(p.name == "state.sqlite" for p in files) and any(p.name.endswith("-wal") for p in files)
    for path in files:
        scan(str(path.relative_to(instance.folder)), path.read_bytes(), leaks)
    for database in ("state.sqlite", "debug-state.sqlite"):
        scan(f"{database} (every table)", _dump(instance.folder / database).encode("utf-8"), leaks)
    assert not leaks, "\n".join(leaks[:20])

    # the scan looked at real content: runs, dead letters and their messages are in the state
    dump = _dump(instance.folder / "state.sqlite")
    assert "dead_letters" in dump and "webshop" in dump


def _dump(path: Path) -> str:
    """Every row of every table, as text (read-only, while no iex process runs)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def test_the_scanner_finds_a_planted_secret(world) -> None:
    _, instance = world
    leaks: list[str] = []
    scan("planted", f"header Authorization: Basic {base64.b64encode(f'{OPTIONS.woo_key}:{OPTIONS.woo_secret}'.encode()).decode()}"
         .encode(), leaks)
    scan("planted", f"token={OPTIONS.economic_grant[:14]}".encode(), leaks)
    assert len(leaks) >= 2
