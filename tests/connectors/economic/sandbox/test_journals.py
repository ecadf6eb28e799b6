"""Journal vouchers and booking through the Journals API: entries wait as drafts, booking posts
them to accounts, applies customer payments to invoice remainders, refuses unbalanced vouchers."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any


def payment(invoice: int, amount: str, customer: int = 1, date: str | None = None, **extra: Any) -> dict[str, Any]:
    out = {"customer": {"customerNumber": customer}, "amount": D(amount), "customerInvoice": invoice, "text": f"Betaling {invoice}", **extra}
    if date:
        out["date"] = date
    return out


def finance(account: int, amount: str, **extra: Any) -> dict[str, Any]:
    return {"account": {"accountNumber": account}, "amount": D(amount), "text": "Udbetaling", **extra}


def voucher(api: Any, *, payments: list[dict[str, Any]] = (), finances: list[dict[str, Any]] = (), **extra: Any) -> dict[str, Any]:
    def dated(rows: Any) -> list[dict[str, Any]]:
        return [{"date": api.today, **row} for row in rows]
    entries: dict[str, Any] = {}
    if payments:
        entries["customerPayments"] = dated(payments)
    if finances:
        entries["financeVouchers"] = dated(finances)
    return {"accountingYear": {"year": api.today[:4]}, "entries": entries, **extra}


def test_one_voucher_posted_comes_back_as_an_array_with_entry_numbers(api: Any) -> None:
    response = api.vouchers(1, voucher(api, finances=[finance(5820, "100.00", contraAccount={"accountNumber": 7260})]))
    created = api.ok(response, 201)
    assert isinstance(created, list) and len(created) == 1
    entry = created[0]["entries"]["financeVouchers"][0]
    assert entry["journalEntryNumber"] >= 1 and entry["entryType"] == "financeVoucher"
    assert created[0]["voucherNumber"] == 1
    assert created[0]["self"].endswith(f"/journals/1/vouchers/{api.today[:4]}-1")
    assert [e["journalEntryNumber"] for e in api.collection("/journals/1/entries")] == [entry["journalEntryNumber"]]


def test_bulk_vouchers_get_consecutive_numbers_and_the_alias_path_works(api: Any) -> None:
    body = [voucher(api, finances=[finance(5820, "1.00", contraAccount={"accountNumber": 7260})]) for _ in range(3)]
    created = api.ok(api.post("/journals-experimental/1/vouchers", body), 201)
    assert [v["voucherNumber"] for v in created] == [1, 2, 3]
    assert len(api.collection("/journals/1/vouchers")) == 3


def test_voucher_rules_and_the_error_shape(api: Any) -> None:
    bad = {"entries": {"customerPayments": [{"text": "no amount, no date, no customer"}]}}
    errors = api.json(api.vouchers(1, bad))["errors"]
    assert errors["accountingYear"]["errors"][0]["errorCode"] == "E04300"
    entry = errors["entries"]["customerPayments"][0]
    assert entry["arrayIndex"] == 0 and {"amount", "date", "customer"} <= set(entry)
    outside = voucher(api, finances=[finance(5820, "1.00", date="1999-01-01")])
    assert "outside accounting year" in api.vouchers(1, outside).text


def test_bulk_errors_carry_the_voucher_array_index(api: Any) -> None:
    body = [voucher(api, finances=[finance(5820, "1.00")]), {"entries": {"financeVouchers": [{"account": {"accountNumber": 1}}]}}]
    errors = api.json(api.vouchers(1, body))["errors"]
    assert isinstance(errors, list) and errors[0]["arrayIndex"] == 1
    assert errors[0]["entries"]["financeVouchers"][0]["account"]["errors"][0]["errorCode"] == "E06000"
    assert api.collection("/journals/1/entries") == []  # all or nothing


def test_payout_settles_invoices_and_only_differences_reach_the_error_account(api: Any) -> None:
    a = api.invoice([api.line("100", "1", "100.00")])["bookedInvoiceNumber"]   # 125.00
    b = api.invoice([api.line("100", "2", "100.00")])["bookedInvoiceNumber"]   # 250.00
    body = voucher(api, payments=[payment(a, "-125.00"), payment(b, "-249.50")],
                   finances=[finance(5820, "370.00"), finance(7220, "4.00"), finance(7260, "0.50")])
    api.ok(api.vouchers(2, body), 201)
    assert api.ok(api.get(f"/invoices/booked/{a}"))["remainder"] == D("125.00")  # drafts change nothing yet
    response = api.book_journal(2)
    assert response.status_code == 204, response.text
    assert api.ok(api.get(f"/invoices/booked/{a}"))["remainder"] == 0
    assert api.ok(api.get(f"/invoices/booked/{b}"))["remainder"] == D("0.50")
    assert [i["bookedInvoiceNumber"] for i in api.collection("/invoices/paid")] == [a]
    assert (api.balance(5820), api.balance(7220), api.balance(7260)) == (D("370.00"), D("4.00"), D("0.50"))
    assert api.ok(api.get("/customers/1"))["balance"] == D("0.50")
    assert api.collection("/journals/2/entries") == []
    booked = api.collection(f"/accounting-years/{api.today[:4]}/entries", filter="entryType$eq:customerPayment")
    assert sorted(e["amount"] for e in booked) == [D("-249.50"), D("-125.00")]


def test_unbalanced_vouchers_are_refused_and_nothing_is_booked(api: Any) -> None:
    a = api.invoice([api.line("100", "1", "100.00")])["bookedInvoiceNumber"]
    api.ok(api.vouchers(2, voucher(api, payments=[payment(a, "-125.00")], finances=[finance(5820, "120.00")])), 201)
    response = api.book_journal(2)
    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400 and "does not balance" in problem["detail"] and "-5.00" in problem["detail"]
    assert problem["errors"][0]["property"] == "voucherNumber" and "traceId" in problem
    assert api.ok(api.get(f"/invoices/booked/{a}"))["remainder"] == D("125.00")
    assert len(api.collection("/journals/2/entries")) == 2 and api.balance(5820) == 0


def test_payment_with_contra_account_balances_on_its_own(api: Any) -> None:
    a = api.invoice([api.line("100", "1", "100.00")])["bookedInvoiceNumber"]
    api.ok(api.vouchers(1, voucher(api, payments=[payment(a, "-125.00", contraAccount={"accountNumber": 5820})])), 201)
    assert api.book_journal(1).status_code == 204
    assert api.ok(api.get(f"/invoices/booked/{a}"))["remainder"] == 0 and api.balance(5820) == D("125.00")


def test_payment_sign_is_a_switch(economic_sandbox_factory: Any, api_for: Any) -> None:
    api = api_for(economic_sandbox_factory({"payment_sign": "positive"}))
    a = api.invoice([api.line("100", "1", "100.00")])["bookedInvoiceNumber"]
    api.ok(api.vouchers(1, voucher(api, payments=[payment(a, "125.00", contraAccount={"accountNumber": 5820})])), 201)
    assert api.book_journal(1).status_code == 204
    assert api.ok(api.get(f"/invoices/booked/{a}"))["remainder"] == 0


def test_card_company_payout_clears_its_open_item(api: Any) -> None:
    n = api.invoice([api.line("100", "1", "100.00")], terms=3)["bookedInvoiceNumber"]
    body = voucher(api, payments=[payment(n, "-125.00", customer=99999)], finances=[finance(5820, "123.00"), finance(7220, "2.00")])
    api.ok(api.vouchers(2, body), 201)
    assert api.book_journal(2).status_code == 204
    assert api.ok(api.get("/customers/99999"))["balance"] == 0 and api.balance(5830) == 0
    item = api.collection(f"/accounting-years/{api.today[:4]}/entries",
                          filter=f"customer.customerNumber$eq:99999$and:entryType$eq:customerPayment$and:bookedInvoice.bookedInvoiceNumber$eq:{n}")
    assert item[0]["remainder"] == 0


def test_booking_an_empty_or_unknown_journal(api: Any) -> None:
    assert api.book_journal(1).status_code == 400
    assert api.book_journal(42).status_code == 404


def test_book_with_date_interval_books_only_that_period(api: Any) -> None:
    year = api.today[:4]
    early = voucher(api, finances=[finance(5820, "1.00", contraAccount={"accountNumber": 7260}, date=f"{year}-01-02")])
    late = voucher(api, finances=[finance(5820, "2.00", contraAccount={"accountNumber": 7260}, date=f"{year}-12-30")])
    api.ok(api.vouchers(1, [early, late]), 201)
    response = api.send("POST", "/journalsapi/v5.0.0/journals/1/bookWithDateInterval",
                        {"fromDate": f"{year}-01-01", "toDate": f"{year}-01-31"})
    assert response.status_code == 204 and api.balance(5820) == D("1.00")
    assert len(api.collection("/journals/1/entries")) == 1


def test_a_draft_entry_can_be_deleted(api: Any) -> None:
    created = api.ok(api.vouchers(1, voucher(api, finances=[finance(5820, "1.00", contraAccount={"accountNumber": 7260})])), 201)
    number = created[0]["entries"]["financeVouchers"][0]["journalEntryNumber"]
    assert api.delete(f"/journals/1/entries/{number}").status_code == 204
    assert api.get(f"/journals/1/entries/{number}").status_code == 404


def test_finance_voucher_with_vat_code_splits_the_vat(api: Any) -> None:
    body = voucher(api, finances=[finance(1310, "125.00", vatAccount={"vatCode": "I25"}, contraAccount={"accountNumber": 5820})])
    api.ok(api.vouchers(1, body), 201)
    assert api.book_journal(1).status_code == 204
    assert (api.balance(1310), api.balance(6630), api.balance(5820)) == (D("100.00"), D("25.00"), D("-125.00"))


def test_idempotency_key_replays_the_first_booking(api: Any) -> None:
    api.ok(api.vouchers(1, voucher(api, finances=[finance(5820, "10.00", contraAccount={"accountNumber": 7260})])), 201)
    headers = {"Idempotency-Key": "book-1-run-7"}
    first = api.http.post("/journalsapi/v5.0.0/journals/1/book", headers=headers)
    again = api.http.post("/journalsapi/v5.0.0/journals/1/book", headers=headers)
    assert (first.status_code, again.status_code) == (204, 204)
    assert again.headers["X-ResultFromCache"] == "true" and "X-ResultFromCache" not in first.headers
    assert api.balance(5820) == D("10.00")  # booked once
    assert api.http.post("/journalsapi/v5.0.0/journals/1/book", headers={"Idempotency-Key": "other"}).status_code == 400
