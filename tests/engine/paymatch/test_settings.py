"""settings.paymatch: checked against its schema, defaults applied, rules in order."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from engine.errors import ConfigError
from engine.paymatch import parse_settings, settings_schema


def test_defaults(kit):
    data = copy.deepcopy(kit.SETTINGS)
    del data["rules"], data["accounts"]["chargebacks"]
    settings = parse_settings(data)
    assert (settings.mode, settings.format, settings.book) == ("itemised", "stripe_itemized", False)
    assert settings.accounts["chargebacks"] == settings.accounts["adjustments"] == 5850   # suspense
    assert [r.by for r in settings.rules] == ["transaction_id", "order_ref"]
    assert (settings.invoice_flow, settings.invoice_step) == ("orders", "invoice")
    assert (settings.credit_note_flow, settings.credit_note_step) == ("refunds", "credit_note")


def test_the_flows_that_book_invoices_and_credit_notes_can_be_named(kit):
    settings = kit.settings(invoices={"flow": "sales", "credit_notes": {"flow": "returns", "step": "note"}})
    assert (settings.invoice_flow, settings.invoice_step) == ("sales", "invoice")
    assert (settings.credit_note_flow, settings.credit_note_step) == ("returns", "note")
    with pytest.raises(ConfigError, match="credit_notes: Additional properties"):
        kit.settings(invoices={"credit_notes": {"flows": "returns"}})


def test_rules_keep_their_order_and_tolerances(kit):
    rules = kit.settings().rules
    assert [(r.name, r.mode) for r in rules] == [("transaction_id", "auto"), ("order_ref", "auto"),
                                                 ("amount_date", "review")]
    assert rules[0].tolerance.absolute == Decimal("0.50") and rules[2].date_window_days == 3


@pytest.mark.parametrize(("change", "message"), [
    ({"accounts": {"bank": 5820}}, "paymatch settings.accounts: 'clearing' is a required property"),
    ({"mode": "itemized"}, "paymatch settings.mode: 'itemized' is not one of ['itemised', 'pooled']"),
    ({"rules": [{"by": "iban"}]}, "paymatch settings.rules.0.by: 'iban' is not one of"),
    ({"journal": {"number": 0}}, "paymatch settings.journal.number: 0 is less than the minimum of 1"),
])
def test_wrong_settings_are_config_errors(kit, change, message):
    data = copy.deepcopy(kit.SETTINGS)
    data.update(change)
    with pytest.raises(ConfigError) as err:
        parse_settings(data)
    assert str(err.value).startswith(message)
    assert "customer" in err.value.who


def test_the_schema_is_draft_2020_12_and_closed():
    schema = settings_schema()
    assert schema["$schema"].endswith("2020-12/schema") and schema["additionalProperties"] is False
