"""Orders: draft -> sent -> upgraded to a draft invoice, which archives the order."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any


def test_order_lifecycle_into_an_invoice(api: Any) -> None:
    order = api.ok(api.post("/orders/drafts", api.draft([api.line("100", "2", "50.00")], references={"other": "sub-9"})), 201)
    number = order["orderNumber"]
    assert order["grossAmount"] == D("125.00") and order["self"].endswith(f"/orders/drafts/{number}")
    sent = api.ok(api.post("/orders/sent", order), 201)
    assert sent["self"].endswith(f"/orders/sent/{number}") and api.get(f"/orders/drafts/{number}").status_code == 404
    back = api.ok(api.post("/orders/drafts", sent), 201)
    assert back["orderNumber"] == number and api.collection("/orders/sent") == []
    body = api.ok(api.get(f"/orders/drafts/{number}/templates/upgrade-instructions/draftInvoice"))
    draft = api.ok(api.post("/invoices/drafts", body), 201)
    assert draft["grossAmount"] == D("125.00") and draft["references"]["other"] == "sub-9"
    assert [o["orderNumber"] for o in api.collection("/orders/archived")] == [number]
    assert api.collection("/orders/drafts") == []


def test_orders_follow_the_draft_rules(api: Any) -> None:
    response = api.post("/orders/drafts", {"currency": "DKK"})
    assert response.status_code == 400 and "customer" in api.json(response)["errors"]


def test_delete_is_204_then_404(api: Any) -> None:
    number = api.ok(api.post("/orders/drafts", api.draft([api.line("100", "1", "1.00")])), 201)["orderNumber"]
    assert api.delete(f"/orders/drafts/{number}").status_code == 204
    assert api.delete(f"/orders/drafts/{number}").status_code == 404
