"""Customer settings: B2C, B2B and EAN rules (match field or one common customer, create and update
switches with per-field updates, customer group, VAT zone and payment terms defaults)."""

from __future__ import annotations

from decimal import Decimal

import pytest

KAFFE = [{"sku": "KAF-500", "quantity": 1}]
SEED_COMPANY_CVR, SEED_COMPANY = "29403473", 1          # Tøj & Co Grossisten in the sandbox agreement
SEED_EU_VAT, SEED_EU_COMPANY = "DE123456789", 2         # Müller Handels GmbH


def _meta(**values):
    keys = {"cvr": "_billing_cvr", "vat": "_billing_vat_number", "ean": "_billing_ean",
            "person": "_billing_ean_reference", "po": "_billing_po_number"}
    return [{"key": keys[k], "value": v} for k, v in values.items()]


def _customer_of(economic, order):
    return economic.customer(economic.invoice(order)["customer"]["customerNumber"])


def test_consumers_are_matched_on_email_and_created_once(shop_factory, integration_factory, economic):
    shop = shop_factory()
    first = shop.create_order(line_items=KAFFE, billing={"email": "ida@example.net", "first_name": "Ida", "last_name": "Holm"})
    again = shop.create_order(line_items=KAFFE, billing={"email": "IDA@example.net", "first_name": "Ida", "last_name": "Holm"})
    before = len(economic.customers())
    integration_factory(shop).run()
    customer = _customer_of(economic, first)
    assert _customer_of(economic, again)["customerNumber"] == customer["customerNumber"]
    assert len(economic.customers()) == before + 1
    assert (customer["name"], customer["email"], customer["customerGroup"]["customerGroupNumber"],
            customer["vatZone"]["vatZoneNumber"], customer["paymentTerms"]["paymentTermsNumber"]) == (
        "Ida Holm", "ida@example.net", 4, 1, 3)   # B2C group, domestic zone, the card payment's terms


@pytest.mark.parametrize(("update_fields", "expected"), [
    (None, "Havnegade 2"),                      # default: address fields are kept up to date
    ([], "Vestergade 12"),
])
def test_an_existing_consumer_is_updated_only_in_the_allowed_fields(shop_factory, integration_factory, economic,
                                                                     update_fields, expected):
    shop = shop_factory()
    shop.create_order(line_items=KAFFE, billing={"email": "bo@example.net", "address_1": "Vestergade 12"})
    moved = shop.create_order(line_items=KAFFE, billing={"email": "bo@example.net", "address_1": "Havnegade 2",
                                                         "phone": "+45 11223344"})
    integration_factory(shop, {} if update_fields is None else {"b2c_update_fields": update_fields}).run()
    assert _customer_of(economic, moved)["address"] == expected


def test_consumers_matched_on_phone(shop_factory, integration_factory, economic):
    shop = shop_factory()
    one = shop.create_order(line_items=KAFFE, billing={"email": "a@example.net", "phone": "+45 40404040"})
    two = shop.create_order(line_items=KAFFE, billing={"email": "b@example.net", "phone": "+45 40404040"})
    integration_factory(shop, {"b2c_match": "telephoneAndFaxNumber"}).run()
    assert _customer_of(economic, one)["customerNumber"] == _customer_of(economic, two)["customerNumber"]


def test_one_common_customer_for_consumers_keeps_the_buyer_on_the_invoice(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=KAFFE, billing={"first_name": "Lone", "last_name": "Dam", "city": "Vejle"})
    before = len(economic.customers())
    integration_factory(shop, {"b2c_common_customer": SEED_COMPANY}).run()
    invoice = economic.invoice(order)
    assert invoice["customer"]["customerNumber"] == SEED_COMPANY
    assert (invoice["recipient"]["name"], invoice["recipient"]["city"]) == ("Lone Dam", "Vejle")
    assert len(economic.customers()) == before


def test_creating_consumers_off_dead_letters_an_unknown_buyer(shop_factory, integration_factory, economic):
    shop = shop_factory()
    known = shop.create_order(line_items=KAFFE, billing={"email": "bogholderi@tojco.dk"})
    unknown = shop.create_order(line_items=KAFFE, billing={"email": "new@example.net"})
    integration = integration_factory(shop, {"b2c_create": False})
    integration.run()
    assert economic.invoice(known)["customer"]["customerNumber"] == SEED_COMPANY
    [letter] = integration.dead_letters()
    assert (letter.record_key, letter.step, letter.field_path) == (str(unknown["id"]), "customer", "match.email")
    assert "creating customers is switched off" in letter.message


