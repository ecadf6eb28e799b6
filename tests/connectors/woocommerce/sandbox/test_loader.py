"""``--orders DIR`` serves real REST v3 order files, with their refunds."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.woocommerce.sandbox.loader import LoadError, load_orders
from connectors.woocommerce.sandbox.store import Store

FIXTURES = Path(__file__).parents[3] / "fixtures" / "woocommerce"


def fixture_orders() -> list[dict]:
    found = []
    for path in sorted(FIXTURES.glob("*.json")):
        if not path.name.endswith(".refunds.json"):
            data = json.loads(path.read_text(), parse_float=Decimal)
            found += data if isinstance(data, list) else [data]
    return found


def test_fixture_orders_add_up():
    orders = fixture_orders()
    assert len(orders) == 5
    for order in orders:
        D = Decimal
        parts = sum((D(i["total"]) for k in ("line_items", "shipping_lines", "fee_lines") for i in order[k]), D(0))
        taxes = sum((D(i["total_tax"]) for k in ("line_items", "shipping_lines", "fee_lines") for i in order[k]), D(0))
        assert D(order["total"]) == parts + D(order["total_tax"]) and D(order["total_tax"]) == taxes, order["number"]


def test_sandbox_serves_the_files_with_refunds_from_both_places(make_woo_sandbox):
    sandbox = make_woo_sandbox(orders=str(FIXTURES))
    listed = sandbox.api("GET", "orders", params={"per_page": 100}).json(parse_float=Decimal)
    by_number = {o["number"]: o for o in listed}
    expected = {o["number"]: o for o in fixture_orders()}
    assert set(by_number) == set(expected)
    for number, order in expected.items():
        assert by_number[number]["total"] == order["total"]
        assert by_number[number]["line_items"] == order["line_items"]

    sibling = by_number["10233"]
    refunds = sandbox.api("GET", f"orders/{sibling['id']}/refunds").json()
    assert [r["amount"] for r in refunds] == ["11.38"]
    assert sibling["refunds"] == [{"id": refunds[0]["id"], "reason": "Beskadiget under transport", "total": "-11.38"}]

    embedded = by_number["10234"]
    assert embedded["refunds"][0]["total"] == "-15.00"
    detail = sandbox.api("GET", f"orders/{embedded['id']}/refunds/{embedded['refunds'][0]['id']}").json()
    assert detail["amount"] == "15.00" and detail["line_items"] == []


def test_connector_reads_replayed_orders_and_refunds(make_woo_sandbox):
    sandbox = make_woo_sandbox(orders=str(FIXTURES))
    connector = sandbox.connector()
    orders = list(connector.read("orders", None, {"since": "2025-06-01"}))
    by_modification = sorted(fixture_orders(), key=lambda o: o["date_modified_gmt"])
    assert [r.data["number"] for r in orders] == [o["number"] for o in by_modification]
    refunds = list(connector.read("refunds", None, {"since": "2025-06-01"}))
    assert [(r.data["order"]["number"], r.data["amount"]) for r in refunds] == [("10233", "11.38"), ("10234", "15.00")]


def test_refund_summaries_without_objects_become_amount_only_refunds(tmp_path):
    order = fixture_orders()[0] | {"refunds": [{"id": 60001, "reason": "Retur", "total": "-50.00"}]}
    (tmp_path / "one.json").write_text(json.dumps(order, default=str))
    store = Store()
    assert load_orders(store, tmp_path) == 1
    [refund] = store.refunds[order["id"]]
    assert refund["amount"] == "50.00" and refund["line_items"] == [] and refund["date_created_gmt"]


def test_a_file_that_is_not_an_order_names_the_file(tmp_path):
    (tmp_path / "broken.json").write_text('{"hello": "world"}')
    with pytest.raises(LoadError, match="broken.json"):
        load_orders(Store(), tmp_path)
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(LoadError, match="broken.json: not valid JSON"):
        load_orders(Store(), tmp_path)
