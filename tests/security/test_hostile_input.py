"""Hostile input: settings files that try to run code, URLs that would send credentials in clear
text or to another host, a state file others could read, and forged, replayed or stale webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from engine import yamlpos
from engine.cli import cli
from engine.errors import ConfigError, IexError, IexSystemError
from engine.http import HttpClient
from engine.mapping import MappingError, load_mapping
from engine.recipe import load_recipe
from engine.state import open_store

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/object:subprocess.Popen {{args: ['touch', '{marker}']}}",
    "!!python/tuple [1, 2]",
]


# -- YAML is loaded safely ------------------------------------------------------------------------

@pytest.mark.parametrize("payload", PAYLOADS)
def test_python_tags_are_refused_and_never_run(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "pwned"
    text = f"iex: 1\nname: {payload.format(marker=marker)}\n"
    with pytest.raises(yamlpos.YamlError) as info:
        yamlpos.load(text, name="evil.yaml")
    assert info.value.location is not None and info.value.location.line == 2
    assert "tag" in str(info.value).lower()
    assert not marker.exists()


@pytest.mark.parametrize("payload", PAYLOADS[:3])
def test_every_loader_refuses_python_tags(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "pwned"
    evil = f"{payload.format(marker=marker)}"
    (tmp_path / "m.yaml").write_text(f"iex: 1\nfields:\n  x: {evil}\n", encoding="utf-8")
    (tmp_path / "r.yaml").write_text(f"iex: 1\nname: {evil}\nversion: '1'\nflows: {{}}\n", encoding="utf-8")
    (tmp_path / "iex.yaml").write_text(f"iex: 1\nintegrations:\n  a:\n    recipe: {evil}\n", encoding="utf-8")
    with pytest.raises(MappingError):
        load_mapping(tmp_path / "m.yaml")
    with pytest.raises(IexError):
        load_recipe(tmp_path / "r.yaml")
    from engine.instance import load_instance

    with pytest.raises(ConfigError):
        load_instance(tmp_path / "iex.yaml")
    result = CliRunner().invoke(cli, ["run", "--once", "-i", str(tmp_path / "iex.yaml")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not marker.exists()


def test_yaml_aliases_cannot_explode(tmp_path: Path) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        prev, name = chr(96 + i), chr(97 + i)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(yamlpos.YamlError, match="aliases expand"):
        yamlpos.load("\n".join(levels) + "\n", name="laughs.yaml")


# -- remote URLs must be HTTPS (loopback excepted) ----------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://shop.example", "http://127.0.0.1.evil.example", "http://localhost.evil.example",
    "http://10.0.0.1", "http://192.168.1.10:8080", "http://[::ffff:8.8.8.8]", "ftp://shop.example",
    "file:///etc/passwd", "shop.example", "//shop.example", "https://", "gopher://127.0.0.1",
])
def test_plain_http_to_a_remote_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        HttpClient(url)
    assert "https" in info.value.message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "http://127.9.9.9",
                                 "https://shop.example", "HTTPS://Shop.Example/wp-json"])
def test_https_and_loopback_are_allowed(url: str) -> None:
    HttpClient(url).close()


@pytest.mark.parametrize("target", [
    "https://evil.example/steal", "http://evil.example/steal", "https://shop.example.evil.example/x",
    "https://shop.example:444/x", "http://shop.example/x",
])
def test_a_full_url_to_another_host_never_gets_the_credentials(target: str) -> None:
    client = HttpClient("https://shop.example", basic_auth=("ck_key", "cs_secret"))
    try:
        with pytest.raises((IexSystemError, ConfigError)):
            client.get(target)
    finally:
        client.close()


def test_redirects_are_not_followed_to_another_host() -> None:
    from engine.sandbox import serve_in_thread
    from starlette.applications import Starlette
    from starlette.responses import RedirectResponse
    from starlette.routing import Route

    seen: list[str] = []

    async def redirect(request):  # noqa: ANN001, ANN202 - a tiny ASGI route
        seen.append(request.headers.get("authorization", ""))
        return RedirectResponse("https://evil.example/collect", status_code=302)

    with serve_in_thread(Starlette(routes=[Route("/x", redirect)])) as server:
        client = HttpClient(server.url, basic_auth=("ck_key", "cs_secret"), max_retries=0)
        try:
            with pytest.raises(IexError):
                client.get("/x")
        finally:
            client.close()
    assert len(seen) == 1  # asked once, never followed


def test_iex_validate_reports_a_plain_http_remote_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("K", "S", "A", "G"):
        monkeypatch.setenv(f"IEX_HOSTILE_{name}", f"value-{name}")
    instance = tmp_path / "iex.yaml"
    instance.write_text(
        "iex: 1\nintegrations:\n  webshop:\n"
        f"    recipe: {ROOT / 'recipes' / 'woocommerce-economic.yaml'}\n"
        "    settings: {start_date: '2025-03-01'}\n    connections:\n"
        "      shop: {url: 'http://shop.example', consumer_key: '${env:IEX_HOSTILE_K}', "
        "consumer_secret: '${env:IEX_HOSTILE_S}'}\n"
        "      economic: {app_secret_token: '${env:IEX_HOSTILE_A}', agreement_grant_token: '${env:IEX_HOSTILE_G}'}\n",
        encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(instance)])
    assert result.exit_code == 1
    assert any(line.startswith(f"{instance.resolve()}:7:") and "https" in line for line in result.stdout.splitlines())


# -- the state file is the owner's alone ------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_state_file_and_its_companions_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0)   # the most permissive umask a careless service could have
    try:
        store = open_store(tmp_path / "new" / "state.sqlite")
        with store.lock("test"):
            store.run_started("r1", "2025-01-01T00:00:00")
        store.close()
    finally:
        os.umask(old)
    folder = tmp_path / "new"
    assert _mode(folder) & 0o077 == 0, oct(_mode(folder))
    for path in folder.iterdir():
        assert _mode(path) == 0o600, f"{path.name} is {oct(_mode(path))}"
    assert {p.name for p in folder.iterdir()} >= {"state.sqlite", "state.sqlite.lock"}


def test_an_existing_readable_state_file_is_closed_to_others(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    open_store(path).close()
    os.chmod(path, 0o644)
    open_store(path).close()
    assert _mode(path) == 0o600


# -- webhooks: constant-time signatures, forged, replayed and stale deliveries -----------------------

SECRET = "hostile-webhook-secret"


def _sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _order(order_id: int, modified: str, total: str = "100.00") -> bytes:
    return json.dumps({"id": order_id, "status": "processing", "date_modified_gmt": modified,
                       "total": total}).encode()


def _headers(body: bytes, topic: str = "order.updated", signature: str | None = None) -> dict[str, str]:
    return {"X-WC-Webhook-Signature": signature if signature is not None else _sign(body),
            "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Delivery-ID": "1"}


@pytest.fixture
def receiver():
    from connectors.woocommerce.webhook import WebhookReceiver
    from engine.secrets import Secret

    return WebhookReceiver(Secret(SECRET, "${env:WEBHOOK_SECRET}"))


def test_signatures_are_compared_in_constant_time(receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    import connectors.woocommerce.webhook as woo_webhook

    compared: list[tuple] = []
    real = hmac.compare_digest

    def spy(a, b):  # noqa: ANN001, ANN202
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(woo_webhook.hmac, "compare_digest", spy)
    body = _order(1, "2025-03-10T10:00:00")
    assert receiver.handle(_headers(body), body).status == 200
    assert receiver.handle(_headers(body, signature=_sign(body, "wrong")), body).status == 401
    assert len(compared) == 2


@pytest.mark.parametrize("case", ["no signature", "wrong secret", "body changed", "signature of another body",
                                  "empty signature", "truncated signature"])
def test_forged_deliveries_are_refused_before_the_body_is_read(receiver, case: str) -> None:
    body = _order(7, "2025-03-10T10:00:00")
    signature = {
        "no signature": None, "wrong secret": _sign(body, "guess"), "body changed": _sign(body),
        "signature of another body": _sign(b"{}"), "empty signature": "", "truncated signature": _sign(body)[:10],
    }[case]
    sent = body.replace(b"100.00", b"1.00") if case == "body changed" else body
    headers = _headers(sent)
    if signature is None:
        del headers["X-WC-Webhook-Signature"]
    else:
        headers["X-WC-Webhook-Signature"] = signature
    result = receiver.handle(headers, sent)
    assert result.status == 401 and result.records == []
    # not-JSON with a bad signature is still 401: the signature is checked before parsing
    assert receiver.handle({**headers}, b"not json at all").status == 401


def test_a_replayed_delivery_gives_no_second_record(receiver) -> None:
    body = _order(8, "2025-03-10T10:00:00")
    assert len(receiver.handle(_headers(body), body).records) == 1
    again = receiver.handle(_headers(body), body)
    assert again.status == 200 and again.records == []


def test_a_stale_delivery_after_a_newer_one_is_ignored(receiver) -> None:
    newer, older = _order(9, "2025-03-10T12:00:00", "120.00"), _order(9, "2025-03-10T10:00:00", "100.00")
    assert len(receiver.handle(_headers(newer), newer).records) == 1
    stale = receiver.handle(_headers(older), older)
    assert stale.status == 200 and stale.records == []


def test_through_the_receiver_app_replays_queue_one_inbox_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.instance import load_instance
    from engine.sandbox import serve_in_thread
    from engine.webhooks import create_app

    for name, value in {"K": "ck_x", "S": "cs_x", "W": SECRET, "A": "app", "G": "grant"}.items():
        monkeypatch.setenv(f"IEX_HOSTILE_{name}", value)
    instance_file = tmp_path / "iex.yaml"
    instance_file.write_text(
        "iex: 1\nstate: {path: state.sqlite}\nintegrations:\n  hostile:\n"
        f"    recipe: {ROOT / 'recipes' / 'woocommerce-economic.yaml'}\n"
        "    settings: {start_date: '2025-03-01'}\n    connections:\n"
        "      shop: {url: 'http://127.0.0.1:9', consumer_key: '${env:IEX_HOSTILE_K}', "
        "consumer_secret: '${env:IEX_HOSTILE_S}', webhook_secret: '${env:IEX_HOSTILE_W}'}\n"
        "      economic: {base_url: 'http://127.0.0.1:9', app_secret_token: '${env:IEX_HOSTILE_A}', "
        "agreement_grant_token: '${env:IEX_HOSTILE_G}'}\n", encoding="utf-8")
    instance = load_instance(instance_file)
    store = open_store(instance.state_path)
    notified: list[tuple[str, str]] = []
    try:
        with serve_in_thread(create_app(instance, store, notify=lambda i, f: notified.append((i, f)))) as server:
            url = server.url + "/webhooks/hostile/shop"
            newer, older = _order(41, "2025-03-10T12:00:00", "120.00"), _order(41, "2025-03-10T10:00:00")
            answers = [httpx.post(url, content=body, headers=_headers(body)).status_code
                       for body in (newer, newer, older)]
            forged = httpx.post(url, content=newer, headers=_headers(newer, signature=_sign(newer, "x")))
        assert answers == [200, 200, 200] and forged.status_code == 401
        pending = store.inbox_pending("hostile", "orders")
        assert [item.record["total"] for item in pending] == ["120.00"]
        assert notified == [("hostile", "orders")]
    finally:
        store.close()
