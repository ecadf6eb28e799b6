"""Booking a draft invoice (``POST /invoices/booked``, ``PUT /invoices/booked/{n}``).

Booking assigns the next invoice number (or ``bookWithNumber``), freezes the document, removes
the draft, posts the entries (debtor, sales per account, VAT per VAT account) and opens the
invoice's remainder. Payment terms ``paidInCash`` settle at once against the terms' contra
account; ``creditcard`` moves the receivable to the card company customer of the terms, where
it stays as an open item until the acquirer's payout is booked.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from connectors.economic.sandbox import seed
from connectors.economic.sandbox.documents import compute_totals, line_vat
from connectors.economic.sandbox.errors import ValidationErrors, error
from connectors.economic.sandbox.ledger import money, post, to_base
from connectors.economic.sandbox.validation import add, resolve

Doc = dict[str, Any]
ZERO = Decimal("0.00")
HEADER = ("date", "dueDate", "currency", "exchangeRate", "netAmount", "netAmountInBaseCurrency", "grossAmount",
          "grossAmountInBaseCurrency", "vatAmount", "roundingAmount", "paymentTerms", "customer", "recipient",
          "delivery", "deliveryLocation", "notes", "references", "layout", "project")
LINE = ("lineNumber", "sortKey", "description", "quantity", "unitNetPrice", "discountPercentage", "unitCostPrice",
        "totalNetAmount", "marginInBaseCurrency", "marginPercentage", "product", "unit", "deliveryDate",
        "departmentalDistribution", "accrual")


def book(store: Any, body: Any, number_in_path: int | None = None) -> Doc:
    """Book the draft named in ``body``; returns the stored booked invoice. Caller holds the lock."""
    if not isinstance(body, dict):
        raise error(400, "The request body must be a JSON object.", 'Send {"draftInvoice": {"draftInvoiceNumber": n}}.')
    errs = ValidationErrors()
    draft = _draft(store, body, errs)
    number = _number(store, body, number_in_path, errs)
    send_by = body.get("sendBy")
    if isinstance(send_by, str):
        send_by = send_by.lower()  # [?] the schema table spells the value "EAN", the prose "ean"
    if send_by is not None and send_by not in ("none", "ean"):
        add(errs, ("sendBy",), "E04320", send_by, expected="one of none, ean")
    if draft is not None:
        _check_bookable(store, draft, errs)
        if send_by == "ean":
            _check_ean(draft, errs)
    errs.raise_if_any()
    assert draft is not None
    compute_totals(store, draft)
    if number is None:
        number = store.take_booked_number()
    booked = _booked_document(draft, number, send_by == "ean")
    store.booked.put(booked)
    store.drafts.delete(draft["draftInvoiceNumber"])
    store.drop_product_refs(f"draft:{draft['draftInvoiceNumber']}")
    store.set_product_refs(f"booked:{number}", booked["lines"])
    _post_entries(store, draft, booked)
    return booked


def _draft(store: Any, body: Doc, errs: ValidationErrors) -> Doc | None:
    ref = body.get("draftInvoice")
    if ref is None:
        add(errs, ("draftInvoice",), "E04300")
        return None
    found = resolve(store, "draftInvoice", ref, errs, ("draftInvoice",))
    return store.drafts.get(found["draftInvoiceNumber"]) if found else None


def _number(store: Any, body: Doc, number_in_path: int | None, errs: ValidationErrors) -> int | None:
    number = body.get("bookWithNumber", number_in_path)
    if number is None:
        return None
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        add(errs, ("bookWithNumber",), "E04320", number, expected="a positive whole number")
        return None
    if number_in_path is not None and number != number_in_path:
        add(errs, ("bookWithNumber",), "E04395", number, message=f"bookWithNumber must match the number in the URL ({number_in_path}).")
        return None
    if number in store.booked:
        # Legacy REST lists no 409; a taken number is a validation error there.
        add(errs, ("bookWithNumber",), "E04330", number)
        return None
    return number


def _check_bookable(store: Any, draft: Doc, errs: ValidationErrors) -> None:
    if store.year_of(draft["date"]) is None:
        add(errs, ("draftInvoice", "date"), "E04370", draft["date"], "Create the accounting year or change the invoice date.")
    if not any(line.get("product") for line in draft["lines"]):
        add(errs, ("draftInvoice", "lines"), "E04380")
    customer = store.customers.get(draft["customer"]["customerNumber"])
    if customer is None:
        add(errs, ("draftInvoice", "customer"), "E06000", draft["customer"]["customerNumber"])
    elif customer.get("barred"):
        add(errs, ("draftInvoice", "customer"), "E04340", customer["customerNumber"])
    zone = draft["recipient"]["vatZone"]["vatZoneNumber"]
    for index, line in enumerate(draft["lines"]):
        number = (line.get("product") or {}).get("productNumber")
        if number is None:
            continue
        product = store.products.get(number)
        path = ("draftInvoice", "lines", index, "product")
        if product is None:
            add(errs, path, "E06000", number)
        elif product.get("barred"):
            add(errs, path, "E04340", number)
        elif store.sales_account(product["productGroup"]["productGroupNumber"], zone) is None:
            add(errs, path, "E04390", product["productGroup"]["productGroupNumber"], zone=zone)


def _check_ean(draft: Doc, errs: ValidationErrors) -> None:
    """EAN (NemHandel) sending needs an EAN and a contact person on the invoice (reference §6.11)."""
    ean = str(draft["recipient"].get("ean") or "")
    if not (len(ean) == 13 and ean.isdigit()):
        add(errs, ("draftInvoice", "recipient", "ean"), "E04395", ean or None, message="A valid 13-digit EAN is required to send by EAN.")
    if not (draft["recipient"].get("attention") or (draft.get("references") or {}).get("customerContact")):
        add(errs, ("draftInvoice", "references", "customerContact"), "E04395",
            message="A contact person is required on the invoice to send by EAN.")


def _booked_document(draft: Doc, number: int, sent: bool) -> Doc:
    booked: Doc = {"bookedInvoiceNumber": number, "orderNumber": draft["draftInvoiceNumber"]}
    booked.update({k: draft[k] for k in HEADER if k in draft})
    lines = []
    for line in draft["lines"]:
        out = {k: line[k] for k in LINE if k in line}
        out["vatRate"] = line["_vatRate"]
        out["vatAmount"] = line["_vatAmount"]
        lines.append(out)
    booked["lines"] = lines
    booked["remainder"] = draft["grossAmount"]
    booked["remainderInBaseCurrency"] = draft["grossAmountInBaseCurrency"]
    booked["_sent"] = sent
    return booked


def _post_entries(store: Any, draft: Doc, booked: Doc) -> None:
    """The customer-invoice voucher: debtor = sales + VAT (+ rounding), all in base currency."""
    number = booked["bookedInvoiceNumber"]
    customer = booked["customer"]["customerNumber"]
    rate = booked["exchangeRate"]
    date = booked["date"]
    text = f"Faktura {number}"
    zone = booked["recipient"]["vatZone"]["vatZoneNumber"]
    sales: dict[int, Decimal] = defaultdict(Decimal)
    vat: dict[str, Decimal] = defaultdict(Decimal)
    for line in draft["lines"]:
        _, account, vat_code = line_vat(store, line, zone)
        if account is not None:
            sales[account] += line["totalNetAmount"]
        if vat_code is not None and line["_vatAmount"]:
            vat[vat_code] += line["_vatAmount"]
    gross_base = booked["grossAmountInBaseCurrency"]
    debtor = store.debtor_account(customer)
    receivable = post(store, account=debtor, amount_base=gross_base, amount=booked["grossAmount"], currency=booked["currency"],
                      date=date, entry_type="customerInvoice", text=text, voucher_number=number, customer=customer,
                      booked_invoice=number, due_date=booked["dueDate"], open_item=True)
    booked["_receivable"] = receivable["entryNumber"]
    posted = ZERO
    for account, amount in sorted(sales.items()):
        base = to_base(amount, rate)
        posted += base
        post(store, account=account, amount_base=-base, amount=-amount, currency=booked["currency"], date=date,
             entry_type="customerInvoice", text=text, voucher_number=number, booked_invoice=number)
    for code, amount in sorted(vat.items()):
        base = to_base(amount, rate)
        posted += base
        post(store, account=store.vat_accounts.get(code)["account"]["accountNumber"], amount_base=-base, amount=-amount,
             currency=booked["currency"], date=date, entry_type="customerInvoice", text=text, voucher_number=number,
             booked_invoice=number, vat_code=code)
    difference = money(gross_base - posted)
    if difference:  # currency conversion of the parts does not add up to the converted whole
        post(store, account=seed.ROUNDING, amount_base=-difference, date=date, entry_type="customerInvoice",
             text=text, voucher_number=number, booked_invoice=number)
    _settle_at_booking(store, booked, receivable)


def _settle_at_booking(store: Any, booked: Doc, receivable: Doc) -> None:
    terms = store.payment_terms.get(booked["paymentTerms"]["paymentTermsNumber"])
    kind = terms["paymentTermsType"]
    if kind not in ("paidInCash", "creditcard"):
        return
    number = booked["bookedInvoiceNumber"]
    customer = booked["customer"]["customerNumber"]
    gross, gross_base = booked["grossAmount"], booked["grossAmountInBaseCurrency"]
    common = {"date": booked["date"], "voucher_number": number, "booked_invoice": number, "entry_type": "customerPayment"}
    post(store, account=store.debtor_account(customer), amount_base=-gross_base, amount=-gross, currency=booked["currency"],
         customer=customer, text=f"Betaling faktura {number}", **common)
    if kind == "paidInCash":
        contra = (terms.get("contraAccountForRemainderAmount") or {}).get("accountNumber", seed.BANK)
        post(store, account=contra, amount_base=gross_base, text=f"Kontant faktura {number}", **common)
    else:
        company = terms["creditCardCompany"]["customerNumber"]
        post(store, account=store.debtor_account(company), amount_base=gross_base, customer=company,
             text=f"Kortbetaling faktura {number}", due_date=booked["date"], open_item=True, **common)
    receivable["remainder"] = receivable["remainderInBaseCurrency"] = ZERO
    booked["remainder"] = booked["remainderInBaseCurrency"] = ZERO
