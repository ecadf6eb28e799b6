"""The run's customer index against the sandbox, with the recipe's own customer inputs for the
generated orders: one listing instead of a lookup per buyer, no duplicates (between runs, in
parallel, after a lost answer), and a PUT exactly when a kept-current field really changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.errors import DataError, TransientError

from connectors.economic import customer_index
from connectors.economic.connector import EconomicConnector
from connectors.economic.testing import Probe, context, sandbox_connector

ROOT = Path(__file__).resolve().parents[3]
SEEDED = 3   # customers of the sandbox agreement


@pytest.fixture(scope="module")
def inputs() -> list[dict[str, Any]]:
    """find_or_create_customer's input for each of 200 generated orders, as the recipe maps it."""
    from connectors.woocommerce.sandbox.generator import generate
    from connectors.woocommerce.sandbox.jsonio import dumps
    from connectors.woocommerce.sandbox.store import Store
    from engine.mapping import load_mapping
    from engine.recipe import apply_settings, load_recipe

    settings = apply_settings(load_recipe(ROOT / "recipes" / "woocommerce-economic.yaml"), {"start_date": "2025-03-01"})
    mapping = load_mapping(ROOT / "mappings" / "woocommerce" / "customer.yaml")
    store = Store()
    generate(store, 200, 7)
    found = []
    for order in store.orders.values():
        record = json.loads(dumps(order), parse_float=Decimal)
        try:
            data = mapping.evaluate({"record": record, "settings": settings, "key": "k", "steps": {}})
        except DataError:
            continue                  # the generator's broken orders never reach e-conomic
        if "match" in data:
            found.append(data)
    return found


def identity(data: dict[str, Any]) -> tuple[str, str]:
    return data["match"]["field"], str(data["match"]["value"]).lower()


