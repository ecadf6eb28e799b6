"""Product settings: products matched on SKU and created or not, fields kept up to date, the default
product, helper products for shipping, fees and discounts, and the totals tolerance with its
rounding line."""

from __future__ import annotations

from decimal import Decimal

import pytest

LINES = [{"sku": "KAF-500", "quantity": 2}, {"sku": "TSHIRT-M", "quantity": 1}]


def _money(value):
    return Decimal(str(value))


def _products(invoice):
    return [li["product"]["productNumber"] for li in invoice["lines"]]


def test_the_catalogue_becomes_products_matched_on_sku(shop_factory, integration_factory, economic):
    shop = shop_factory()
    integration_factory(shop).run()
    products = economic.products()
    assert {"KAF-500", "KAF-ESP-1000", "KRUS-HVID", "KRUS-BLAA", "TSHIRT-XL"} <= set(products)
    assert "KRUS" not in products and "TSHIRT" not in products      # variable parents are not sold
    coffee = products["KAF-500"]
    assert (coffee["name"], _money(coffee["salesPrice"]), coffee["productGroup"]["productGroupNumber"]) == (
        "Økologisk kaffe, hele bønner 500 g", Decimal("103.20"), 1)      # 129.00 with 25 % VAT


def test_catalogue_prices_entered_without_tax_are_taken_as_they_are(shop_factory, integration_factory, economic):
    shop = shop_factory()
    integration_factory(shop, {"catalog_prices_include_tax": False}).run()
    assert _money(economic.products()["KAF-500"]["salesPrice"]) == Decimal("129.00")


def test_without_creating_products_a_line_of_a_missing_product_is_dead_lettered(shop_factory, integration_factory, economic):
    economic.probe.post("/products", {"productNumber": "KAF-500", "name": "Kaffe 500 g", "productGroup": {"productGroupNumber": 1}})
    shop = shop_factory()
    known = shop.create_order(line_items=[{"sku": "KAF-500", "quantity": 1}])
    unknown = shop.create_order(line_items=[{"sku": "KAF-500", "quantity": 1}, {"sku": "TE-24", "quantity": 1}])
    integration = integration_factory(shop, {"create_products": False})
    summary = integration.run()
    assert summary.flows["webshop/products"].filtered == 15
    assert _products(economic.invoice(known))[0] == "KAF-500"
    [letter] = integration.dead_letters()
    assert (letter.record_key, letter.step, letter.field_path) == (str(unknown["id"]), "products", "products[1].productNumber")
    assert "product TE-24 does not exist in e-conomic and creating products is off" in letter.message
    assert "TE-24" not in economic.products()


@pytest.mark.parametrize(("update_fields", "name"), [([], "Gammelt navn"), (["name"], "Økologisk kaffe, hele bønner 500 g")])
def test_existing_products_are_updated_only_in_the_allowed_fields(shop_factory, integration_factory, economic,
                                                                   update_fields, name):
    economic.probe.post("/products", {"productNumber": "KAF-500", "name": "Gammelt navn", "salesPrice": 1,
                                      "productGroup": {"productGroupNumber": 1}})
    shop = shop_factory()
    integration_factory(shop, {"product_update_fields": update_fields}).run()
    product = economic.products()["KAF-500"]
    assert (product["name"], _money(product["salesPrice"])) == (name, Decimal(1))


def test_a_missing_product_stands_on_the_default_product_when_creating_is_off(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=[{"sku": "TE-24", "quantity": 1}])
    integration = integration_factory(shop, {"create_products": False, "default_product": "100"})
    integration.run()
    assert _products(economic.invoice(order))[0] == "100" and integration.dead_letters() == []
    assert "TE-24" not in economic.products()


def test_an_order_line_without_sku_and_no_default_product_is_refused_with_its_place(shop_factory, integration_factory,
                                                                                  economic):
    shop = shop_factory(generate=20, seed=3)
    broken = {o["id"]: m["value"] for o in shop.orders() for m in o["meta_data"] if m["key"] == "_sandbox_note"}
    integration = integration_factory(shop)
    integration.run()
    letters = {broken[int(letter.record_key)]: letter for letter in integration.dead_letters()}
    assert letters["missing-sku"].step == "invoice"
    assert letters["missing-sku"].field_path == "lines[0].product.productNumber"
    assert "Kaffesmagning, billet has no SKU and no default product is set" in letters["missing-sku"].message
    [negative] = [o for o in shop.orders() if broken.get(o["id"]) == "negative-quantity"]
    index = next(i for i, line in enumerate(negative["line_items"]) if line["quantity"] < 0)
    assert letters["negative-quantity"].field_path == f"lines[{index}].quantity"
    assert "has quantity -1; an order line must have a quantity of at least 1" in letters["negative-quantity"].message
    assert economic.documents("orders", negative["id"], "invoice", booked=False) == []


def test_lines_without_sku_use_the_default_product(shop_factory, integration_factory, economic):
    shop = shop_factory(generate=20, seed=3)              # one order of each broken kind, one without SKU
    [order] = [o for o in shop.orders() if any(m["value"] == "missing-sku" for m in o["meta_data"])]
    integration = integration_factory(shop, {"default_product": "100"})
    integration.run()
    invoice = economic.invoice(order)
    [line] = [li for li in invoice["lines"] if li["description"] == "Kaffesmagning, billet"]
    assert line["product"]["productNumber"] == "100"
    assert _money(invoice["grossAmount"]) == _money(order["total"])
    assert str(order["id"]) not in {letter.record_key for letter in integration.dead_letters()}


