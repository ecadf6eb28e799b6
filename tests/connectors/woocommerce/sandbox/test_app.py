"""The sandbox answers like WooCommerce's REST v3 API, over real HTTP."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest


def links(header: str) -> dict[str, dict[str, list[str]]]:
    return {rel: parse_qs(urlsplit(url).query) for url, rel in re.findall(r'<([^>]*)>; rel="(\w+)"', header)}


def test_paging_headers_and_link(woo_sandbox):
    resp = woo_sandbox.api("GET", "orders", params={"per_page": 25, "page": 2})
    assert resp.status_code == 200
    total = len(woo_sandbox.shop.store.orders)
    assert resp.headers["X-WP-Total"] == str(total)
    assert resp.headers["X-WP-TotalPages"] == str(-(-total // 25))
    rels = links(resp.headers["Link"])
    assert rels["next"]["page"] == ["3"] and rels["prev"]["page"] == ["1"]
    assert rels["first"]["page"] == ["1"] and rels["last"]["page"] == [resp.headers["X-WP-TotalPages"]]
    assert rels["next"]["per_page"] == ["25"]
    assert len(resp.json()) == 25


def test_last_page_has_no_next_and_pages_cover_every_order_once(woo_sandbox):
    seen: list[int] = []
    page = 1
    while True:
        resp = woo_sandbox.api("GET", "orders", params={"per_page": 7, "page": page, "orderby": "id", "order": "asc"})
        seen += [o["id"] for o in resp.json()]
        if "next" not in links(resp.headers["Link"]):
            break
        page += 1
    assert seen == sorted(woo_sandbox.shop.store.orders)


@pytest.mark.parametrize("per_page", ["0", "101", "abc"])
def test_per_page_outside_1_to_100_is_rest_invalid_param(woo_sandbox, per_page):
    resp = woo_sandbox.api("GET", "orders", params={"per_page": per_page})
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "rest_invalid_param"
    assert "per_page" in body["data"]["params"]
    assert body["data"]["status"] == 400


def test_status_filter_takes_comma_list_and_array(woo_sandbox):
    store = woo_sandbox.shop.store
    wanted = {"completed", "refunded"}
    expected = sorted(o["id"] for o in store.orders.values() if o["status"] in wanted)
    by_comma = woo_sandbox.api("GET", "orders", params={"status": "completed,refunded", "per_page": 100})
    by_array = woo_sandbox.api("GET", "orders", params=[("status[]", "completed"), ("status[]", "refunded"), ("per_page", "100")])
    assert sorted(o["id"] for o in by_comma.json()) == expected
    assert sorted(o["id"] for o in by_array.json()) == expected
    bad = woo_sandbox.api("GET", "orders", params={"status": "shipped"})
    assert bad.status_code == 400 and "status" in bad.json()["data"]["params"]


def test_modified_after_and_before_are_strict_gmt_windows(woo_sandbox):
    store = woo_sandbox.shop.store
    times = sorted({o["date_modified_gmt"] for o in store.orders.values()})
    low, high = times[5], times[-5]
    resp = woo_sandbox.api("GET", "orders", params={
        "modified_after": low, "modified_before": high, "dates_are_gmt": "true", "per_page": 100})
    got = {o["id"] for o in resp.json()}
    assert got == {o["id"] for o in store.orders.values() if low < o["date_modified_gmt"] < high}
    assert all(o["date_modified_gmt"] not in (low, high) for o in resp.json())


def test_site_local_dates_are_compared_without_dates_are_gmt(woo_sandbox):
    store = woo_sandbox.shop.store
    some = sorted(store.orders.values(), key=lambda o: o["date_modified_gmt"])[10]
    local = woo_sandbox.api("GET", "orders", params={"modified_after": some["date_modified"], "per_page": 100}).json()
    assert {o["id"] for o in local} == {o["id"] for o in store.orders.values() if o["date_modified"] > some["date_modified"]}


def test_orderby_modified_is_not_supported(woo_sandbox):
    resp = woo_sandbox.api("GET", "orders", params={"orderby": "modified"})
    assert resp.status_code == 400 and resp.json()["code"] == "rest_invalid_param"


def test_wrong_or_missing_credentials_are_401_with_woocommerce_codes(woo_sandbox):
    none = woo_sandbox.api("GET", "orders", auth=None)
    assert none.status_code == 401 and none.json()["code"] == "woocommerce_rest_cannot_view"
    wrong = woo_sandbox.api("GET", "orders", auth=("ck_sandbox", "cs_wrong"))
    assert wrong.status_code == 401 and wrong.json()["message"] == "Consumer secret is invalid."
    by_query = woo_sandbox.api("GET", "orders", auth=None, params={"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"})
    assert by_query.status_code == 200


def test_money_is_strings_and_price_a_number(woo_sandbox):
    resp = woo_sandbox.api("GET", "orders", params={"per_page": 5})
    raw = resp.text
    order = resp.json(parse_float=Decimal)[0]
    assert re.fullmatch(r"-?\d+\.\d\d", order["total"])
    assert f'"total":"{order["total"]}"' in raw
    line = order["line_items"][0]
    assert isinstance(line["price"], (int, Decimal))
    assert Decimal(line["price"]) * line["quantity"] == pytest.approx(Decimal(line["total"]), abs=Decimal("0.01"))


def test_refund_post_creates_refund_updates_order_and_restocks(woo_sandbox):
    store = woo_sandbox.shop.store
    order = next(o for o in store.orders.values()
                 if o["status"] == "completed" and not o["refunds"] and o["line_items"][0]["quantity"] >= 1
                 and o["line_items"][0]["variation_id"] == 0 and o["line_items"][0]["sku"])
    line = order["line_items"][0]
    stock_before = store.products[line["product_id"]]["stock_quantity"]
    resp = woo_sandbox.api("POST", f"orders/{order['id']}/refunds", json={
        "reason": "Returneret vare", "api_refund": False,
        "line_items": [{"id": line["id"], "quantity": 1, "refund_total": "10.00", "refund_tax": [{"id": 1, "refund_total": "2.50"}]}]})
    assert resp.status_code == 201, resp.text
    refund = resp.json(parse_float=Decimal)
    assert refund["amount"] == "12.50"
    assert refund["line_items"][0]["quantity"] == -1
    assert refund["line_items"][0]["total"] == "-10.00" and refund["line_items"][0]["total_tax"] == "-2.50"
    assert refund["refunded_payment"] is False
    after = woo_sandbox.api("GET", f"orders/{order['id']}").json()
    assert after["refunds"][0] == {"id": refund["id"], "reason": "Returneret vare", "total": "-12.50"}
    assert after["date_modified_gmt"] >= order["date_created_gmt"]
    assert after["status"] == "completed"
    listed = woo_sandbox.api("GET", f"orders/{order['id']}/refunds").json()
    assert [r["id"] for r in listed] == [refund["id"]]
    if stock_before is not None:
        assert store.products[line["product_id"]]["stock_quantity"] == stock_before + 1


def test_refund_of_everything_left_marks_the_order_refunded(woo_sandbox):
    store = woo_sandbox.shop.store
    order = next(o for o in store.orders.values() if o["status"] == "processing" and not o["refunds"])
    resp = woo_sandbox.api("POST", f"orders/{order['id']}/refunds", json={"amount": order["total"], "reason": "Annulleret"})
    assert resp.status_code == 201
    assert woo_sandbox.api("GET", f"orders/{order['id']}").json()["status"] == "refunded"
    too_much = woo_sandbox.api("POST", f"orders/{order['id']}/refunds", json={"amount": "1.00"})
    assert too_much.status_code == 500 and too_much.json()["code"] == "woocommerce_rest_cannot_create_order_refund"


def test_unknown_order_and_unknown_route(woo_sandbox):
    missing = woo_sandbox.api("GET", "orders/999999")
    assert missing.status_code == 404 and missing.json()["code"] == "woocommerce_rest_shop_order_invalid_id"
    nowhere = woo_sandbox.api("GET", "coupons-and-more")
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "rest_no_route"


def test_products_sku_filter_variations_and_stock_update(woo_sandbox):
    found = woo_sandbox.api("GET", "products", params={"sku": "KAF-500"}).json()
    assert [p["sku"] for p in found] == ["KAF-500"]
    assert woo_sandbox.api("GET", "products", params={"sku": "KRUS-BLAA"}).json() == []
    mugs = woo_sandbox.api("GET", "products", params={"sku": "KRUS"}).json()[0]
    variations = woo_sandbox.api("GET", f"products/{mugs['id']}/variations").json()
    assert {v["sku"] for v in variations} == {"KRUS-HVID", "KRUS-BLAA", "KRUS-GROEN"}
    blue = next(v for v in variations if v["sku"] == "KRUS-BLAA")
    put = woo_sandbox.api("PUT", f"products/{mugs['id']}/variations/{blue['id']}", json={"stock_quantity": 0})
    assert put.json()["stock_quantity"] == 0 and put.json()["stock_status"] == "outofstock"
    assert woo_sandbox.shop.store.variations[mugs["id"]][blue["id"]]["stock_quantity"] == 0


def test_status_change_bumps_modified_and_sets_completion(woo_sandbox):
    store = woo_sandbox.shop.store
    order = next(o for o in store.orders.values() if o["status"] == "processing")
    woo_sandbox.admin("POST", "clock", {"now": "2026-01-05T10:00:00"})
    changed = woo_sandbox.api("PUT", f"orders/{order['id']}", json={"status": "completed"}).json()
    assert changed["status"] == "completed"
    assert changed["date_modified_gmt"] == "2026-01-05T10:00:00"
    assert changed["date_modified"] == "2026-01-05T11:00:00"          # Copenhagen, winter time
    assert changed["date_completed_gmt"] == "2026-01-05T10:00:00"


def test_admin_advance_applies_the_scheduled_history(make_woo_sandbox):
    sandbox = make_woo_sandbox(generate=80)
    before = sandbox.admin("GET", "summary")
    assert before["scheduled"] > 0
    result = sandbox.admin("POST", "advance", {"steps": 3})
    assert len(result["applied"]) == 3
    assert result["scheduled"] == before["scheduled"] - 3
    for applied in result["applied"]:
        order = sandbox.shop.store.orders[applied["order_id"]]
        assert order["date_modified_gmt"] >= max(o["date_created_gmt"] for o in sandbox.shop.store.orders.values())


def test_admin_create_order_computes_totals_like_checkout(woo_sandbox):
    order = woo_sandbox.admin("POST", "orders", {
        "currency": "EUR", "prices_include_tax": False, "billing": {"country": "DE"},
        "line_items": [{"sku": "KAF-500", "quantity": 2, "price": "14.00"}], "shipping": "international",
    })
    assert order["line_items"][0]["total"] == "28.00" and order["line_items"][0]["total_tax"] == "5.32"
    assert order["tax_lines"][0]["rate_percent"] == 19
    assert order["shipping_total"] == "16.00" and order["shipping_tax"] == "3.04"
    assert order["total"] == "52.36"
    assert woo_sandbox.api("GET", f"orders/{order['id']}").json()["total"] == "52.36"
