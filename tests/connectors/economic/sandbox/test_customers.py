"""Customers over HTTP: creation, numbering, the 400 validation body, references by number or
self link, PUT replacing the document, contacts, delete rules."""

from __future__ import annotations

from typing import Any

NEW = {"name": "Ny Kunde ApS", "currency": "DKK", "customerGroup": {"customerGroupNumber": 1},
       "paymentTerms": {"paymentTermsNumber": 1}, "vatZone": {"vatZoneNumber": 1}, "email": "ny@kunde.dk"}


def test_create_answers_201_with_location_and_the_stored_customer(api: Any) -> None:
    response = api.post("/customers", NEW)
    body = api.ok(response, 201)
    assert response.headers["Location"] == body["self"] == f"{api.sandbox.url}/customers/{body['customerNumber']}"
    assert body["customerNumber"] == 3  # next free number after the seeded 1 and 2
    assert body["vatZone"]["self"].endswith("/vat-zones/1") and body["balance"] == 0
    assert api.ok(api.get(f"/customers/{body['customerNumber']}"))["email"] == "ny@kunde.dk"


def test_missing_required_fields_are_listed_in_the_validation_body(api: Any) -> None:
    response = api.post("/customers", {"email": "x@y.dk"})
    assert response.status_code == 400
    body = api.json(response)
    assert body["message"] == "Validation error." and body["httpStatusCode"] == 400
    assert {"logId", "logTime", "developerHint", "errorCode"} <= set(body)
    assert set(body["errors"]) == {"currency", "customerGroup", "name", "paymentTerms", "vatZone"}
    assert body["errors"]["name"]["errors"][0]["errorCode"] == "E04300"


def test_unknown_references_get_e06000_with_the_value(api: Any) -> None:
    response = api.post("/customers", {**NEW, "currency": "ZUL", "vatZone": {"vatZoneNumber": 9}})
    errors = api.json(response)["errors"]
    assert errors["currency"]["errors"][0] == {
        "errorCode": "E06000", "message": "currency does not exist.", "value": "ZUL",
        "developerHint": "Find a list of currencies at https://restapi.e-conomic.com/currencies."}
    assert errors["vatZone"]["errors"][0]["errorCode"] == "E06000"


def test_too_long_values_are_refused(api: Any) -> None:
    response = api.post("/customers", {**NEW, "name": "x" * 256, "zip": "1" * 31})
    errors = api.json(response)["errors"]
    assert set(errors) == {"name", "zip"} and "255" in errors["name"]["errors"][0]["message"]


def test_references_may_be_given_by_self_link(api: Any) -> None:
    body = {**NEW, "customerGroup": {"self": f"{api.sandbox.url}/customer-groups/2"}}
    created = api.ok(api.post("/customers", body), 201)
    assert created["customerGroup"]["customerGroupNumber"] == 2


def test_chosen_customer_number_and_duplicates(api: Any) -> None:
    api.ok(api.post("/customers", {**NEW, "customerNumber": 5000}), 201)
    again = api.post("/customers", {**NEW, "customerNumber": 5000})
    assert again.status_code == 400 and "customerNumber" in api.json(again)["errors"]


def test_put_replaces_the_whole_document(api: Any) -> None:
    api.ok(api.put("/customers/1", {**NEW, "name": "Omdøbt"}))
    after = api.ok(api.get("/customers/1"))
    assert after["name"] == "Omdøbt" and "address" not in after  # not sent, so gone


def test_contacts_belong_to_their_customer(api: Any) -> None:
    contact = api.ok(api.post("/customers/1/contacts", {"name": "Jens", "email": "jens@tojco.dk"}), 201)
    assert contact["self"] == f"{api.sandbox.url}/customers/1/contacts/{contact['customerContactNumber']}"
    assert [c["name"] for c in api.collection("/customers/1/contacts")] == ["Jens"]
    assert api.collection("/customers/2/contacts") == []
    assert api.post("/customers/1/contacts", {"email": "x"}).status_code == 400


def test_delete_is_204_then_404_and_refused_for_customers_with_invoices(api: Any) -> None:
    number = api.ok(api.post("/customers", NEW), 201)["customerNumber"]
    assert api.delete(f"/customers/{number}").status_code == 204
    assert api.get(f"/customers/{number}").status_code == 404
    api.invoice([api.line("100", "1", "10.00")])
    refused = api.delete("/customers/1")
    assert refused.status_code == 400 and "cannot be deleted" in api.json(refused)["message"]


def test_invoice_template_prefills_a_draft(api: Any) -> None:
    template = api.ok(api.get("/customers/1/templates/invoice"))
    template["lines"] = [api.line("100", "1", "10.00")]
    draft = api.ok(api.post("/invoices/drafts", template), 201)
    assert draft["recipient"]["name"] == "Tøj & Co Grossisten" and draft["paymentTerms"]["name"] == "Netto 8 dage"
