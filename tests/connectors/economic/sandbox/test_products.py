"""Products: string numbers of 1-25 characters, e-conomic's self-link encoding both ways,
deletion refused while a product is in use."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.economic.sandbox.links import decode_id, encode_id


@pytest.mark.parametrize("number, encoded", [
    ("SKU/1 2", "SKU_6_1_9_2"),
    ("My Awesome Product_Discount5%", "My_9_Awesome_9_Product_8_Discount5_3_"),
    ("a<b>c*d:e&f\\g?h.i#j+k", "a_0_b_1_c_2_d_4_e_5_f_7_g_10_h_11_i_12_j_13_k"),
    ("Bluse-Æ", "Bluse-%C3%86"),
])
def test_self_link_encoding(number: str, encoded: str) -> None:
    assert encode_id(number) == encoded
    from urllib.parse import unquote
    assert decode_id(unquote(encoded)) == number


@pytest.mark.parametrize("number", ["SKU/1 2", "A_B.C", "x+y#z?", "50%_off", "ÆØÅ 1"])
def test_product_numbers_round_trip_over_http(api: Any, number: str) -> None:
    created = api.product(number)
    assert created["productNumber"] == number
    fetched = api.json(api.http.get(created["self"]))
    assert fetched["productNumber"] == number and fetched["self"] == created["self"]
    listed = api.collection("/products", filter=f"productNumber$eq:{number.replace('$', '$$')}")
    assert [p["productNumber"] for p in listed] == [number]


def test_required_and_length_rules(api: Any) -> None:
    missing = api.json(api.post("/products", {"salesPrice": 10}))
    assert set(missing["errors"]) == {"productNumber", "name", "productGroup"}
    too_long = api.post("/products", {"productNumber": "X" * 26, "name": "n", "productGroup": {"productGroupNumber": 1}})
    assert too_long.status_code == 400 and "25" in api.json(too_long)["errors"]["productNumber"]["errors"][0]["message"]
    empty = api.post("/products", {"productNumber": "", "name": "n", "productGroup": {"productGroupNumber": 1}})
    assert empty.status_code == 400
    assert api.post("/products", {"productNumber": "X" * 25, "name": "n", "productGroup": {"productGroupNumber": 1}}).status_code == 201


def test_unknown_product_group_and_duplicate_number(api: Any) -> None:
    bad = api.json(api.post("/products", {"productNumber": "P1", "name": "n", "productGroup": {"productGroupNumber": 77}}))
    assert bad["errors"]["productGroup"]["errors"][0]["errorCode"] == "E06000"
    dup = api.post("/products", {"productNumber": "100", "name": "n", "productGroup": {"productGroupNumber": 1}})
    assert dup.status_code == 400 and "productNumber" in api.json(dup)["errors"]


def test_a_product_on_a_draft_or_booked_invoice_cannot_be_deleted(api: Any) -> None:
    api.product("ON-DRAFT")
    api.product("ON-BOOKED")
    api.product("UNUSED")
    api.create_draft([api.line("ON-DRAFT", "1", "10.00")])
    api.invoice([api.line("ON-BOOKED", "1", "10.00")])
    for number in ("ON-DRAFT", "ON-BOOKED"):
        response = api.delete(f"/products/{encode_id(number)}")
        assert response.status_code == 400 and "in use" in api.json(response)["message"]
    assert api.delete("/products/UNUSED").status_code == 204
    assert api.get("/products/UNUSED").status_code == 404


def test_deleting_the_draft_frees_the_product(api: Any) -> None:
    api.product("TMP")
    draft = api.create_draft([api.line("TMP", "1", "10.00")])
    api.ok(api.delete(f"/invoices/drafts/{draft['draftInvoiceNumber']}"))
    assert api.delete("/products/TMP").status_code == 204


def test_put_updates_price_and_barred_products_cannot_be_sold(api: Any) -> None:
    api.product("OLD", price="10.00")
    api.ok(api.put("/products/OLD", {"productNumber": "OLD", "name": "Udgået", "productGroup": {"productGroupNumber": 1},
                                     "salesPrice": 12, "barred": True}))
    assert api.ok(api.get("/products/OLD"))["salesPrice"] == 12
    response = api.post("/invoices/drafts", api.draft([api.line("OLD", "1", "12.00")]))
    assert response.status_code == 400
    assert api.json(response)["errors"]["lines"][0]["product"]["errors"][0]["message"] == "product OLD is barred and cannot be used."


def test_a_products_invoices_are_listed_under_it(api: Any) -> None:
    api.product("A/B")
    draft = api.create_draft([api.line("A/B", "1", "1.00")])
    booked = api.invoice([api.line("A/B", "1", "1.00"), api.line("100", "1", "1.00")])
    links = api.ok(api.get("/products/A_6_B"))["invoices"]
    assert [d["draftInvoiceNumber"] for d in api.json(api.http.get(links["drafts"]))["collection"]] == [draft["draftInvoiceNumber"]]
    assert [b["bookedInvoiceNumber"] for b in api.json(api.http.get(links["booked"]))["collection"]] == [booked["bookedInvoiceNumber"]]
