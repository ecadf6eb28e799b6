"""The filter and sort syntax: every operator, grouping, escapes, $null:, $in:/$nin: limits and
nested properties over HTTP, plus the parser's error messages."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.economic.sandbox.filters import FilterError, parse_filter

CUSTOMER = {"currency": "DKK", "customerGroup": {"customerGroupNumber": 1}, "paymentTerms": {"paymentTermsNumber": 1},
            "vatZone": {"vatZoneNumber": 1}}


@pytest.fixture
def people(api: Any) -> Any:
    """Customers 3.. with names, cities and e-mails that exercise the syntax."""
    rows = [
        {"name": "Joe", "city": "Newport", "email": "joe@example.com"},
        {"name": "JOE", "city": "Aarhus"},
        {"name": "Anna (B2B)", "city": "Portland", "email": "anna@example.com", "creditLimit": 5000},
        {"name": "Price $5, [sale]*", "city": "Odense", "creditLimit": 100},
        {"name": "Zed", "city": "port of call"},
    ]
    for row in rows:
        api.ok(api.post("/customers", {**CUSTOMER, **row}), 201)
    return api


def names(api: Any, flt: str, **params: Any) -> list[str]:
    return [c["name"] for c in api.collection("/customers", filter=flt, **params)]


def test_eq_is_case_insensitive_and_ne_excludes(people: Any) -> None:
    assert names(people, "name$eq:joe") == ["Joe", "JOE"]
    assert "Joe" not in names(people, "name$ne:JOE")


def test_numeric_comparisons(people: Any) -> None:
    assert names(people, "customerNumber$gt:5$and:customerNumber$lt:99999") == ["Price $5, [sale]*", "Zed"]
    assert names(people, "customerNumber$gte:6$and:customerNumber$lte:6") == ["Price $5, [sale]*"]
    assert names(people, "customerNumber$lt:2") == ["Tøj & Co Grossisten"]
    assert names(people, "creditLimit$gt:200") == ["Anna (B2B)"]


def test_like_with_and_without_wildcards(people: Any) -> None:
    assert names(people, "city$like:*port") == ["Joe"]
    assert names(people, "city$like:port*") == ["Anna (B2B)", "Zed"]
    assert names(people, "city$like:port") == ["Joe", "Anna (B2B)", "Zed"]  # no * = contains


def test_and_binds_tighter_than_or_and_parentheses_group(people: Any) -> None:
    assert names(people, "name$eq:Joe$and:city$like:*port$or:name$eq:Zed") == ["Joe", "Zed"]
    assert names(people, "name$eq:Joe$and:(city$like:*port$or:city$eq:Aarhus)") == ["Joe", "JOE"]


def test_escapes_match_the_literal_characters(people: Any) -> None:
    assert names(people, "name$eq:Price $$5$, $[sale$]$*") == ["Price $5, [sale]*"]
    assert names(people, "name$eq:Anna $(B2B$)") == ["Anna (B2B)"]
    assert names(people, "name$like:$*") == ["Price $5, [sale]*"]  # an escaped star is no wildcard


def test_null_matches_missing_properties(people: Any) -> None:
    missing = names(people, "email$eq:$null:")
    assert "JOE" in missing and "Joe" not in missing
    assert "JOE" not in names(people, "email$ne:$null:")


def test_in_and_nin_on_numbers(people: Any) -> None:
    assert names(people, "customerNumber$in:[1,4,99]") == ["Tøj & Co Grossisten", "JOE"]
    assert len(names(people, "customerNumber$nin:[1,2,99999]")) == 5


def test_in_limits_and_types_are_enforced(people: Any) -> None:
    too_many = "customerNumber$in:[" + ",".join(str(i) for i in range(201)) + "]"
    response = people.get("/customers", filter=too_many)
    assert response.status_code == 400 and "at most 200" in people.json(response)["message"]
    on_string = people.get("/customers", filter="name$in:[a,b]")
    assert on_string.status_code == 400 and "numeric" in people.json(on_string)["message"]


def test_nested_properties(api: Any) -> None:
    api.create_draft([api.line("100", "1", "10.00")], references={"other": "woo-77"})
    api.create_draft([api.line("100", "1", "10.00")], customer=2, references={"other": "woo-78"})
    assert [d["references"]["other"] for d in api.collection("/invoices/drafts", filter="references.other$eq:WOO-77")] == ["woo-77"]
    assert len(api.collection("/invoices/drafts", filter="customer.customerNumber$eq:2")) == 1


def test_unfilterable_or_unknown_properties_get_400(api: Any) -> None:
    response = api.get("/customers", filter="balanceOfPower$eq:1")
    assert response.status_code == 400
    assert "Filtering on property 'balanceOfPower' is not allowed" in api.json(response)["message"]


def test_sort_ascending_descending_and_by_several_properties(people: Any) -> None:
    mine = "customerNumber$gte:3$and:customerNumber$lt:99999"
    assert names(people, mine, sort="-name")[:2] == ["Zed", "Price $5, [sale]*"]
    assert names(people, "name$eq:joe", sort="city") == ["JOE", "Joe"]
    assert names(people, mine, sort="-city,name")[:2] == ["Anna (B2B)", "Zed"]  # portland > port of call
    assert names(people, "name$eq:joe", sort="-customerNumber") == ["JOE", "Joe"]
    assert people.get("/customers", sort="nonsense").status_code == 400


@pytest.mark.parametrize("text, message", [
    ("name$eq:Joe$and:", "expected a property name"),
    ("(name$eq:Joe", "missing ')'"),
    ("name$is:Joe", "expected an operator"),
    ("name$eq:a$b", "must be escaped"),
    ("name$eq:a(b", "'(' must be escaped"),
    ("customerNumber$eq:abc", "is not a number"),
    ("customerNumber$in:[1,2", "missing ']'"),
    ("name$gt:$null:", "$null: can only be used with $eq: and $ne:"),
])
def test_parser_errors_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(text, {"name": "string", "customerNumber": "int"})
    assert message in str(caught.value)