def test_shipping_and_fees_go_on_their_helper_products(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, shipping="home", payment_method="cod",
                              fee={"name": "Efterkravsgebyr", "amount": "39.20"})
    integration_factory(shop, {"shipping_product": "FRAGT-DAO", "fee_product": "GEBYR-EFK"}).run()
    invoice = economic.invoice(order)
    assert _products(invoice)[:4] == ["KAF-500", "TSHIRT-M", "FRAGT-DAO", "GEBYR-EFK"]
    assert [li["description"] for li in invoice["lines"]][2:4] == ["DAO Hjemmelevering", "Efterkravsgebyr"]
    created = economic.products()
    assert (created["FRAGT-DAO"]["productGroup"]["productGroupNumber"], created["GEBYR-EFK"]["name"]) == (1, "Gebyr")
    assert _money(invoice["grossAmount"]) == _money(order["total"])


def test_free_shipping_adds_no_line(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=[{"sku": "KVERN-M", "quantity": 2}], shipping="free")
    integration_factory(shop).run()
    assert _products(economic.invoice(order)) == ["KVERN-M"]


@pytest.mark.parametrize("discount_lines", [False, True])
def test_coupons_as_net_lines_or_as_a_discount_line(shop_factory, integration_factory, economic, discount_lines):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, coupon={"code": "KAFFE15", "kind": "percent", "amount": "15"})
    integration_factory(shop, {"discount_lines": discount_lines}).run()
    invoice = economic.invoice(order)
    assert _money(invoice["grossAmount"]) == _money(order["total"])
    coffee = invoice["lines"][0]
    if discount_lines:
        [discount] = [li for li in invoice["lines"] if li["product"]["productNumber"] == "RABAT"]
        assert discount["description"] == "Rabat KAFFE15"
        assert _money(discount["totalNetAmount"]) == -_money(order["discount_total"])
        assert _money(coffee["unitNetPrice"]) == Decimal("103.20")                    # before discount
    else:
        assert "RABAT" not in _products(invoice)
        assert _money(coffee["unitNetPrice"]) == Decimal("87.72")                     # 103.20 less 15 %


@pytest.mark.parametrize(("tolerance", "text", "booked"), [("0.10", "Øreafrunding", True), ("0.05", "Afrunding", True),
                                                           ("0.02", "Øreafrunding", False)])
def test_a_difference_within_the_tolerance_is_a_rounding_line_else_the_draft_stays(
        shop_factory, integration_factory, economic, tolerance, text, booked):
    shop = shop_factory(generate=20, seed=3)
    [order] = [o for o in shop.orders() if any(m["value"] == "total-off-0.03" for m in o["meta_data"])]
    integration = integration_factory(shop, {"tolerance": Decimal(tolerance), "rounding_text": text,
                                             "statuses": [order["status"]]})
    integration.run()
    if booked:
        invoice = economic.invoice(order)
        [line] = [li for li in invoice["lines"] if li["product"]["productNumber"] == "AFRUND"]
        assert (line["description"], _money(line["totalNetAmount"])) == (text, Decimal("0.03"))
        assert _money(invoice["grossAmount"]) == _money(order["total"])
    else:
        letter = next(le for le in integration.dead_letters() if le.record_key == str(order["id"]))
        assert "difference 0.03 > tolerance 0.02" in letter.message
        assert len(economic.documents("orders", order["id"], "invoice", booked=False)) == 1


@pytest.mark.parametrize(("settings", "group", "price"), [
    ({"product_group": 1001}, 1001, Decimal("103.20")),                    # a group of the agreement's choosing
    ({"home_vat_rate": Decimal("0.20")}, 1, Decimal("107.50")),            # 129.00 with 20 % VAT
])
def test_new_products_group_and_net_price(shop_factory, integration_factory, economic, settings, group, price):
    shop = shop_factory()
    integration_factory(shop, settings).run()
    coffee = economic.products()["KAF-500"]
    assert (coffee["productGroup"]["productGroupNumber"], _money(coffee["salesPrice"])) == (group, price)


def test_a_rounding_product_of_the_agreements_choosing(shop_factory, integration_factory, economic):
    shop = shop_factory(generate=20, seed=3)
    [order] = [o for o in shop.orders() if any(m["value"] == "total-off-0.03" for m in o["meta_data"])]
    integration_factory(shop, {"rounding_product": "DIFF", "statuses": [order["status"]]}).run()
    [line] = [li for li in economic.invoice(order)["lines"] if li["product"]["productNumber"] == "DIFF"]
    assert _money(line["totalNetAmount"]) == Decimal("0.03")
    assert economic.products()["DIFF"]["productGroup"]["productGroupNumber"] == 2


def test_without_creating_helper_products_the_agreements_own_are_used(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, shipping="gls")
    integration_factory(shop, {"create_helper_products": False}).run()
    assert _products(economic.invoice(order))[-1] == "FRAGT"                 # the agreement's own shipping product
    assert not {"FRAGT-UM", "AFRUND", "GEBYR"} & set(economic.products())
