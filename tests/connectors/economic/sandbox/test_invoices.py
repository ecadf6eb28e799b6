"""Draft invoices and booking: the rules and their 400 bodies, VAT and totals as e-conomic
computes them, invoice numbers, immutability, credit notes, payment terms that settle at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any


def totals(doc: dict[str, Any]) -> tuple[D, D, D]:
    return doc["netAmount"], doc["vatAmount"], doc["grossAmount"]


# -- rules -------------------------------------------------------------------------------------
def test_required_fields_of_a_draft(api: Any) -> None:
    body = api.json(api.post("/invoices/drafts", {"notes": {"heading": "x"}}))
    assert body["message"] == "Validation error."
    assert set(body["errors"]) == {"currency", "customer", "date", "layout", "paymentTerms", "recipient"}
    partial = api.json(api.post("/invoices/drafts", api.draft([], recipient={"address": "Vej 1"})))
    assert set(partial["errors"]["recipient"]) == {"name", "vatZone"}


def test_line_errors_are_reported_per_line_with_array_index(api: Any) -> None:
    lines = [
        {"product": {"productNumber": "100"}, "description": "no quantity"},
        api.line("100", "1", "10.12345"),
        api.line("NOPE", "1", "10.00"),
        {"product": {}, "quantity": 1, "description": "no identifier"},
    ]
    body = api.json(api.post("/invoices/drafts", api.draft(lines)))
    by_index = {row["arrayIndex"]: row for row in body["errors"]["lines"]}
    assert by_index[0]["quantity"]["errors"][0]["errorCode"] == "E04730"
    assert by_index[1]["unitNetPrice"]["errors"][0] == {
        "errorCode": "E04740", "message": "unitNetPrice scale cannot be greater then two decimal places.",
        "value": D("10.12345"), "developerHint": "Please check the format of your data."}
    assert by_index[2]["product"]["errors"][0]["errorCode"] == "E06000"
    assert by_index[3]["product"]["errors"][0]["errorCode"] == "E04500"
    assert list(body["errors"]) == ["lines"]


def test_a_line_with_a_product_needs_a_description(api: Any) -> None:
    body = api.json(api.post("/invoices/drafts", api.draft([{"product": {"productNumber": "100"}, "quantity": 1}])))
    assert body["errors"]["lines"][0]["description"]["errors"][0]["errorCode"] == "E04300"


def test_due_date_terms_need_a_due_date(api: Any) -> None:
    missing = api.json(api.post("/invoices/drafts", api.draft([api.line("100", "1", "10.00")], terms=5)))
    assert missing["errors"]["dueDate"]["errors"][0]["errorCode"] == "E04350"
    given = api.create_draft([api.line("100", "1", "10.00")], terms=5, dueDate="2099-12-31")
    assert given["dueDate"] == "2099-12-31"


def test_due_date_follows_the_payment_terms(api: Any) -> None:
    assert api.create_draft([api.line("100", "1", "1.00")], date="2025-02-10")["dueDate"] == "2025-02-18"
    assert api.create_draft([api.line("100", "1", "1.00")], date="2025-02-10", terms=4)["dueDate"] == "2025-03-30"


# -- totals and VAT ----------------------------------------------------------------------------
def test_domestic_invoice_has_25_percent_vat(api: Any) -> None:
    draft = api.create_draft([api.line("100", "2", "159.20"), api.line("FRAGT", "1", "39.20")])
    assert totals(draft) == (D("357.60"), D("89.40"), D("447.00"))
    assert draft["roundingAmount"] == 0 and draft["lines"][0]["totalNetAmount"] == D("318.40")
    booked = api.book(draft["draftInvoiceNumber"])
    assert totals(booked) == totals(draft)
    assert [(l["vatRate"], l["vatAmount"]) for l in booked["lines"]] == [(D("25.00"), D("79.60")), (D("25.00"), D("9.80"))]


def test_eu_b2b_and_abroad_are_zero_rated(api: Any) -> None:
    eu = api.invoice([api.line("100", "1", "200.00")], zone=2)
    abroad = api.invoice([api.line("100", "1", "200.00")], zone=3)
    assert totals(eu) == totals(abroad) == (D("200.00"), D("0.00"), D("200.00"))
    assert api.balance(1020) == D("-200.00") and api.balance(1030) == D("-200.00")


def test_oss_line_uses_the_destination_countrys_rate(api: Any) -> None:
    api.product("OSS-DE", group=1006)   # "OSS DE (Tyskland)"
    api.product("OSS-SE", group=1024)   # "OSS SE (Sverige)"
    booked = api.invoice([api.line("OSS-DE", "1", "100.00"), api.line("OSS-SE", "2", "50.00")], zone=2)
    assert totals(booked) == (D("200.00"), D("44.00"), D("244.00"))
    assert api.balance(1046) == D("-100.00") and api.balance(6620) == D("-44.00")


def test_vat_free_product_group(api: Any) -> None:
    api.product("GAVEKORT", group=2)
    booked = api.invoice([api.line("GAVEKORT", "1", "500.00"), api.line("100", "1", "100.00")])
    assert totals(booked) == (D("600.00"), D("25.00"), D("625.00"))
    assert api.balance(1090) == D("-500.00")


def test_discount_percentage_and_rounding_half_up(api: Any) -> None:
    draft = api.create_draft([api.line("100", "3", "99.95", discount="10")])
    assert draft["lines"][0]["totalNetAmount"] == D("269.87")   # 269.865
    assert totals(draft) == (D("269.87"), D("67.47"), D("337.34"))


def test_foreign_currency_amounts_in_base_currency(api: Any) -> None:
    booked = api.invoice([api.line("100", "1", "10.00")], customer=2, currency="EUR", zone=2)
    assert booked["exchangeRate"] == D("746.08")
    assert booked["netAmountInBaseCurrency"] == D("74.61") and booked["remainderInBaseCurrency"] == D("74.61")
    assert booked["remainder"] == D("10.00")


def test_unit_price_defaults_to_the_products_sales_price(api: Any) -> None:
    draft = api.create_draft([{"product": {"productNumber": "100"}, "description": "T", "quantity": 1}])
    assert draft["lines"][0]["unitNetPrice"] == D("159.20") and draft["grossAmount"] == D("199.00")


# -- booking ---------------------------------------------------------------------------------
def test_booking_numbers_and_book_with_number(api: Any) -> None:
    first = api.invoice([api.line("100", "1", "1.00")])
    chosen = api.book(api.create_draft([api.line("100", "1", "1.00")])["draftInvoiceNumber"], bookWithNumber=7)
    assert (first["bookedInvoiceNumber"], chosen["bookedInvoiceNumber"]) == (10001, 7)
    taken = api.post("/invoices/booked", {"draftInvoice": {"draftInvoiceNumber": api.create_draft([api.line("100", "1", "1.00")])["draftInvoiceNumber"]},
                                          "bookWithNumber": 7})
    assert taken.status_code == 400 and api.json(taken)["errors"]["bookWithNumber"]["errors"][0]["value"] == 7
    assert api.invoice([api.line("100", "1", "1.00")])["bookedInvoiceNumber"] == 10002


def test_put_booked_books_with_the_number_in_the_url(api: Any) -> None:
    draft = api.create_draft([api.line("100", "1", "1.00")])
    response = api.put("/invoices/booked/555", {"draftInvoice": {"draftInvoiceNumber": draft["draftInvoiceNumber"]}})
    assert api.ok(response, 201)["bookedInvoiceNumber"] == 555


def test_booked_invoices_are_immutable_and_their_draft_is_gone(api: Any) -> None:
    draft = api.create_draft([api.line("100", "1", "10.00")])
    booked = api.book(draft["draftInvoiceNumber"])
    number = booked["bookedInvoiceNumber"]
    assert api.get(f"/invoices/drafts/{draft['draftInvoiceNumber']}").status_code == 404
    assert api.delete(f"/invoices/booked/{number}").status_code == 405
    other = api.create_draft([api.line("100", "1", "99.00")])
    overwrite = api.put(f"/invoices/booked/{number}", {"draftInvoice": {"draftInvoiceNumber": other["draftInvoiceNumber"]}})
    assert overwrite.status_code == 400
    again = api.post("/invoices/booked", {"draftInvoice": {"draftInvoiceNumber": draft["draftInvoiceNumber"]}})
    assert api.json(again)["errors"]["draftInvoice"]["errors"][0]["errorCode"] == "E06000"
    assert api.ok(api.get(f"/invoices/booked/{number}"))["grossAmount"] == D("12.50")


def test_booking_instructions_are_the_body_to_post(api: Any) -> None:
    draft = api.create_draft([api.line("100", "1", "10.00")])
    instructions = api.ok(api.get(f"/invoices/drafts/{draft['draftInvoiceNumber']}/templates/booking-instructions"))
    assert api.ok(api.post("/invoices/booked", instructions), 201)["orderNumber"] == draft["draftInvoiceNumber"]


def test_booking_outside_the_accounting_years_is_refused(api: Any) -> None:
    draft = api.create_draft([api.line("100", "1", "10.00")], date="2001-01-01")
    response = api.post("/invoices/booked", {"draftInvoice": {"draftInvoiceNumber": draft["draftInvoiceNumber"]}})
    assert response.status_code == 400 and api.json(response)["errors"]["draftInvoice"]["date"]["errors"][0]["errorCode"] == "E04370"


def test_send_by_ean_needs_an_ean_and_a_contact(api: Any) -> None:
    draft = api.create_draft([api.line("100", "1", "10.00")])
    refused = api.post("/invoices/booked", {"draftInvoice": {"draftInvoiceNumber": draft["draftInvoiceNumber"]}, "sendBy": "ean"})
    assert refused.status_code == 400
    contact = api.ok(api.post("/customers/1/contacts", {"name": "Indkøb"}), 201)["customerContactNumber"]
    ok = api.create_draft([api.line("100", "1", "10.00")], recipient={"name": "Kommune", "ean": "5798000000001",
                                                                      "vatZone": {"vatZoneNumber": 1}, "attention": {"customerContactNumber": contact}})
    booked = api.book(ok["draftInvoiceNumber"], sendBy="ean")
    assert booked["sent"].endswith(f"/invoices/sent/{booked['bookedInvoiceNumber']}")
    assert [i["bookedInvoiceNumber"] for i in api.collection("/invoices/sent")] == [booked["bookedInvoiceNumber"]]


def test_credit_note_is_a_booked_invoice_with_negative_totals(api: Any) -> None:
    credit = api.invoice([api.line("100", "-2", "159.20")], notes={"heading": "Kreditnota for faktura 10001"})
    assert totals(credit) == (D("-318.40"), D("-79.60"), D("-398.00"))
    assert credit["remainder"] == D("-398.00")
    assert credit["bookedInvoiceNumber"] in [i["bookedInvoiceNumber"] for i in api.collection("/invoices/unpaid")]
    assert api.balance(5600) == D("-398.00") and api.balance(6610) == D("79.60")


def test_cash_terms_settle_at_booking(api: Any) -> None:
    booked = api.invoice([api.line("100", "1", "100.00")], terms=2)
    assert booked["remainder"] == 0
    assert booked["bookedInvoiceNumber"] in [i["bookedInvoiceNumber"] for i in api.collection("/invoices/paid")]
    assert api.balance(5820) == D("125.00") and api.balance(5600) == 0


def test_creditcard_terms_move_the_receivable_to_the_card_company(api: Any) -> None:
    booked = api.invoice([api.line("100", "1", "100.00")], terms=3)
    assert booked["remainder"] == 0 and api.ok(api.get("/customers/1"))["balance"] == 0
    assert api.ok(api.get("/customers/99999"))["balance"] == D("125.00")
    items = api.collection(f"/accounting-years/{api.today[:4]}/entries", filter="customer.customerNumber$eq:99999")
    assert [(i["remainder"], i["bookedInvoice"]["bookedInvoiceNumber"]) for i in items] == [(D("125.00"), booked["bookedInvoiceNumber"])]
    assert api.balance(5830) == D("125.00")


def test_overdue_and_not_due_follow_the_sandbox_today(api: Any) -> None:
    booked = api.invoice([api.line("100", "1", "10.00")])  # net 8 days
    number = booked["bookedInvoiceNumber"]
    assert number in [i["bookedInvoiceNumber"] for i in api.collection("/invoices/not-due")]
    later = (dt.date.fromisoformat(booked["dueDate"]) + dt.timedelta(days=1)).isoformat()
    api.sandbox.set_today(later)
    assert [i["bookedInvoiceNumber"] for i in api.collection("/invoices/overdue")] == [number]
    assert api.collection("/invoices/not-due") == []


# -- drafts as documents -----------------------------------------------------------------------
def test_put_replaces_a_draft_and_recomputes_totals(api: Any) -> None:
    draft = api.create_draft([api.line("100", "1", "100.00")])
    number = draft["draftInvoiceNumber"]
    updated = api.ok(api.put(f"/invoices/drafts/{number}", api.draft([api.line("100", "2", "100.00")])))
    assert updated["draftInvoiceNumber"] == number and updated["grossAmount"] == D("250.00")


def test_delete_drafts_one_or_by_filter(api: Any) -> None:
    one = api.create_draft([api.line("100", "1", "1.00")], references={"other": "keep"})
    api.create_draft([api.line("100", "1", "1.00")], references={"other": "old-1"})
    api.create_draft([api.line("100", "1", "1.00")], references={"other": "old-2"})
    gone = api.ok(api.delete("/invoices/drafts", filter="references.other$like:old-*"))
    assert gone["deletedCount"] == 2 and gone["message"] == "Deleted 2 invoices."
    single = api.ok(api.delete(f"/invoices/drafts/{one['draftInvoiceNumber']}"))
    assert single["message"] == "Deleted invoice." and single["deletedItems"][0]["draftInvoiceNumber"] == one["draftInvoiceNumber"]
    assert api.collection("/invoices/drafts") == []


def test_pdf_is_a_real_pdf(api: Any) -> None:
    booked = api.invoice([api.line("100", "1", "10.00")])
    response = api.http.get(booked["pdf"]["download"])
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-1.4") and response.content.rstrip().endswith(b"%%EOF")
    assert f"Faktura {booked['bookedInvoiceNumber']}".encode() in response.content


def test_collections_leave_out_lines_and_single_documents_have_them(api: Any) -> None:
    booked = api.invoice([api.line("100", "1", "10.00")])
    listed = api.collection("/invoices/booked")[0]
    assert "lines" not in listed and listed["pdf"]["download"] == booked["pdf"]["download"]
    assert len(api.ok(api.get(f"/invoices/booked/{booked['bookedInvoiceNumber']}"))["lines"]) == 1
    assert api.collection("/customers/1/invoices/booked")[0]["bookedInvoiceNumber"] == booked["bookedInvoiceNumber"]


def test_a_line_that_is_not_an_object_is_reported_on_its_index(api: Any) -> None:
    body = api.json(api.post("/invoices/drafts", api.draft(["one T-shirt please", api.line("100", "1", "1.00")])))
    assert body["errors"]["lines"] == [{"arrayIndex": 0, "errors": [
        {"errorCode": "E04320", "message": "lines[0] must be an object.", "developerHint": "Please check your request data."}]}]


def test_every_reference_of_a_draft_must_exist(api: Any) -> None:
    body = api.draft([{**api.line("100", "1", "1.00"), "unit": {"unitNumber": 99}}], customer=4242, currency="XXX", terms=77,
                     layout={"layoutNumber": 5})
    body["recipient"]["vatZone"] = {"vatZoneNumber": 9}
    errors = api.json(api.post("/invoices/drafts", body))["errors"]
    found = {k: v["errors"][0]["errorCode"] for k, v in errors.items() if k not in ("lines", "recipient")}
    assert found == {"customer": "E06000", "currency": "E06000", "paymentTerms": "E06000", "layout": "E06000"}
    assert errors["recipient"]["vatZone"]["errors"][0]["errorCode"] == "E06000"
    assert errors["lines"][0]["unit"]["errors"][0]["developerHint"] == "Find a list of units at https://restapi.e-conomic.com/units."


def test_amounts_travel_as_exact_decimal_numbers(api: Any) -> None:
    response = api.post("/invoices/drafts", api.draft([api.line("100", "3", "0.10")]))
    assert '"totalNetAmount":0.30' in response.text and '"grossAmount":0.38' in response.text
