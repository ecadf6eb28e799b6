"""The woocommerce-economic recipe's mappings on sample orders, without any HTTP: what each
mapping produces for the generator's 200 orders and the REST fixtures, as `iex map` shows it."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.woocommerce.sandbox.generator import generate
from connectors.woocommerce.sandbox.jsonio import dumps
from connectors.woocommerce.sandbox.store import Store
from engine import yamlpos
from engine.cli import cli
from engine.errors import DataError
from engine.mapping import load_mapping
from engine.recipe import apply_settings, load_recipe

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = ROOT / "mappings" / "woocommerce"
FIXTURES = ROOT / "tests" / "fixtures" / "woocommerce"
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def recipe():
    return load_recipe(ROOT / "recipes" / "woocommerce-economic.yaml")


@pytest.fixture(scope="module")
def settings(recipe):
    return apply_settings(recipe, {"start_date": "2025-03-01"})


@pytest.fixture(scope="module")
def shop():
    store = Store()
    generate(store, 200, 7)
    # as the REST API serves them: JSON with decimals as text, line prices as numbers
    orders = [json.loads(dumps(order), parse_float=Decimal) for order in store.orders.values()]
    refunds = [{**json.loads(dumps(refund), parse_float=Decimal), "order": next(o for o in orders if o["id"] == oid)}
               for oid, items in store.refunds.items() for refund in items]
    return orders, refunds


@pytest.fixture(scope="module")
def mappings():
    return {name: load_mapping(MAPPINGS / f"{name}.yaml")
            for name in ("sale", "customer", "invoice", "order", "credit_note", "oss_product", "product", "products")}


def _context(record, settings, **steps):
    invoices = {"4000": {"bookedInvoiceNumber": 20001}}
    return {"record": record, "settings": settings, "key": "k", "steps": steps,
            "ledger": lambda flow, key, step: invoices.get(str(key)) if step == "invoice" else None}


def _note(order):
    return next((m["value"] for m in order["meta_data"] if m["key"] == "_sandbox_note"), None)


def _net(lines):
    return sum((Decimal(line["quantity"]) * line["unitNetPrice"] for line in lines), Decimal(0))


def test_the_example_instance_shows_every_setting_with_its_default(recipe):
    shown = yamlpos.load(ROOT / "iex.yaml.example").data["integrations"]["webshop"]["settings"]
    declared = recipe.settings_schema["properties"]
    assert set(shown) == set(declared)
    assert {name: value for name, value in shown.items() if name != "start_date"} == {
        name: spec["default"] for name, spec in declared.items() if name != "start_date"}


def test_every_order_maps_to_lines_that_add_up_to_its_net_total(shop, settings, mappings):
    orders, _ = shop
    for order in orders:
        if _note(order) in ("total-off-0.03", "total-off-5.00", "missing-sku", "negative-quantity"):
            continue
        invoice = mappings["invoice"].evaluate(_context(order, settings, customer={"customerNumber": 7}))
        net = Decimal(order["total"]) - Decimal(order["total_tax"])
        lines = invoice["lines"]
        # a unit price has two decimals: quantity x price may miss the line total by < quantity/2 øre
        slack = sum((Decimal(line["quantity"]) for line in lines), Decimal(0)) * CENT / 2
        assert abs(_net(lines) - net) <= slack, order["id"]
        assert invoice["expected"] == {"gross": Decimal(order["total"]), "vat": Decimal(order["total_tax"]),
                                       "currency": order["currency"]}
        assert (invoice["book"], invoice["tolerance"], invoice["rounding_product_number"]) == (True, Decimal("0.10"), "AFRUND")


def test_vat_treatment_follows_what_the_shop_charged(shop, settings, mappings):
    orders, _ = shop
    seen = Counter()
    for order in orders:
        sale = mappings["sale"].evaluate({**_context(order, settings), "order": order})
        country = order["billing"]["country"]
        vat_number = any(m["key"] == "_billing_vat_number" for m in order["meta_data"])
        expected = ("domestic" if country == "DK" else "abroad" if country in ("NO", "GB", "US")
                    else "eu" if vat_number else "oss")
        assert sale["treatment"] == expected, order["id"]
        assert sale["vat_zone"] == {"domestic": 1, "eu": 2, "oss": 2, "abroad": 3}[expected]
        assert sale["oss_product"] == (f"OSS-{country}" if expected == "oss" else None)
        seen[expected] += 1
    assert min(seen.values()) >= 10


def test_the_oss_step_runs_exactly_for_oss_sales(shop, settings, mappings, recipe):
    orders, refunds = shop
    for flow, records in (("orders", orders), ("refunds", refunds)):
        [step] = [s for s in recipe.flows[flow].steps if s.name == "oss_product"]
        for record in records:
            context = _context(record, settings)
            runs = step.when.evaluate(context)
            sale = mappings["sale"].evaluate({**context, "order": record.get("order", record)})
            assert runs == (sale["oss_product"] is not None), (flow, record["id"])
            if runs:
                product = mappings["oss_product"].evaluate(context)
                assert product["productNumber"] == sale["oss_product"]
                assert product["productGroupNumber"] == settings["oss_product_groups"][sale["country"]]


@pytest.mark.parametrize(("meta", "field", "value"), [
    ([], "email", "kunde@example.net"),
    ([("_billing_cvr", "29403473")], "corporateIdentificationNumber", "29403473"),
    ([("_billing_vat_number", "de 123-456-789")], "vatNumber", "DE123456789"),
    ([("_billing_ean", "5798 0004 16604"), ("_billing_cvr", "55133018")], "ean", "5798000416604"),
])
def test_each_kind_of_buyer_is_matched_on_its_own_field(shop, settings, mappings, meta, field, value):
    order = {**shop[0][0], "meta_data": [{"id": i, "key": k, "value": v} for i, (k, v) in enumerate(meta)]}
    order["billing"] = {**order["billing"], "email": "kunde@example.net"}
    customer = mappings["customer"].evaluate(_context(order, settings))
    assert customer["match"] == {"field": field, "value": value}
    assert "common_customer_number" not in customer


def test_a_common_customer_replaces_the_match(shop, settings, mappings):
    customer = mappings["customer"].evaluate(_context(shop[0][0], {**settings, "b2c_common_customer": 500}))
    assert customer["common_customer_number"] == 500 and "match" not in customer


def test_refunds_credit_lines_with_positive_quantities_or_an_amount(shop, settings, mappings):
    _, refunds = shop
    kinds = Counter()
    for refund in refunds:
        note = mappings["credit_note"].evaluate(_context({**refund, "order": {**refund["order"], "id": 4000}}, settings))
        assert note["invoice_number"] == 20001
        assert note["expected"]["gross"] == Decimal(refund["amount"])
        if "lines" in note:
            kinds["lines"] += 1
            assert all(Decimal(line["quantity"]) > 0 for line in note["lines"])
            net = -sum((Decimal(i["total"]) for k in ("line_items", "shipping_lines", "fee_lines") for i in refund[k]),
                       Decimal(0))
            assert abs(_net(note["lines"]) - net) <= CENT * len(note["lines"])
        else:
            kinds["amount"] += 1
            assert note["amount"] == Decimal(refund["amount"]) and note["refund_product_number"]
    assert kinds["lines"] and kinds["amount"]


def test_a_refund_of_an_order_without_invoice_has_no_invoice_number(shop, settings, mappings):
    refund = shop[1][0]
    assert mappings["credit_note"].evaluate(_context(refund, settings))["invoice_number"] is None


def test_catalogue_products_get_a_net_sales_price_and_a_group_by_tax_status(settings, mappings):
    product = {"sku": "KAF-500", "name": "Kaffe", "price": "129.00", "tax_status": "taxable"}
    assert mappings["product"].evaluate(_context(product, settings)) == {
        "productNumber": "KAF-500", "name": "Kaffe", "productGroupNumber": 1, "salesPrice": Decimal("103.20"),
        "create": True, "update_fields": []}
    free = mappings["product"].evaluate(_context({**product, "tax_status": "none"}, settings))
    assert (free["productGroupNumber"], free["salesPrice"]) == (2, Decimal("129.00"))


def test_iex_map_shows_an_oss_invoice_for_a_fixture_order(tmp_path, settings):
    settings_file = tmp_path / "settings.yaml"
    settings_file.write_text(json.dumps(settings, default=str), encoding="utf-8")
    (tmp_path / "steps.json").write_text(json.dumps({"customer": {"customerNumber": 42}}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["map", str(MAPPINGS / "invoice.yaml"), "--input", str(FIXTURES / "order-10233-de-oss.json"),
                                      "--settings", str(settings_file), "--steps", str(tmp_path / "steps.json")])
    assert result.exit_code == 0, result.output
    invoice = json.loads(result.output, parse_float=Decimal)
    assert invoice["recipient"]["vatZone"] == {"vatZoneNumber": 2}
    assert {line["product"]["productNumber"] for line in invoice["lines"]} == {"OSS-DE"}
    assert invoice["lines"][0]["description"] == "TSHIRT-M T-shirt Kaffebaren - M"
    assert (invoice["customer"], invoice["currency"]) == ({"customerNumber": 42}, "EUR")


def test_the_settings_reference_lists_every_setting_with_its_title(recipe):
    text = (ROOT / "docs" / "recipes" / "woocommerce-economic.md").read_text(encoding="utf-8")
    for name, spec in recipe.settings_schema["properties"].items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"{name} is missing from the settings reference"
        assert f"**{spec['title']}.**" in row


def test_the_example_instance_loads_with_its_references_set(monkeypatch):
    from engine.instance import load_instance

    for name in ("WOO_KEY", "WOO_SECRET", "WOO_WEBHOOK_SECRET", "ECONOMIC_APP_SECRET", "ECONOMIC_GRANT"):
        monkeypatch.setenv(name, f"value-of-{name.lower()}")
    instance = load_instance(ROOT / "iex.yaml.example")
    webshop = instance.integrations["webshop"]
    assert webshop.recipe.name == "woocommerce-economic" and webshop.settings["start_date"] == "2025-03-01"
    assert webshop.connections["shop"].settings["consumer_key"].reveal() == "value-of-woo_key"
    assert str(webshop.connections["economic"].settings["agreement_grant_token"]) == "***"


def _broken(orders, note):
    return next(order for order in orders if _note(order) == note)


def test_an_order_line_without_sku_or_with_a_quantity_below_one_is_refused(shop, settings, mappings):
    orders, _ = shop
    no_sku = _broken(orders, "missing-sku")
    with pytest.raises(DataError) as caught:
        mappings["invoice"].evaluate(_context(no_sku, settings, customer={"customerNumber": 7}))
    assert caught.value.field_path == "lines[0].product.productNumber"
    assert "has no SKU and no default product is set" in caught.value.message
    with_default = mappings["invoice"].evaluate(_context(no_sku, {**settings, "default_product": "DIV"},
                                                         customer={"customerNumber": 7}))
    assert with_default["lines"][0]["product"] == {"productNumber": "DIV"}
    negative = _broken(orders, "negative-quantity")
    index = next(i for i, line in enumerate(negative["line_items"]) if line["quantity"] < 0)
    with pytest.raises(DataError) as caught:
        mappings["invoice"].evaluate(_context(negative, settings, customer={"customerNumber": 7}))
    assert caught.value.field_path == f"lines[{index}].quantity"
    assert "has quantity -1; an order line must have a quantity of at least 1" in caught.value.message


def test_each_order_ensures_the_products_of_its_lines(shop, settings, mappings):
    orders, refunds = shop
    order = next(o for o in orders if len(o["line_items"]) > 1 and not _note(o))
    products = mappings["products"].evaluate(_context(order, settings))["products"]
    assert [p["productNumber"] for p in products] == [line["sku"] for line in order["line_items"]]
    assert all(p["create"] is True and "salesPrice" not in p and p["productGroupNumber"] in (1, 2) for p in products)
    no_sku = _broken(orders, "missing-sku")
    assert len(mappings["products"].evaluate(_context(no_sku, settings))["products"]) == len(no_sku["line_items"]) - 1
    stand_in = mappings["products"].evaluate(_context(no_sku, {**settings, "default_product": "DIV"}))["products"][0]
    assert (stand_in["productNumber"], stand_in["default_product_number"]) == (None, "DIV")
    refund = next(r for r in refunds if r["line_items"])
    returned = mappings["products"].evaluate(_context(refund, settings))["products"]
    assert [p["productNumber"] for p in returned] == [line["sku"] for line in refund["line_items"]]


def test_lines_use_the_product_the_products_step_ensured(shop, settings, mappings):
    orders, _ = shop
    order = next(o for o in orders if o["billing"]["country"] == "DK" and not _note(o))
    sku = order["line_items"][0]["sku"]
    ensured = {"by_sku": {sku: {"productNumber": "DIV", "used_default": True}}}
    invoice = mappings["invoice"].evaluate(_context(order, settings, customer={"customerNumber": 7}, products=ensured))
    assert invoice["lines"][0]["product"] == {"productNumber": "DIV"}


def test_public_buyers_get_their_person_reference_as_contact_and_countries_are_named(shop, settings, mappings):
    orders, _ = shop
    public = next(o for o in orders if any(m["key"] == "_billing_ean" for m in o["meta_data"]) and not _note(o))
    reference = next(m["value"] for m in public["meta_data"] if m["key"] == "_billing_ean_reference")
    customer = mappings["customer"].evaluate(_context(public, settings))
    assert customer["contact"]["name"] == reference and customer["customer"]["country"] == "Denmark"
    invoice = mappings["invoice"].evaluate(_context(public, settings, customer={"customerNumber": 7, "contactNumber": 3}))
    assert invoice["references"]["customerContact"] == {"customerContactNumber": 3}
    assert invoice["recipient"]["attention"] == {"customerContactNumber": 3}
    consumer = next(o for o in orders if o["billing"]["country"] == "DE" and not _note(o))
    assert "contact" not in mappings["customer"].evaluate(_context(consumer, settings))
    plain = mappings["invoice"].evaluate(_context(consumer, settings, customer={"customerNumber": 7}))
    assert plain["recipient"]["country"] == "Germany" and "attention" not in plain["recipient"]


def test_one_buyers_orders_share_a_lane_so_they_run_in_order() -> None:
    """Orders of one buyer (by billing email, any case) run one after another, so the
    customer's kept-up-to-date fields end with the newest order's; others run in parallel."""
    from engine.recipe import load_recipe

    lane = load_recipe(ROOT / "recipes" / "woocommerce-economic.yaml").flows["orders"].concurrency_key
    first = {"id": 1, "billing": {"email": "Mette@Example.dk"}}
    second = {"id": 2, "billing": {"email": "mette@example.dk"}}
    other = {"id": 3, "billing": {"email": "bo@example.dk"}}
    no_email = {"id": 4, "billing": {"email": ""}}
    assert lane.evaluate({"record": first}) == lane.evaluate({"record": second}) == "mette@example.dk"
    assert lane.evaluate({"record": other}) != lane.evaluate({"record": first})
    assert lane.evaluate({"record": no_email}) == "4"