def test_customer_group_by_where_the_buyer_lives(shop_factory, integration_factory, economic):
    shop = shop_factory()
    orders = {
        "DK": shop.create_order(line_items=KAFFE, billing={"email": "dk@example.net"}),
        "DE": shop.create_order(line_items=KAFFE, currency="EUR", billing={"email": "de@example.net", "country": "DE"}),
        "NO": shop.create_order(line_items=KAFFE, billing={"email": "no@example.net", "country": "NO"}),
    }
    integration_factory(shop, {"b2c_customer_group": {"domestic": 1, "eu": 2, "abroad": 3}}).run()
    groups = {c: _customer_of(economic, o)["customerGroup"]["customerGroupNumber"] for c, o in orders.items()}
    zones = {c: _customer_of(economic, o)["vatZone"]["vatZoneNumber"] for c, o in orders.items()}
    assert (groups, zones) == ({"DK": 1, "DE": 2, "NO": 3}, {"DK": 1, "DE": 2, "NO": 3})


def test_companies_are_matched_on_cvr_or_vat_number(shop_factory, integration_factory, economic):
    shop = shop_factory()
    dk = shop.create_order(line_items=KAFFE, billing={"company": "Tøj & Co", "email": "indkob@tojco.dk"},
                           meta_data=_meta(cvr=SEED_COMPANY_CVR))
    de = shop.create_order(line_items=KAFFE, currency="EUR", vat_exempt=True,
                           billing={"company": "Müller Handels GmbH", "country": "DE", "email": "einkauf@mueller.de"},
                           meta_data=_meta(vat="DE 123 456 789"))
    new = shop.create_order(line_items=KAFFE, billing={"company": "Bønnen ApS"}, meta_data=_meta(cvr="56347860"))
    integration_factory(shop).run()
    assert _customer_of(economic, dk)["customerNumber"] == SEED_COMPANY
    assert _customer_of(economic, de)["customerNumber"] == SEED_EU_COMPANY
    created = _customer_of(economic, new)
    assert (created["name"], created["corporateIdentificationNumber"], created["customerGroup"]["customerGroupNumber"],
            created["paymentTerms"]["paymentTermsNumber"]) == ("Bønnen ApS", "56347860", 1, 1)


def test_company_invoices_can_use_the_customers_own_payment_terms(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=KAFFE, payment_method="stripe", billing={"company": "Tøj & Co"},
                              meta_data=_meta(cvr=SEED_COMPANY_CVR))
    integration_factory(shop, {"b2b_invoice_terms": "customer"}).run()
    assert economic.invoice(order)["paymentTerms"]["paymentTermsNumber"] == 1      # the customer's Netto 8 dage


@pytest.mark.parametrize(("company_means_b2b", "group"), [(False, 4), (True, 1)])
def test_a_company_name_alone_makes_a_b2b_customer_when_asked(shop_factory, integration_factory, economic,
                                                               company_means_b2b, group):
    shop = shop_factory()
    order = shop.create_order(line_items=KAFFE, billing={"company": "Kontorhuset", "email": "kontor@example.net"})
    integration_factory(shop, {"b2b_when_company_name": company_means_b2b, "b2b_match": "email"}).run()
    assert _customer_of(economic, order)["customerGroup"]["customerGroupNumber"] == group


def _public_order(shop, **extra):
    return shop.create_order(line_items=KAFFE, payment_method="bacs", billing={"company": "Aarhus Kommune", "city": "Aarhus C"},
                             meta_data=_meta(ean="5798000416604", cvr="55133018", person="Mette Juul", po="REK-2025-0042"),
                             **extra)


def test_ean_customers_are_matched_on_ean_and_the_invoice_carries_the_references(shop_factory, integration_factory, economic):
    shop = shop_factory()
    first, second = _public_order(shop), _public_order(shop)
    integration_factory(shop, {"ean_send_by_ean": False}).run()
    customer = _customer_of(economic, first)
    assert _customer_of(economic, second)["customerNumber"] == customer["customerNumber"]
    assert (customer["ean"], customer["corporateIdentificationNumber"], customer["customerGroup"]["customerGroupNumber"],
            customer["paymentTerms"]["paymentTermsNumber"]) == ("5798000416604", "55133018", 1, 1)
    invoice = economic.invoice(first)
    assert invoice["recipient"]["ean"] == "5798000416604"
    assert invoice["notes"]["heading"] == f"Ordre {first['number']} · Rekvisition REK-2025-0042 · Att. Mette Juul"
    assert invoice["paymentTerms"]["paymentTermsNumber"] == 1
    assert economic.probe.collection("/invoices/sent") == []


