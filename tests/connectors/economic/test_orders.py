"""create_order against the sandbox: the draft lands in /orders/drafts; the finder finds it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any


from connectors.economic.connector import EconomicConnector
from connectors.economic.testing import Probe, context



def order(reference: str) -> dict[str, Any]:
    return {"date": dt.date.today().isoformat(), "currency": "DKK", "customer": {"customerNumber": 1},
            "paymentTerms": {"paymentTermsNumber": 1}, "layout": {"layoutNumber": 19},
            "recipient": {"name": "Tøj & Co", "vatZone": {"vatZoneNumber": 1}}, "references": {"other": reference},
            "lines": [{"product": {"productNumber": "100"}, "description": "T-shirt", "quantity": D("1"), "unitNetPrice": D("159.20")}]}


def test_an_order_is_created_and_found_again_by_its_reference(eco: EconomicConnector, economic_sandbox: Any) -> None:
    probe = Probe(economic_sandbox.url)
    assert eco.find_effect("create_order", order("woo-3001"), context("3001")) is None
    result = eco.create_order(order("woo-3001"), context("3001"))
    stored = probe.get(f"/orders/drafts/{result['orderNumber']}")
    assert stored["references"]["other"] == "woo-3001" and stored["grossAmount"] == D("199.00")
    assert result["grossAmount"] == D("199.00")
    found = eco.find_effect("create_order", order("woo-3001"), context("3001"))
    assert found is not None and found["orderNumber"] == result["orderNumber"]
    assert probe.collection("/invoices/drafts") == []  # an order is not an invoice
    probe.close()
