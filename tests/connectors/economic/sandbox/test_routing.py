"""What every numbered master-data resource shares (customers, products): the body must be one
JSON object, a new document's number must be free (E04330), a PUT's number must be the one in
the URL (E04395), and a create answers 201 with the new document's ``self`` as ``Location``."""

from __future__ import annotations

from typing import Any

import pytest

CUSTOMER = {"name": "Tøj & Co", "currency": "DKK", "customerGroup": {"customerGroupNumber": 1},
            "paymentTerms": {"paymentTermsNumber": 1}, "vatZone": {"vatZoneNumber": 1}}
PRODUCT = {"name": "Te", "productGroup": {"productGroupNumber": 1}}

# (collection, number field, a number the seeded agreement has, a free one, its document)
RESOURCES = [
    pytest.param("/customers", "customerNumber", 1, 4242, CUSTOMER, id="customers"),
    pytest.param("/products", "productNumber", "100", "TEA-1", PRODUCT, id="products"),
]


def _errors(api: Any, response: Any, field: str) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.text
    return api.json(response)["errors"][field]["errors"]


@pytest.mark.parametrize("path, field, taken, free, body", RESOURCES)
def test_number_identity_rules(api: Any, path: str, field: str, taken: Any, free: Any, body: dict[str, Any]) -> None:
    [in_use] = _errors(api, api.post(path, {**body, field: taken}), field)
    assert (in_use["errorCode"], in_use["message"]) == ("E04330", f"{field} {taken} is already in use.")
    made = api.post(path, {**body, field: free})
    assert made.status_code == 201 and made.headers["Location"] == api.json(made)["self"]
    [other] = _errors(api, api.put(f"{path}/{free}", {**body, field: taken}), field)
    assert (other["errorCode"], other["message"]) == ("E04395", f"{field} must match the number in the URL.")
    assert api.ok(api.get(f"{path}/{free}"))[field] == free          # the refused PUT changed nothing


@pytest.mark.parametrize("path, field, taken, free, body", RESOURCES)
def test_a_body_that_is_not_one_object_is_refused(api: Any, path: str, field: str, taken: Any, free: Any,
                                                 body: dict[str, Any]) -> None:
    refused = api.post(path, [{**body, field: free}])
    assert refused.status_code == 400
    assert api.json(refused)["message"] == "The request body must be a JSON object."
    assert api.get(f"{path}/{free}").status_code == 404
