"""End to end: the woocommerce-economic recipe against both sandboxes over real HTTP.

Fixtures:

* ``economic``: the e-conomic sandbox (one server per session, reset to the seeded agreement for
  every test) with a ``Probe`` that reads it as a person would in e-conomic's UI.
* ``shop_factory(**options)``: a WooCommerce sandbox shop (``generate``, ``seed``, ``webhook``...);
  the returned ``Shop`` creates orders, changes statuses and refunds through ``/_sandbox/``.
* ``integration_factory(shop, settings, stripe_url=None)``: an instance file for the recipe pointing
  at the shop and the agreement (and a Stripe account, for ``iex paymatch``; credentials as
  ``${env:..}`` references), with ``run()`` and the state store.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.economic.testing import SANDBOX_APP_SECRET, SANDBOX_GRANT, Probe
from connectors.stripe.sandbox import DEFAULT_SECRET_KEY as STRIPE_KEY
from engine.sandbox import FaultInjector, SandboxServer, build, serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "woocommerce-economic.yaml"
WOO_KEY, WOO_SECRET, WEBHOOK_SECRET = "ck_e2e_key", "cs_e2e_secret", "e2e-webhook-secret"
ENV = {
    "IEX_E2E_WOO_KEY": WOO_KEY, "IEX_E2E_WOO_SECRET": WOO_SECRET, "IEX_E2E_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "IEX_E2E_ECONOMIC_APP_SECRET": SANDBOX_APP_SECRET, "IEX_E2E_ECONOMIC_GRANT": SANDBOX_GRANT,
    "IEX_E2E_STRIPE_KEY": STRIPE_KEY,
}
START_DATE = "2025-03-01"


@pytest.fixture(scope="session", autouse=True)
def _e2e_environment() -> Iterator[None]:
    old = {name: os.environ.get(name) for name in ENV}
    os.environ.update(ENV)
    yield
    for name, value in old.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# ---------------------------------------------------------------- e-conomic


@dataclass
class Economic:
    url: str
    injector: FaultInjector
    server: SandboxServer
    probe: Probe

    def booked(self) -> list[dict[str, Any]]:
        """Every booked invoice and credit note, with lines (GET per document, as the UI shows it)."""
        listed = self.probe.collection("/invoices/booked")
        return [self.probe.get(f"/invoices/booked/{doc['bookedInvoiceNumber']}") for doc in listed]

    def drafts(self) -> list[dict[str, Any]]:
        listed = self.probe.collection("/invoices/drafts")
        return [self.probe.get(f"/invoices/drafts/{doc['draftInvoiceNumber']}") for doc in listed]

    def by_reference(self, documents: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for doc in documents:
            found.setdefault((doc.get("references") or {}).get("other") or "", []).append(doc)
        return found

    def documents(self, flow: str, key: Any, step: str, *, booked: bool = True) -> list[dict[str, Any]]:
        """The booked documents (or drafts) whose references.other is the recipe's key for
        ``flow``/``key``/``step`` (integration "webshop"), fetched whole."""
        path = "/invoices/booked" if booked else "/invoices/drafts"
        number = "bookedInvoiceNumber" if booked else "draftInvoiceNumber"
        listed = self.probe.collection(path, filter=f"references.other$eq:webshop/{flow}/{key}/{step}")
        return [self.probe.get(f"{path}/{doc[number]}") for doc in listed]

    def invoice(self, order: dict[str, Any]) -> dict[str, Any]:
        """The one booked invoice of a WooCommerce order (fails if there is not exactly one)."""
        found = self.documents("orders", order["id"], "invoice")
        assert len(found) == 1, f"order {order['id']}: {len(found)} booked invoices"
        return found[0]

    def credit_note(self, refund: dict[str, Any]) -> dict[str, Any]:
        found = self.documents("refunds", f"refund-{refund['id']}", "credit_note")
        assert len(found) == 1, f"refund {refund['id']}: {len(found)} booked credit notes"
        return found[0]

    def customer(self, number: Any) -> dict[str, Any]:
        return self.probe.get(f"/customers/{number}")

    def customers(self) -> list[dict[str, Any]]:
        return self.probe.collection("/customers")

    def products(self) -> dict[str, dict[str, Any]]:
        return {p["productNumber"]: p for p in self.probe.collection("/products")}


def start_economic() -> Economic:
    injector = build("economic", {})
    server = serve_in_thread(injector)
    url = server.url.rstrip("/")
    return Economic(url, injector, server, Probe(url))


def stop_economic(economic: Economic) -> None:
    economic.probe.close()
    economic.server.stop()


@pytest.fixture(scope="session")
def _economic_session() -> Iterator[Economic]:
    economic = start_economic()
    yield economic
    stop_economic(economic)


@pytest.fixture
def economic(_economic_session: Economic) -> Economic:
    _economic_session.probe.faults()
    _economic_session.injector.reset()
    return _economic_session


# ---------------------------------------------------------------- the shop


@dataclass
class Shop:
    url: str
    server: SandboxServer
    app: Any
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=10, auth=(WOO_KEY, WOO_SECRET))

    @property
    def store(self) -> Any:
        """The shop's in-memory data (for assertions)."""
        return self.app.state.shop.store

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        assert response.status_code < 300, response.text
        return json.loads(response.text, parse_float=Decimal)

    def create_order(self, **order: Any) -> dict[str, Any]:
        """An order as checkout makes it (``POST /_sandbox/orders``); see the sandbox's admin docs."""
        order.setdefault("status", "processing")
        order.setdefault("date_created_gmt", "2025-03-10T10:00:00")
        return self._admin("POST", "/_sandbox/orders", order)

    def set_status(self, order_id: int, status: str, *, at: str | None = None) -> dict[str, Any]:
        """An admin's status change; ``at`` (GMT) sets the modification time (WooCommerce keeps
        seconds, so two changes within one second would share it)."""
        body = {"status": status, **({"date_modified_gmt": at} if at else {})}
        return self._admin("POST", f"/_sandbox/orders/{order_id}/status", body)

    def update_order(self, order_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        return self._admin("PUT", f"/wp-json/wc/v3/orders/{order_id}", changes)

    def refund(self, order_id: int, **refund: Any) -> dict[str, Any]:
        return self._admin("POST", f"/wp-json/wc/v3/orders/{order_id}/refunds", refund)

    def orders(self) -> list[dict[str, Any]]:
        return [json.loads(json.dumps(o, default=str), parse_float=Decimal) for o in self.store.orders.values()]

    def refunds(self) -> list[dict[str, Any]]:
        return [{**r, "order_id": oid} for oid, items in self.store.refunds.items() for r in items]

    def deliveries(self) -> Any:
        return self._admin("GET", "/_sandbox/deliveries?wait=true")

    def close(self) -> None:
        self.http.close()
        self.server.stop()


def start_shop(**options: Any) -> Shop:
    """A shop built like ``iex sandbox woocommerce`` (``seed`` makes both the generated orders and
    any fault injection repeatable)."""
    injector = build("woocommerce", {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET,
                                     "secret": WEBHOOK_SECRET, **options})
    server = serve_in_thread(injector)
    return Shop(server.url.rstrip("/"), server, injector.app)


@pytest.fixture
def shop_factory() -> Iterator[Callable[..., Shop]]:
    started: list[Shop] = []

    def start(**options: Any) -> Shop:
        shop = start_shop(**options)
        started.append(shop)
        return shop

    yield start
    for shop in started:
        shop.close()


# ---------------------------------------------------------------- the integration


def _yaml(value: Any) -> str:
    """JSON (a subset of YAML) with Decimals written as numbers, never through float."""
    text = json.dumps(value, ensure_ascii=False, default=lambda d: f"@@{d}@@" if isinstance(d, Decimal) else str(d))
    return re.sub(r'"@@(-?[0-9.]+)@@"', r"\1", text)


@dataclass
class Integration:
    folder: Path
    shop: Shop
    economic: Economic
    settings: dict[str, Any]
    name: str = "webshop"
    validate: bool = False
    stripe_url: str | None = None       # the optional stripe connection (for iex paymatch --payout)
    _store: Any = None
    _instance: Any = None

    @property
    def instance_file(self) -> Path:
        return self.folder / "iex.yaml"

    def write(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        settings = {"start_date": START_DATE, **self.settings}
        self.instance_file.write_text(
            "iex: 1\n"
            "state: {path: state.sqlite}\n"
            "integrations:\n"
            f"  {self.name}:\n"
            f"    recipe: {RECIPE}\n"
            f"    settings: {_yaml(settings)}\n"
            "    connections:\n"
            f"      shop: {{url: \"{self.shop.url}\", consumer_key: \"${{env:IEX_E2E_WOO_KEY}}\", "
            "consumer_secret: \"${env:IEX_E2E_WOO_SECRET}\", webhook_secret: \"${env:IEX_E2E_WEBHOOK_SECRET}\"}\n"
            f"      economic: {{base_url: \"{self.economic.url}\", app_secret_token: \"${{env:IEX_E2E_ECONOMIC_APP_SECRET}}\", "
            "agreement_grant_token: \"${env:IEX_E2E_ECONOMIC_GRANT}\", "
            "rate_limit: {requests_per_second: 1000, burst: 1000}, max_concurrency: 8}\n"
            + (f"      stripe: {{base_url: \"{self.stripe_url}\", secret_key: \"${{env:IEX_E2E_STRIPE_KEY}}\"}}\n"
               if self.stripe_url else ""),
            encoding="utf-8",
        )
        return self.instance_file

    @property
    def instance(self) -> Any:
        """The loaded instance. ``validate=True`` integrations go through ``load_instance`` (the
        full check of instance, recipe and mappings: seconds of YAML); the others reuse the
        session's loaded recipe with the same settings check and secret resolution."""
        if self._instance is None:
            self.write()
            if self.validate:
                from engine.instance import load_instance

                self._instance = load_instance(self.instance_file)
            else:
                self._instance = _quick_instance(self)
        return self._instance

    @property
    def store(self) -> Any:
        if self._store is None:
            from engine.state import open_store

            self._store = open_store(self.instance.state_path)
        return self._store

    def run(self, **options: Any) -> Any:
        """One run of every flow (``Runner.run`` options: flows, poll, backfill...)."""
        from engine.runner import Runner

        return Runner(self.instance, self.store, progress=False).run(**options)

    def ledger(self, flow: str, step: str) -> dict[str, Any]:
        """record key -> ledger entry of one step."""
        return {e.record_key: e for e in self.store.ledger_entries(self.name, flow, step=step)}

    def dead_letters(self) -> list[Any]:
        return list(self.store.dead_letters())

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


_RECIPE: list[Any] = []


def _quick_instance(integration: Integration) -> Any:
    from engine.instance import Instance, ResolvedConnection
    from engine.instance import Integration as Loaded
    from engine.recipe import apply_settings, load_recipe
    from engine.secrets import resolve

    if not _RECIPE:
        _RECIPE.append(load_recipe(RECIPE))
    recipe = _RECIPE[0]
    settings = apply_settings(recipe, {"start_date": START_DATE, **integration.settings})
    shop = {"url": integration.shop.url, "consumer_key": resolve("${env:IEX_E2E_WOO_KEY}"),
            "consumer_secret": resolve("${env:IEX_E2E_WOO_SECRET}"),
            "webhook_secret": resolve("${env:IEX_E2E_WEBHOOK_SECRET}")}
    economic = {"base_url": integration.economic.url, "app_secret_token": resolve("${env:IEX_E2E_ECONOMIC_APP_SECRET}"),
                "agreement_grant_token": resolve("${env:IEX_E2E_ECONOMIC_GRANT}"),
                "rate_limit": {"requests_per_second": 1000, "burst": 1000}, "max_concurrency": 8}
    connections = {"shop": ResolvedConnection("shop", "woocommerce", shop),
                   "economic": ResolvedConnection("economic", "economic", economic)}
    loaded = Loaded(integration.name, recipe, settings, connections, True)
    return Instance(integration.instance_file, integration.folder / "state.sqlite", {integration.name: loaded},
                    "127.0.0.1", 8088)


@pytest.fixture
def integration_factory(tmp_path: Path, economic: Economic) -> Iterator[Callable[..., Integration]]:
    made: list[Integration] = []

    def make(shop: Shop, settings: dict[str, Any] | None = None, *, folder: str = "instance",
             stripe_url: str | None = None) -> Integration:
        integration = Integration(tmp_path / folder, shop, economic, dict(settings or {}), stripe_url=stripe_url)
        made.append(integration)
        return integration

    yield make
    for integration in made:
        integration.close()


def money(value: Any) -> Decimal:
    return Decimal(str(value))


# ---------------------------------------------------------------- the generated shop, run twice


@dataclass
class Generated:
    """200 generated orders (seed 7) through the recipe with default settings, then again."""

    shop: Shop
    economic: Economic
    integration: Integration
    first: Any
    second: Any
    calls_second: dict[str, int]

    _booked: dict[str, list[dict[str, Any]]] | None = None

    def booked(self) -> dict[str, list[dict[str, Any]]]:
        """Booked invoices and credit notes by references.other (read once, after both runs)."""
        if self._booked is None:
            self._booked = self.economic.by_reference(self.economic.booked())
        return self._booked

    def broken(self) -> dict[str, str]:
        """order id -> the generator's ``_sandbox_note`` of its deliberately broken orders."""
        return {str(o["id"]): m["value"] for o in self.shop.orders() for m in o["meta_data"]
                if m["key"] == "_sandbox_note"}


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    economic, shop = start_economic(), start_shop(generate=200, seed=7)
    integration = Integration(tmp_path_factory.mktemp("generated"), shop, economic, dict(GENERATED_SETTINGS),
                              validate=True)
    try:
        first = integration.run()
        before = economic.probe.calls()
        second = integration.run()
        after = economic.probe.calls()
        calls = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
        yield Generated(shop, economic, integration, first, second, calls)
    finally:
        integration.close()
        shop.close()
        stop_economic(economic)


GENERATED_SETTINGS: dict[str, Any] = {}