def send_all(eco: EconomicConnector, inputs: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Each input as one order's customer step; None where e-conomic refused the order's data."""
    results: list[dict[str, Any] | None] = []
    for i, data in enumerate(inputs):
        try:
            results.append(eco.find_or_create_customer(data, context(f"o{i}")))
        except DataError:
            results.append(None)
    return results


def spending(probe: Probe) -> Callable[[], dict[str, int]]:
    """Calls the sandbox received from now on (read when called)."""
    before = probe.calls()

    def spent() -> dict[str, int]:
        after = probe.calls()
        return {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}

    return spent


def new_buyer(email: str) -> dict[str, Any]:
    return {"match": {"field": "email", "value": email}, "update_fields": ["address"], "customer": {
        "name": email.split("@")[0], "email": email, "address": "Vestergade 1", "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 4}, "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1}}}


def assert_one_customer_per_buyer(inputs: list[dict[str, Any]], results: list[dict[str, Any] | None],
                                  probe: Probe) -> None:
    numbers: dict[tuple[str, str], set[int]] = {}
    for data, result in zip(inputs, results):
        if result is not None:
            numbers.setdefault(identity(data), set()).add(result["customerNumber"])
    assert all(len(found) == 1 for found in numbers.values()), "a buyer got two customers"
    created = sum(bool(r and r["created"]) for r in results)
    assert len(probe.collection("/customers")) == SEEDED + created


def test_a_bulk_run_lists_the_customers_once_instead_of_a_lookup_per_buyer(eco: EconomicConnector, probe: Probe,
                                                                           inputs: list[dict[str, Any]]) -> None:
    spent = spending(probe)
    results = send_all(eco, inputs)
    calls = spent()
    created = sum(bool(r and r["created"]) for r in results)
    assert created > 50                               # the generated mix has many new buyers
    assert calls["POST /customers"] == created
    assert calls["GET /customers"] == 2               # one filtered lookup, then the one-page listing
    assert "GET /customers/{id}" not in calls
    assert_one_customer_per_buyer(inputs, results, probe)


def test_the_index_matches_case_insensitively_as_the_filter_does(eco: EconomicConnector, probe: Probe) -> None:
    eco.find_or_create_customer(new_buyer("first@example.dk"), context("o1"))
    eco.find_or_create_customer(new_buyer("second@example.dk"), context("o2"))    # the listing is read here
    spent = spending(probe)
    found = eco.find_or_create_customer(
        {"match": {"field": "email", "value": "BOGHOLDERI@TojCo.dk"}, "customer": {}}, context("o3"))
    assert found["customerNumber"] == 1 and not found["created"]
    assert spent() == {}


def test_a_run_that_meets_one_buyer_never_lists(eco: EconomicConnector, probe: Probe) -> None:
    spent = spending(probe)
    eco.find_or_create_customer(new_buyer("only@example.dk"), context("o1"))
    eco.find_or_create_customer(new_buyer("only@example.dk"), context("o2"))
    assert {k: n for k, n in spent().items() if "customers" in k} == {"GET /customers": 1, "POST /customers": 1}


def test_the_listing_waits_until_lookups_have_cost_as_much_and_follows_every_page(
        eco: EconomicConnector, probe: Probe, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(customer_index, "MAX_PAGE_SIZE", 2)   # the seeded 3 customers fill 2 pages
    spent = spending(probe)
    buyers = [new_buyer(f"buyer{i}@example.dk") for i in range(6)]
    results = send_all(eco, buyers + buyers)
    # two single lookups (as many as the listing's 2 pages), then the listing: 5 customers by then, 3 pages
    assert spent()["GET /customers"] == 2 + 3
    assert_one_customer_per_buyer(buyers + buyers, results, probe)


def test_an_agreement_too_large_to_list_keeps_single_lookups(eco: EconomicConnector, probe: Probe,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(customer_index, "MAX_INDEXED", 2)
    spent = spending(probe)
    send_all(eco, [new_buyer(f"buyer{i}@example.dk") for i in range(5)])
    assert spent()["GET /customers"] == 5


def test_a_customer_made_in_economic_between_two_runs_is_matched_not_duplicated(
        eco: EconomicConnector, probe: Probe, inputs: list[dict[str, Any]]) -> None:
    send_all(eco, inputs[:30])                                   # run 1 lists the customers
    made = probe.post("/customers", {**new_buyer("ny.kunde@example.dk")["customer"], "name": "Made by hand"})
    later = sandbox_connector(probe.url)                         # run 2: its own index
    send_all(later, inputs[30:60])
    spent = spending(probe)
    result = later.find_or_create_customer(new_buyer("NY.Kunde@example.dk"), context("o99"))
    assert result["customerNumber"] == made["customerNumber"] and not result["created"]
    assert "POST /customers" not in spent()
    assert len(probe.collection("/customers", filter="email$eq:ny.kunde@example.dk")) == 1


def test_a_customer_made_by_someone_else_during_a_long_run_is_found_by_the_refresh(
        eco: EconomicConnector, probe: Probe) -> None:
    now = [0.0]
    customer_index.index_of(eco.api).clock = lambda: now[0]
    send_all(eco, [new_buyer(f"buyer{i}@example.dk") for i in range(3)])   # listed at "0 s"
    made = probe.post("/customers", new_buyer("walk.in@example.dk")["customer"])
    now[0] = customer_index.REFRESH_SECONDS + 1
    spent = spending(probe)
    result = eco.find_or_create_customer(new_buyer("walk.in@example.dk"), context("o9"))
    assert result["customerNumber"] == made["customerNumber"] and not result["created"]
    assert spent() == {"GET /customers": 1}                     # only the customers changed since the listing


def test_the_finder_asks_economic_even_when_the_index_says_absent(eco: EconomicConnector, probe: Probe) -> None:
    send_all(eco, [new_buyer(f"buyer{i}@example.dk") for i in range(3)])   # the index is complete now
    made = probe.post("/customers", new_buyer("crashed@example.dk")["customer"])
    found = eco.find_effect("find_or_create_customer", new_buyer("crashed@example.dk"), context("o1"))
    assert found is not None and found["customerNumber"] == made["customerNumber"]


def test_a_lost_answer_to_a_create_never_duplicates_the_buyer_in_the_same_run(eco: EconomicConnector,
                                                                              probe: Probe) -> None:
    send_all(eco, [new_buyer(f"buyer{i}@example.dk") for i in range(3)])   # the index is complete now
    probe.faults(fault_rate=1.0, kinds=["drop_after"])
    with pytest.raises(TransientError):
        eco.find_or_create_customer(new_buyer("lost@example.dk"), context("o1"))
    probe.faults()
    again = eco.find_or_create_customer(new_buyer("lost@example.dk"), context("o2"))
    assert not again["created"]
    assert [c["customerNumber"] for c in probe.collection("/customers", filter="email$eq:lost@example.dk")] == [
        again["customerNumber"]]


def test_parallel_workers_create_each_buyer_once(eco: EconomicConnector, probe: Probe,
                                                 inputs: list[dict[str, Any]]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one(i: int) -> dict[str, Any] | None:
        try:
            return eco.find_or_create_customer(inputs[i], context(f"o{i}"))
        except DataError:
            return None

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(one, range(len(inputs))))
    assert_one_customer_per_buyer(inputs, results, probe)


def _kept_fields_change(held: dict[str, Any], data: dict[str, Any]) -> bool:
    """Whether this input's kept-current fields differ from what e-conomic holds (then applies them)."""
    def form(value: Any) -> Any:
        if isinstance(value, dict):
            return next(v for k, v in value.items() if k.endswith("Number"))
        return "" if value is None else str(value).strip()

    wanted = {k: v for k, v in data["customer"].items() if v is not None}
    changes = {f: wanted[f] for f in data.get("update_fields") or [] if f in wanted and form(held.get(f)) != form(wanted[f])}
    held.update(changes)
    return bool(changes)


def test_a_put_is_sent_exactly_when_a_kept_field_really_changed(eco: EconomicConnector, probe: Probe,
                                                                inputs: list[dict[str, Any]]) -> None:
    seeded = probe.collection("/customers")
    held: dict[tuple[str, str], dict[str, Any]] = {}
    expected = 0
    for data in inputs:
        field, value = identity(data)
        if (field, value) not in held:
            seed = next((c for c in seeded if str(c.get(field) or "").lower() == value), None)
            held[(field, value)] = dict(seed) if seed else {k: v for k, v in data["customer"].items() if v is not None}
            expected += seed is not None and _kept_fields_change(held[(field, value)], data)
        else:
            expected += _kept_fields_change(held[(field, value)], data)
    assert expected > 10                     # returning buyers with new addresses are in the mix

    spent = spending(probe)
    send_all(eco, inputs)
    assert spent().get("PUT /customers/{id}", 0) == expected

    # the next run: each buyer's newest input is what e-conomic holds, so nothing is sent
    newest = list({identity(data): data for data in inputs}.values())
    spent = spending(probe)
    send_all(sandbox_connector(probe.url), newest)
    calls = spent()
    assert "PUT /customers/{id}" not in calls and "POST /customers" not in calls

    # one buyer moves: exactly one PUT, and e-conomic holds the new address
    moved = next(d for d in newest if "address" in (d.get("update_fields") or []))
    moved = {**moved, "customer": {**moved["customer"], "address": "Flyttevej 7"}}
    spent = spending(probe)
    result = sandbox_connector(probe.url).find_or_create_customer(moved, context("o-moved"))
    assert spent().get("PUT /customers/{id}") == 1 and result["updated"] == ["address"]
    assert probe.get(f"/customers/{result['customerNumber']}")["address"] == "Flyttevej 7"
