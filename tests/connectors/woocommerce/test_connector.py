"""The connector against the sandbox over real HTTP: streams, cursor, refunds, stock, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.connector import ActionContext
from engine.errors import ConfigError, DataError
from engine.secrets import Secret

T1, T2 = "2025-06-02T08:00:00", "2025-06-02T08:30:00"


def create(sandbox, at: str, **extra) -> dict:
    body = {"line_items": [{"sku": "KAF-500", "quantity": 1}], "date_created_gmt": at, **extra}
    return sandbox.admin("POST", "orders", body)


def keys(records) -> list[str]:
    return [r.key for r in records]


def test_orders_stream_reads_every_page_once_oldest_first(woo_sandbox):
    connector = woo_sandbox.connector(per_page=7)
    records = list(connector.read("orders", None, {"since": "2025-01-01"}))
    store = woo_sandbox.shop.store
    assert sorted(map(int, keys(records))) == sorted(store.orders)
    stamps = [(r.data["date_modified_gmt"], int(r.key)) for r in records]
    assert stamps == sorted(stamps)
    assert [r.version for r in records] == [stamp for stamp, _ in stamps]  # the runner's stale check
    assert isinstance(records[0].data["line_items"][0]["price"], Decimal)
    assert records[0].data == {**store.orders[int(records[0].key)], "_links": records[0].data["_links"]}
    assert connector.runtime.metrics["http.woocommerce.GET /orders"] > len(records) / 7


def test_orders_cursor_keeps_orders_sharing_the_boundary_second(make_woo_sandbox):
    sandbox = make_woo_sandbox()
    connector = sandbox.connector(per_page=2)
    first_batch = [create(sandbox, T1)["id"] for _ in range(5)]
    first = list(connector.read("orders", None, {"since": "2025-06-01", "lookback": "0s"}))
    assert keys(first) == [str(i) for i in first_batch]
    cursor = first[-1].cursor
    assert cursor["modified_after"] == T1 and cursor["boundary_ids"] == [str(i) for i in first_batch]

    late_same_second = [create(sandbox, T1)["id"] for _ in range(2)]
    later = create(sandbox, T2)["id"]
    second = list(connector.read("orders", cursor, {"lookback": "0s"}))
    assert keys(second) == [str(i) for i in late_same_second + [later]]
    assert list(connector.read("orders", second[-1].cursor, {"lookback": "0s"})) == []


def test_resuming_from_any_record_cursor_loses_and_repeats_nothing(make_woo_sandbox):
    sandbox = make_woo_sandbox()
    connector = sandbox.connector(per_page=3)
    made = [create(sandbox, stamp)["id"] for stamp in (T1, T1, T1, T2, T2, "2025-06-02T09:00:00")]
    full = list(connector.read("orders", None, {"since": "2025-06-01"}))
    assert keys(full) == [str(i) for i in made]
    for stop in range(len(full)):
        rest = list(connector.read("orders", full[stop].cursor, {}))
        assert keys(rest) == keys(full)[stop + 1:], f"resumed after record {stop}"


def test_late_write_inside_the_lookback_is_caught_once(make_woo_sandbox):
    sandbox = make_woo_sandbox()
    connector = sandbox.connector()
    early = create(sandbox, "2025-06-02T07:00:00")["id"]
    create(sandbox, T2)
    first = list(connector.read("orders", None, {"since": "2025-06-01", "lookback": "10m"}))
    assert len(first) == 2
    # a write that committed late: its modification time is before the cursor
    sandbox.admin("POST", f"orders/{early}/status", {"status": "completed", "date_modified_gmt": "2025-06-02T08:25:00"})
    caught = list(connector.read("orders", first[-1].cursor, {"lookback": "10m"}))
    assert keys(caught) == [str(early)] and caught[0].data["status"] == "completed"
    assert list(connector.read("orders", caught[-1].cursor, {"lookback": "10m"})) == []


def test_an_order_modified_again_is_read_again(make_woo_sandbox):
    sandbox = make_woo_sandbox()
    connector = sandbox.connector()
    order = create(sandbox, T1, status="processing")
    first = list(connector.read("orders", None, {"since": "2025-06-01"}))
    sandbox.admin("POST", f"orders/{order['id']}/status", {"status": "completed", "date_modified_gmt": T2})
    again = list(connector.read("orders", first[-1].cursor, {}))
    assert keys(again) == [str(order["id"])] and again[0].data["status"] == "completed"


def test_statuses_option_filters_on_the_server(woo_sandbox):
    connector = woo_sandbox.connector()
    records = list(connector.read("orders", None, {"since": "2025-01-01", "statuses": ["completed", "refunded"]}))
    expected = {str(o["id"]) for o in woo_sandbox.shop.store.orders.values() if o["status"] in ("completed", "refunded")}
    assert set(keys(records)) == expected
    with pytest.raises(ConfigError, match="shipped"):
        list(connector.read("orders", None, {"since": "2025-01-01", "statuses": "completed,shipped"}))


def test_first_read_without_cursor_or_since_refuses_to_guess(woo_sandbox):
    with pytest.raises(ConfigError, match="since"):
        list(woo_sandbox.connector().read("orders", None, {}))


def test_refunds_stream_one_record_per_refund_with_its_order(woo_sandbox):
    store = woo_sandbox.shop.store
    connector = woo_sandbox.connector(per_page=5)
    read = list(connector.read("refunds", None, {"since": "2025-01-01"}))
    records = [r for r in read if r.data is not None]
    all_refunds = {r["id"]: (order_id, r) for order_id, refunds in store.refunds.items() for r in refunds}
    assert all_refunds, "the generated history has refunds"
    assert sorted(keys(records)) == sorted(f"refund-{i}" for i in all_refunds)
    for record in records:
        order_id, refund = all_refunds[int(record.key.removeprefix("refund-"))]
        assert record.data["order"]["id"] == order_id
        assert record.data["amount"] == refund["amount"] and Decimal(refund["amount"]) > 0
        assert record.data["order"]["number"] == store.orders[order_id]["number"]

    order = next(o for o in store.orders.values() if o["status"] == "completed" and not o["refunds"])
    woo_sandbox.admin("POST", "clock", {"now": "2026-03-02T10:00:00"})
    new = woo_sandbox.api("POST", f"orders/{order['id']}/refunds", json={"amount": "10.00", "reason": "Kompensation"}).json()
    fresh = list(connector.read("refunds", read[-1].cursor, {"lookback": "10m"}))
    assert keys(fresh) == [f"refund-{new['id']}"]
    assert fresh[0].data["order"]["refunds"][0]["total"] == "-10.00"
    # the order changes again a minute later, inside the lookback: its refund is not sent again
    woo_sandbox.admin("POST", "clock", {"now": "2026-03-02T10:01:00"})
    woo_sandbox.api("PUT", f"orders/{order['id']}", json={"status": "refunded"})
    assert [r for r in connector.read("refunds", fresh[-1].cursor, {"lookback": "10m"}) if r.data is not None] == []
    # a second refund on the same order is new
    woo_sandbox.admin("POST", "clock", {"now": "2026-03-02T10:02:00"})
    other = next(o for o in store.orders.values() if o["status"] == "completed" and not o["refunds"])
    second = woo_sandbox.api("POST", f"orders/{other['id']}/refunds", json={"amount": "5.00"}).json()
    assert keys(connector.read("refunds", fresh[-1].cursor, {"lookback": "10m"})) == [f"refund-{second['id']}"]


def test_refunds_stream_ends_on_a_checkpoint_so_orders_without_refunds_are_not_read_again(woo_sandbox):
    connector = woo_sandbox.connector(per_page=5)
    read = list(connector.read("refunds", None, {"since": "2025-01-01"}))
    assert read[-1].data is None and read[-1].key == "(checkpoint)"
    before = sum(v for k, v in connector.runtime.metrics.items() if k.startswith("http.woocommerce.GET /orders/{id}/refunds"))
    again = list(connector.read("refunds", read[-1].cursor, {"lookback": "0m"}))
    after = sum(v for k, v in connector.runtime.metrics.items() if k.startswith("http.woocommerce.GET /orders/{id}/refunds"))
    assert [r for r in again if r.data is not None] == [] and after == before


def test_wrong_credentials_are_a_config_error_without_the_secret(woo_sandbox):
    secret = "cs_wrong_but_secret_value"
    connector = woo_sandbox.connector(consumer_secret=Secret(secret, "${env:WOO_SECRET}"))
    with pytest.raises(ConfigError) as caught:
        list(connector.read("orders", None, {"since": "2025-01-01"}))
    assert "401" in str(caught.value) and secret not in str(caught.value)


def test_plain_http_to_a_real_host_is_a_config_error():
    from connectors.woocommerce import WooCommerceConnector
    from engine.connector import Runtime

    connector = WooCommerceConnector({"url": "http://shop.example", "consumer_key": "ck", "consumer_secret": "cs"}, Runtime())
    with pytest.raises(ConfigError):
        list(connector.read("orders", None, {"since": "2025-01-01"}))


def test_wrong_api_path_is_a_config_error(woo_sandbox):
    with pytest.raises(ConfigError, match="api_path"):
        list(woo_sandbox.connector(api_path="/wp-json/wc/v9").read("orders", None, {"since": "2025-01-01"}))


def test_products_stream_lists_simple_products_and_variations_by_sku(woo_sandbox):
    records = list(woo_sandbox.connector(per_page=4).read("products", None, {}))
    assert "KRUS-BLAA" in keys(records) and "TSHIRT-XL" in keys(records) and "KAF-500" in keys(records)
    assert "KRUS" not in keys(records)                    # the variable parent is not sold itself
    assert "product-308" in keys(records)                 # a product without SKU keeps its id
    assert len(keys(records)) == len(set(keys(records)))


def test_customers_stream(woo_sandbox):
    records = list(woo_sandbox.connector(per_page=3).read("customers", None, {}))
    assert keys(records) == [str(i) for i in sorted(woo_sandbox.shop.store.customers)]


def test_update_stock_by_sku_for_products_and_variations(woo_sandbox):
    store = woo_sandbox.shop.store
    connector = woo_sandbox.connector()
    ctx = ActionContext(idempotency_key="stock-1", record_key="KRUS-BLAA")
    result = connector.run_action("update_stock", {"sku": "KRUS-BLAA", "stock_quantity": Decimal("7.00")}, ctx)
    assert result["variation_id"] == 322 and result["stock_quantity"] == 7
    assert store.variations[320][322]["stock_quantity"] == 7
    connector.run_action("update_stock", {"sku": "KRUS-BLAA", "stock_quantity": 7}, ctx)   # again: same state
    assert store.variations[320][322]["stock_quantity"] == 7
    connector.run_action("update_stock", {"sku": "TERMO-1L", "stock_quantity": 0}, ctx)
    assert store.products[304]["stock_quantity"] == 0 and store.products[304]["stock_status"] == "outofstock"
    assert connector.find_effect("update_stock", {"sku": "TERMO-1L", "stock_quantity": 0}, ctx) is None


def test_update_stock_refuses_unknown_sku_and_fractions(woo_sandbox):
    connector = woo_sandbox.connector()
    ctx = ActionContext(idempotency_key="stock-2", record_key="x")
    with pytest.raises(DataError, match="NOPE-1") as unknown:
        connector.run_action("update_stock", {"sku": "NOPE-1", "stock_quantity": 1}, ctx)
    assert unknown.value.field_path == "sku"
    with pytest.raises(DataError, match="whole"):
        connector.run_action("update_stock", {"sku": "KAF-500", "stock_quantity": Decimal("2.5")}, ctx)
