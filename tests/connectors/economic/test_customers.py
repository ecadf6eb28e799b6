"""find_or_create_customer against the sandbox: match, create, update, common customer, errors."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ConfigError, DataError

from connectors.economic.connector import EconomicConnector
from connectors.economic.testing import Probe, context, sandbox_connector

NEW_CUSTOMER = {
    "name": "Anna Jensen", "address": "Østergade 1", "zip": "8000", "city": "Aarhus C", "country": "Denmark",
    "currency": "DKK", "customerGroup": {"customerGroupNumber": 4}, "paymentTerms": {"paymentTermsNumber": 1},
    "vatZone": {"vatZoneNumber": 1},
}




def by_email(email: str, **extra: Any) -> dict[str, Any]:
    return {"match": {"field": "email", "value": email}, "customer": {**NEW_CUSTOMER, "email": email}, **extra}


def test_an_unknown_buyer_is_created_with_the_match_value(eco: EconomicConnector, probe: Probe) -> None:
    result = eco.find_or_create_customer(by_email("anna@example.dk"), context("o1"))
    assert result["created"] is True and result["updated"] == []
    stored = probe.get(f"/customers/{result['customerNumber']}")
    assert stored["name"] == "Anna Jensen" and stored["email"] == "anna@example.dk"
    assert stored["customerGroup"]["customerGroupNumber"] == 4


def test_an_existing_customer_is_matched_case_insensitively_not_duplicated(eco: EconomicConnector, probe: Probe) -> None:
    result = eco.find_or_create_customer(
        {"match": {"field": "email", "value": "BOGHOLDERI@tojco.dk"}, "customer": NEW_CUSTOMER}, context("o1"))
    assert result == {**result, "customerNumber": 1, "created": False, "updated": []}
    assert len(probe.collection("/customers")) == 3  # the seeded three, nothing new


def test_match_values_with_filter_syntax_characters_are_escaped(eco: EconomicConnector, probe: Probe) -> None:
    odd = "Tøj (Co), $pecial*"
    first = eco.find_or_create_customer(
        {"match": {"field": "name", "value": odd}, "customer": {**NEW_CUSTOMER, "name": odd}}, context("o1"))
    fresh = sandbox_connector(probe.url)  # new run: no cache, so the match goes through the filter
    again = fresh.find_or_create_customer(
        {"match": {"field": "name", "value": odd}, "customer": {**NEW_CUSTOMER, "name": odd}}, context("o2"))
    assert first["created"] and not again["created"] and again["customerNumber"] == first["customerNumber"]


def test_only_the_allowed_fields_are_updated(eco: EconomicConnector, probe: Probe) -> None:
    data = {"match": {"field": "corporateIdentificationNumber", "value": "29403473"},
            "update_fields": ["address", "telephoneAndFaxNumber"],
            "customer": {**NEW_CUSTOMER, "name": "Another name", "address": "Ny vej 2", "telephoneAndFaxNumber": "70 10 20 30"}}
    result = eco.find_or_create_customer(data, context("o1"))
    assert result["customerNumber"] == 1 and result["updated"] == ["address", "telephoneAndFaxNumber"]
    stored = probe.get("/customers/1")
    assert stored["address"] == "Ny vej 2" and stored["telephoneAndFaxNumber"] == "70 10 20 30"
    assert stored["name"] == "Tøj & Co Grossisten"  # name was not in update_fields


def test_no_match_with_creation_off_is_a_data_error_naming_the_field(eco: EconomicConnector) -> None:
    with pytest.raises(DataError) as caught:
        eco.find_or_create_customer(by_email("nobody@example.dk", create=False), context("o1"))
    assert caught.value.field_path == "match.email"
    assert "no e-conomic customer has email nobody@example.dk" in str(caught.value)


def test_unknown_payment_terms_fail_before_any_post(eco: EconomicConnector, probe: Probe) -> None:
    data = by_email("x@example.dk")
    data["customer"]["paymentTerms"] = {"paymentTermsNumber": 99}
    with pytest.raises(DataError) as caught:
        eco.find_or_create_customer(data, context("o1"))
    assert caught.value.field_path == "customer.paymentTerms.paymentTermsNumber"
    assert "payment terms 99 does not exist in e-conomic (known: 1, 2, 3, 4, 5)" in str(caught.value)
    assert "POST /customers" not in probe.calls()


def test_common_customer_and_a_missing_one(eco: EconomicConnector) -> None:
    assert eco.find_or_create_customer({"common_customer_number": 2}, context("o1"))["customerNumber"] == 2
    with pytest.raises(ConfigError, match="common customer 4242 does not exist"):
        eco.find_or_create_customer({"common_customer_number": 4242}, context("o2"))


def test_an_empty_match_value_is_a_data_error(eco: EconomicConnector) -> None:
    with pytest.raises(DataError, match="email is empty"):
        eco.find_or_create_customer(by_email(""), context("o1"))


def test_finder_finds_a_customer_created_before_a_crash(eco: EconomicConnector) -> None:
    data = by_email("crash@example.dk")
    assert eco.find_effect("find_or_create_customer", data, context("o1")) is None
    created = eco.find_or_create_customer(data, context("o1"))
    fresh = sandbox_connector(eco.api.rest.base_url)
    found = fresh.find_effect("find_or_create_customer", data, context("o1"))
    assert found is not None and found["customerNumber"] == created["customerNumber"]


def test_parallel_workers_matching_the_same_new_buyer_create_one_customer(eco: EconomicConnector, probe: Probe) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: eco.find_or_create_customer(by_email("same@example.dk"), context(f"o{i}")), range(4)))
    assert len({r["customerNumber"] for r in results}) == 1
    assert sum(r["created"] for r in results) == 1
    assert len(probe.collection("/customers", filter="email$eq:same@example.dk")) == 1


def test_a_contact_person_is_found_by_name_or_created(eco: EconomicConnector, probe: Probe) -> None:
    data = {**by_email("indkob@aarhus.dk"), "contact": {"name": "Mette  Juul", "email": "mj@aarhus.dk", "phone": None}}
    first = eco.find_or_create_customer(data, context("o1"))
    contacts = probe.collection(f"/customers/{first['customerNumber']}/contacts")
    assert [(c["name"], c.get("email"), c["customerContactNumber"]) for c in contacts] == [
        ("Mette Juul", "mj@aarhus.dk", first["contactNumber"])]
    fresh = sandbox_connector(probe.url)       # a later run: the contact is found by name, not made again
    again = fresh.find_or_create_customer({**data, "contact": {"name": "mette juul"}}, context("o2"))
    assert again["contactNumber"] == first["contactNumber"]
    other = fresh.find_or_create_customer({**data, "contact": {"name": "Jens Hansen"}}, context("o3"))
    assert other["contactNumber"] != first["contactNumber"]
    assert len(probe.collection(f"/customers/{first['customerNumber']}/contacts")) == 2
    assert "contactNumber" not in fresh.find_or_create_customer(by_email("indkob@aarhus.dk"), context("o4"))


def test_after_a_crash_a_missing_contact_makes_the_finder_send_again(eco: EconomicConnector, probe: Probe) -> None:
    data = {**by_email("indkob@odense.dk"), "contact": {"name": "Ole Berg"}}
    assert eco.find_effect("find_or_create_customer", data, context("o1")) is None
    created = eco.find_or_create_customer({k: v for k, v in data.items() if k != "contact"}, context("o1"))
    fresh = sandbox_connector(probe.url)
    assert fresh.find_effect("find_or_create_customer", data, context("o1")) is None     # customer yes, contact no
    done = fresh.find_or_create_customer(data, context("o1"))
    found = sandbox_connector(probe.url).find_effect("find_or_create_customer", data, context("o1"))
    assert found is not None and found["contactNumber"] == done["contactNumber"]
    assert found["customerNumber"] == created["customerNumber"]


def test_a_contact_without_a_name_is_a_data_error(eco: EconomicConnector) -> None:
    with pytest.raises(DataError) as caught:
        eco.find_or_create_customer({**by_email("x@example.dk"), "contact": {"name": "  "}}, context("o1"))
    assert caught.value.field_path == "contact.name"