def test_ean_invoices_are_sent_through_nemhandel(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = _public_order(shop)
    integration = integration_factory(shop)
    integration.run()
    assert integration.dead_letters() == []
    [sent] = economic.probe.collection("/invoices/sent")
    invoice = economic.invoice(order)
    assert sent["bookedInvoiceNumber"] == invoice["bookedInvoiceNumber"]
    customer = _customer_of(economic, order)
    [contact] = economic.probe.collection(f"/customers/{customer['customerNumber']}/contacts")
    assert contact["name"] == "Mette Juul"
    assert invoice["recipient"]["attention"]["customerContactNumber"] == contact["customerContactNumber"]
    again = _public_order(shop)                                  # the same person orders again: no second contact
    integration.run()
    assert economic.invoice(again)["references"]["customerContact"]["customerContactNumber"] == contact["customerContactNumber"]
    assert len(economic.probe.collection(f"/customers/{customer['customerNumber']}/contacts")) == 1
    assert len(economic.probe.collection("/invoices/sent")) == 2


def test_a_common_customer_for_public_buyers(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = _public_order(shop)
    integration_factory(shop, {"ean_common_customer": SEED_COMPANY, "ean_send_by_ean": False}).run()
    invoice = economic.invoice(order)
    assert invoice["customer"]["customerNumber"] == SEED_COMPANY
    assert (invoice["recipient"]["name"], invoice["recipient"]["ean"]) == ("Aarhus Kommune", "5798000416604")
    assert Decimal(str(invoice["grossAmount"])) == Decimal(order["total"])


@pytest.mark.parametrize("kind", ["b2c", "b2b", "ean"])
def test_each_kinds_defaults_for_new_customers(shop_factory, integration_factory, economic, kind):
    shop = shop_factory()
    meta = {"b2c": [], "b2b": _meta(cvr="56347860"), "ean": _meta(ean="5798000416604", cvr="55133018")}[kind]
    order = shop.create_order(line_items=KAFFE, payment_method="stripe", meta_data=meta,
                              billing={"company": "" if kind == "b2c" else "Kunde A/S", "email": "kunde@example.net"})
    integration_factory(shop, {f"{kind}_vat_zone": 4, f"{kind}_payment_terms": 2,
                               f"{kind}_customer_group": {"domestic": 5, "eu": 5, "abroad": 5},
                               "ean_send_by_ean": False}).run()
    customer = _customer_of(economic, order)
    assert (customer["vatZone"]["vatZoneNumber"], customer["paymentTerms"]["paymentTermsNumber"],
            customer["customerGroup"]["customerGroupNumber"]) == (4, 2, 5)
    assert economic.invoice(order)["recipient"]["vatZone"]["vatZoneNumber"] == 1     # the sale's zone, not the customer's


@pytest.mark.parametrize("kind", ["b2b", "ean"])
def test_company_and_public_rules_switch_creation_and_updates(shop_factory, integration_factory, economic, kind):
    shop = shop_factory()
    meta = _meta(cvr=SEED_COMPANY_CVR) if kind == "b2b" else _meta(ean="5798000416604")
    economic.probe.put(f"/customers/{SEED_COMPANY}", {**{k: v for k, v in economic.customer(SEED_COMPANY).items()
                                                         if k in ("name", "currency", "customerGroup", "paymentTerms",
                                                                  "vatZone", "corporateIdentificationNumber", "email")},
                                                      "ean": "5798000416604"})
    moved = shop.create_order(line_items=KAFFE, billing={"company": "Tøj & Co", "city": "Kolding", "postcode": "6000"},
                              meta_data=meta)
    stranger = shop.create_order(line_items=KAFFE, billing={"company": "Ny Kunde ApS"},
                                 meta_data=_meta(cvr="56347860") if kind == "b2b" else _meta(ean="5798000000014"))
    integration = integration_factory(shop, {f"{kind}_create": False, f"{kind}_update_fields": ["city", "zip"],
                                             "ean_send_by_ean": False})
    integration.run()
    customer = _customer_of(economic, moved)
    assert (customer["customerNumber"], customer["city"], customer["zip"]) == (SEED_COMPANY, "Kolding", "6000")
    [letter] = integration.dead_letters()
    assert letter.record_key == str(stranger["id"]) and "creating customers is switched off" in letter.message


def test_a_common_customer_for_companies(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=KAFFE, billing={"company": "Bønnen ApS"}, meta_data=_meta(cvr="56347860"))
    integration_factory(shop, {"b2b_common_customer": SEED_COMPANY}).run()
    invoice = economic.invoice(order)
    assert (invoice["customer"]["customerNumber"], invoice["recipient"]["name"]) == (SEED_COMPANY, "Bønnen ApS")


def test_the_shops_own_meta_keys(shop_factory, integration_factory, economic):
    shop = shop_factory()
    order = shop.create_order(line_items=KAFFE, billing={"company": "Tøj & Co"},
                              meta_data=[{"key": "billing_cvr_nummer", "value": SEED_COMPANY_CVR}])
    integration_factory(shop, {"meta_key_cvr": "billing_cvr_nummer"}).run()
    assert _customer_of(economic, order)["customerNumber"] == SEED_COMPANY
