"""The declared input schemas accept what the recipes' mappings produce (Decimal amounts, e-conomic
shapes) and refuse misspelt fields, so `iex validate` can point at a typo before any run."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import jsonschema
import pytest

from connectors.economic.connector import EconomicConnector

SAMPLES: dict[str, dict[str, Any]] = {
    "find_or_create_customer": {"match": {"field": "email", "value": "a@b.dk"}, "create": True, "update_fields": ["name"],
                                "customer": {"name": "A", "currency": "DKK", "customerGroup": {"customerGroupNumber": 4},
                                             "paymentTerms": {"paymentTermsNumber": 1}, "vatZone": {"vatZoneNumber": 1}},
                                "contact": {"name": "Mette Juul", "email": "mj@aarhus.dk", "phone": None}},
    "ensure_products": {"products": [{"productNumber": "SKU-1", "name": "Hue", "productGroupNumber": 1},
                                     {"productNumber": None, "default_product_number": "DIV"}]},
    "ensure_product": {"productNumber": "SKU-1", "name": "Hue", "productGroupNumber": 1, "salesPrice": D("79.96"),
                       "create": False, "default_product_number": "DIV"},
    "create_invoice": {"date": "2024-05-01", "currency": "DKK", "customer": {"customerNumber": 7},
                       "paymentTerms": {"paymentTermsNumber": 1}, "layout": {"layoutNumber": 19},
                       "recipient": {"name": "A", "vatZone": {"vatZoneNumber": 1}}, "references": {"other": "woo-1"},
                       "lines": [{"product": {"productNumber": "SKU-1"}, "quantity": D("2"), "unitNetPrice": "79.96"}],
                       "book": True, "expected": {"gross": D("199.90"), "vat": D("39.98"), "currency": "DKK"},
                       "tolerance": D("0.10"), "rounding_product_number": "DIFF", "send_by": "none"},
    "create_credit_note": {"invoice_number": 10001, "amount": D("50"), "vat_included": True,
                           "refund_product_number": "REFUND", "book": True, "references": {"other": "refund-1"}},
    "post_vouchers": {"journalNumber": 2, "vouchers": [{"reference": "po_1", "entries": {"customerPayments": [
        {"customer": {"customerNumber": 7}, "amount": D("-199.90"), "date": "2024-05-02", "customerInvoice": 10001}]}}]},
    "book_journal": {"journalNumber": 2},
    "get_invoice_pdf": {"bookedInvoiceNumber": 10001, "path": "out/10001.pdf"},
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_typical_mapped_input_is_valid(name: str) -> None:
    schema = EconomicConnector.actions()[name].input_schema
    jsonschema.Draft202012Validator(schema).validate(SAMPLES[name])


def test_every_action_has_a_sample_and_every_property_a_description() -> None:
    assert set(SAMPLES) == set(EconomicConnector.actions()) - {"create_order"}
    for name, spec in EconomicConnector.actions().items():
        for prop, sub in spec.input_schema["properties"].items():
            assert sub.get("description"), f"{name}.{prop} has no description"
    for prop, sub in EconomicConnector.settings_schema["properties"].items():
        assert sub.get("description"), f"settings.{prop} has no description"


def test_a_misspelt_field_is_refused() -> None:
    schema = EconomicConnector.actions()["create_invoice"].input_schema
    wrong = {**SAMPLES["create_invoice"], "tolerence": D("0.10")}
    with pytest.raises(jsonschema.ValidationError, match="tolerence"):
        jsonschema.Draft202012Validator(schema).validate(wrong)


def test_secrets_are_marked_and_only_they() -> None:
    assert EconomicConnector.secret_fields() == {"app_secret_token", "agreement_grant_token"}
