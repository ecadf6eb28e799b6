"""VAT settings: zones from country and B2B/B2C, OSS at the destination rate, prices with and
without tax, the VAT country, currencies, and the totals check that catches a wrong setup."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.woocommerce.sandbox.taxes import RATES

LINES = [{"sku": "KAF-500", "quantity": 2}, {"sku": "KRUS-BLAA", "quantity": 3}, {"sku": "TE-24", "quantity": 1}]


def _money(value):
    return Decimal(str(value))


def _assert_totals(invoice, order):
    assert _money(invoice["grossAmount"]) == _money(order["total"])
    assert abs(_money(invoice["vatAmount"]) - _money(order["total_tax"])) <= Decimal("0.10")


@pytest.mark.parametrize("prices_include_tax", [True, False])
@pytest.mark.parametrize("coupon", [None, {"code": "KAFFE15", "kind": "percent", "amount": "15"},
                                    {"code": "SOMMER50", "kind": "fixed_cart", "amount": "50"}])
def test_domestic_sales_at_25_percent_with_and_without_tax_in_prices(shop_factory, integration_factory, economic,
                                                                      prices_include_tax, coupon):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, prices_include_tax=prices_include_tax, coupon=coupon,
                              shipping="home", payment_method="mobilepay", fee={"name": "MobilePay-gebyr", "amount": "3.96"})
    integration_factory(shop).run()
    invoice = economic.invoice(order)
    _assert_totals(invoice, order)
    assert invoice["recipient"]["vatZone"]["vatZoneNumber"] == 1
    products = [li["product"]["productNumber"] for li in invoice["lines"]]
    assert products[:4] == ["KAF-500", "KRUS-BLAA", "TE-24", "FRAGT"] and "GEBYR" in products
    assert {_money(li["vatRate"]) for li in invoice["lines"] if li["product"]["productNumber"] != "AFRUND"} == {Decimal(25)}


@pytest.mark.parametrize("country", ["DE", "SE", "FR", "NL", "FI", "IT", "ES"])
def test_eu_consumers_pay_their_countrys_vat_through_oss(shop_factory, integration_factory, economic, country):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, currency="EUR", shipping="international",
                              billing={"country": country, "email": f"kunde@example.{country.lower()}"})
    integration_factory(shop).run()
    invoice = economic.invoice(order)
    _assert_totals(invoice, order)
    assert invoice["recipient"]["vatZone"]["vatZoneNumber"] == 2
    taxed = [li for li in invoice["lines"] if li["product"]["productNumber"] != "AFRUND"]
    assert {li["product"]["productNumber"] for li in taxed} == {f"OSS-{country}"}
    assert {_money(li["vatRate"]) for li in taxed} == {RATES[country].percent}
    assert [li["description"] for li in taxed][:2] == ["KAF-500 Økologisk kaffe, hele bønner 500 g", "KRUS-BLAA Krus stentøj - Blå"]
    oss = economic.products()[f"OSS-{country}"]
    assert oss["productGroup"]["productGroupNumber"] == {"DE": 1006, "SE": 1024, "FR": 1011, "NL": 1020, "FI": 1010,
                                                          "IT": 1015, "ES": 1009}[country]


def test_with_oss_off_an_eu_consumer_is_a_domestic_sale_and_a_shop_charging_oss_is_caught(shop_factory, integration_factory,
                                                                                          economic):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, currency="EUR", billing={"country": "DE"})   # the shop charged 19 %
    integration = integration_factory(shop, {"oss": False})
    integration.run()
    [letter] = integration.dead_letters()
    assert (letter.record_key, letter.step, letter.field_path) == (str(order["id"]), "invoice", "expected.vat")
    assert "VAT differs" in letter.message and "left for review" in letter.message
    [draft] = economic.documents("orders", order["id"], "invoice", booked=False)
    assert draft["recipient"]["vatZone"]["vatZoneNumber"] == 1


def test_eu_companies_with_a_vat_number_are_reverse_charged(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, currency="EUR", vat_exempt=True, shipping="international",
                              billing={"country": "SE", "company": "Kaffehuset AB"},
                              meta_data=[{"key": "_billing_vat_number", "value": "SE556677889901"}])
    integration_factory(shop).run()
    invoice = economic.invoice(order)
    _assert_totals(invoice, order)
    assert (invoice["recipient"]["vatZone"]["vatZoneNumber"], _money(invoice["vatAmount"])) == (2, 0)
    assert [li["product"]["productNumber"] for li in invoice["lines"]][:3] == ["KAF-500", "KRUS-BLAA", "TE-24"]


def test_an_eu_company_the_shop_taxed_is_an_oss_sale(shop_factory, integration_factory, economic):
    """A VAT number the shop did not accept (it charged VAT): what the shop charged decides."""
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, currency="EUR", billing={"country": "NL", "company": "Koffie BV"},
                              meta_data=[{"key": "_billing_vat_number", "value": "NL123456789B01"}])
    integration_factory(shop).run()
    invoice = economic.invoice(order)
    _assert_totals(invoice, order)
    assert {li["product"]["productNumber"] for li in invoice["lines"] if li["product"]["productNumber"] != "AFRUND"} == {"OSS-NL"}


@pytest.mark.parametrize("country", ["NO", "GB", "US"])
def test_sales_outside_the_eu_are_exports_without_vat(shop_factory, integration_factory, economic, country):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, shipping="international", billing={"country": country})
    integration_factory(shop).run()
    invoice = economic.invoice(order)
    _assert_totals(invoice, order)
    assert (invoice["recipient"]["vatZone"]["vatZoneNumber"], _money(invoice["vatAmount"])) == (3, 0)


@pytest.mark.parametrize(("tax_based_on", "booked"), [("billing", True), ("shipping", False)])
def test_the_vat_country_comes_from_the_address_the_shop_taxes_by(shop_factory, integration_factory, economic,
                                                                   tax_based_on, booked):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, currency="EUR", billing={"country": "DE"})   # taxed by billing: 19 %
    shop.update_order(order["id"], {"shipping": {"country": "DK"}})                          # delivered to Denmark
    integration = integration_factory(shop, {"tax_based_on": tax_based_on})
    integration.run()
    if booked:
        assert {li["product"]["productNumber"] for li in economic.invoice(order)["lines"]} <= {"OSS-DE", "AFRUND"}
    else:   # the shop's tax setting and the recipe's disagree: caught before booking
        [letter] = integration.dead_letters()
        assert letter.field_path == "expected.vat"


@pytest.mark.parametrize(("currency", "rate"), [("EUR", Decimal("746.08")), ("SEK", Decimal("64.52"))])
def test_foreign_currency_invoices_at_economics_rate(shop_factory, integration_factory, economic, currency, rate):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, currency=currency)
    integration_factory(shop).run()
    invoice = economic.invoice(order)
    _assert_totals(invoice, order)
    assert (invoice["currency"], _money(invoice["exchangeRate"])) == (currency, rate)



def test_a_shop_in_another_home_country_treats_its_own_buyers_as_domestic(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, currency="SEK", billing={"country": "SE"})     # taxed 25 %
    integration_factory(shop, {"home_country": "SE"}).run()
    invoice = economic.invoice(order)
    _assert_totals(invoice, order)
    assert invoice["recipient"]["vatZone"]["vatZoneNumber"] == 1
    assert not any(li["product"]["productNumber"].startswith("OSS-") for li in invoice["lines"])


def test_the_agreements_own_vat_zone_numbers(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, billing={"country": "US"})
    integration_factory(shop, {"vat_zone_abroad": 4}).run()       # e.g. an agreement numbering zones differently
    invoice = economic.invoice(order)
    _assert_totals(invoice, order)
    assert invoice["recipient"]["vatZone"]["vatZoneNumber"] == 4


def test_oss_products_named_and_grouped_as_the_agreement_has_them(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=LINES, currency="EUR", billing={"country": "DE"})
    groups = {"DE": 1006, "SE": 1024}
    integration_factory(shop, {"oss_product_prefix": "EU-MOMS-", "oss_product_groups": groups}).run()
    invoice = economic.invoice(order)
    _assert_totals(invoice, order)
    assert {li["product"]["productNumber"] for li in invoice["lines"]} <= {"EU-MOMS-DE", "AFRUND"}
    assert economic.products()["EU-MOMS-DE"]["productGroup"]["productGroupNumber"] == 1006
