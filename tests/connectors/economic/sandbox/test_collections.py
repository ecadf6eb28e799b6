"""The collection envelope and paging over HTTP: default page size, nextPage until it is gone,
the 1000 maximum, links built from the server the client talked to."""

from __future__ import annotations

from typing import Any

import httpx


def _make_customers(api: Any, count: int) -> None:
    for index in range(count):
        api.ok(api.post("/customers", {"name": f"Kunde {index:02d}", "currency": "DKK", "customerGroup": {"customerGroupNumber": 1},
                                       "paymentTerms": {"paymentTermsNumber": 1}, "vatZone": {"vatZoneNumber": 1}}), 201)


def test_envelope_shape_and_default_page_size(api: Any) -> None:
    _make_customers(api, 22)  # 3 seeded + 22
    body = api.ok(api.get("/customers"))
    assert set(body) == {"collection", "pagination", "metaData", "self"}
    page = body["pagination"]
    assert page["maxPageSizeAllowed"] == 1000 and page["pageSize"] == 20 and page["skipPages"] == 0
    assert page["results"] == 25 and page["resultsWithoutFilter"] == 25
    assert len(body["collection"]) == 20
    assert page["firstPage"] == f"{api.sandbox.url}/customers?skippages=0&pagesize=20"
    assert page["nextPage"] == f"{api.sandbox.url}/customers?skippages=1&pagesize=20"
    assert page["lastPage"] == f"{api.sandbox.url}/customers?skippages=1&pagesize=20"
    assert body["metaData"]["create"]["httpMethod"] == "post"


def test_following_next_page_visits_every_item_once_and_ends_without_next_page(api: Any) -> None:
    _make_customers(api, 9)
    seen: list[int] = []
    url: str | None = f"{api.sandbox.url}/customers?pagesize=5"
    pages = 0
    while url:
        body = api.json(api.http.get(url))
        seen += [c["customerNumber"] for c in body["collection"]]
        url = body["pagination"].get("nextPage")
        pages += 1
    assert pages == 3 and len(seen) == 12 and len(set(seen)) == 12


def test_page_links_keep_filter_and_sort(api: Any) -> None:
    _make_customers(api, 6)
    body = api.ok(api.get("/customers", pagesize=2, filter="name$like:Kunde*", sort="-name"))
    assert body["pagination"]["results"] == 6 and body["pagination"]["resultsWithoutFilter"] == 9
    follow = api.json(api.http.get(body["pagination"]["nextPage"]))
    assert [c["name"] for c in follow["collection"]] == ["Kunde 03", "Kunde 02"]


def test_page_size_limits(api: Any) -> None:
    assert api.get("/customers", pagesize=1000).status_code == 200
    too_big = api.get("/customers", pagesize=1001)
    assert too_big.status_code == 400 and "1000" in api.json(too_big)["message"]
    assert api.get("/customers", pagesize="many").status_code == 400
    assert api.get("/customers", skippages=-1).status_code == 400


def test_a_page_past_the_end_is_empty(api: Any) -> None:
    body = api.ok(api.get("/customers", skippages=7))
    assert body["collection"] == [] and "nextPage" not in body["pagination"]


def test_links_use_the_host_the_client_called(economic_sandbox: Any) -> None:
    url = economic_sandbox.url.replace("127.0.0.1", "localhost")
    body = httpx.get(f"{url}/customers/1", headers=economic_sandbox.headers()).json()
    assert body["self"] == f"{url}/customers/1"
    assert body["customerGroup"]["self"] == f"{url}/customer-groups/1"
