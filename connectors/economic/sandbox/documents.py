"""Sales documents (draft invoices and orders): validate a request document, fill what
e-conomic fills (prices from the product, due date from the payment terms, exchange rate) and
compute the totals e-conomic shows on drafts.

Totals (reference §6.10/§6.11): a line's net = round(quantity x unitNetPrice x (1 - discount/100), 2);
its VAT rate comes from product -> product group -> the group's sales account for the
recipient's VAT zone -> that account's VAT code (``ratePercentage``); a line's VAT is rounded to
cents and the document's VAT is the sum of its lines (so booked lines add up exactly).
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
from decimal import Decimal
from typing import Any

from connectors.economic.sandbox.errors import ValidationErrors, error
from connectors.economic.sandbox.ledger import money, to_base
from connectors.economic.sandbox.validation import add, check_document, known_only

Doc = dict[str, Any]
ZERO = Decimal("0.00")


def prepare(store: Any, body: Any) -> Doc:
    """A validated, normalised and totalled document from a POST/PUT body (raises ApiError)."""
    if not isinstance(body, dict):
        raise error(400, "The request body must be a JSON object.", "Send one draft document.")
    doc = known_only(copy.deepcopy(body), "draft")  # read-only totals, links and numbers are dropped
    errs = ValidationErrors()
    check_document(store, doc, "draft", errs)
    lines = doc.get("lines", [])
    if not isinstance(lines, list):
        add(errs, ("lines",), "E04320", None, expected="a list of lines")
        lines = []
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            add(errs, ("lines", index), "E04320", None, expected="an object")
            continue
        line = lines[index] = known_only(line, "line")
        _check_line(store, line, errs, index)
    _check_header(store, doc, errs)
    errs.raise_if_any()
    doc["lines"] = lines
    _fill(store, doc)
    compute_totals(store, doc)
    return doc


def _check_line(store: Any, line: Doc, errs: ValidationErrors, index: int) -> None:
    path = ("lines", index)
    had_product = "product" in line
    check_document(store, line, "line", errs, path)
    product = store.products.get((line.get("product") or {}).get("productNumber")) if isinstance(line.get("product"), dict) else None
    if product is not None:
        # The docs example reports E04730 on the invoice level; here it is on the line it concerns.
        if line.get("quantity") is None:
            add(errs, (*path, "quantity"), "E04730")
        if not line.get("description"):
            add(errs, (*path, "description"), "E04300")
        if product.get("barred"):
            add(errs, (*path, "product"), "E04340", product["productNumber"])
    elif not had_product and (line.get("quantity") is not None or line.get("unitNetPrice") is not None):
        # [?] a line with an amount must name a product (VAT comes from its group); text-only lines may not
        add(errs, (*path, "product"), "E04300")
    discount = line.get("discountPercentage")
    if isinstance(discount, Decimal) and not Decimal(0) <= discount <= Decimal(100):
        add(errs, (*path, "discountPercentage"), "E04360", discount, low=0, high=100)


def _check_header(store: Any, doc: Doc, errs: ValidationErrors) -> None:
    terms = store.payment_terms.get((doc.get("paymentTerms") or {}).get("paymentTermsNumber")) if isinstance(doc.get("paymentTerms"), dict) else None
    if terms and terms["paymentTermsType"] == "dueDate" and not doc.get("dueDate"):
        add(errs, ("dueDate",), "E04350")
    customer = store.customers.get((doc.get("customer") or {}).get("customerNumber")) if isinstance(doc.get("customer"), dict) else None
    if customer and customer.get("barred"):
        add(errs, ("customer",), "E04340", customer["customerNumber"])
    rate = doc.get("exchangeRate")
    if isinstance(rate, Decimal) and rate <= 0:
        add(errs, ("exchangeRate",), "E04360", rate, low="0 (exclusive)", high="any")


def _fill(store: Any, doc: Doc) -> None:
    """Defaults and expansions e-conomic applies when a draft is stored."""
    terms = store.payment_terms.get(doc["paymentTerms"]["paymentTermsNumber"])
    doc["paymentTerms"] = {k: terms[k] for k in ("paymentTermsNumber", "daysOfCredit", "name", "paymentTermsType")}
    zone = store.vat_zones.get(doc["recipient"]["vatZone"]["vatZoneNumber"])
    doc["recipient"]["vatZone"] = dict(zone)
    doc["customer"] = {"customerNumber": doc["customer"]["customerNumber"]}
    doc["layout"] = {"layoutNumber": doc["layout"]["layoutNumber"]}
    if doc.get("exchangeRate") is None:
        doc["exchangeRate"] = store.exchange_rate(doc["currency"])
    if terms["paymentTermsType"] != "dueDate":
        doc["dueDate"] = due_date(terms, doc["date"])
    for index, line in enumerate(doc["lines"], start=1):
        line.setdefault("lineNumber", index)
        line.setdefault("sortKey", index)
        product = store.products.get((line.get("product") or {}).get("productNumber"))
        if product is None:
            continue
        line["product"] = {"productNumber": product["productNumber"]}
        if line.get("unitNetPrice") is None:
            line["unitNetPrice"] = product.get("salesPrice", ZERO)
        if line.get("unitCostPrice") is None and product.get("costPrice") is not None:
            line["unitCostPrice"] = product["costPrice"]
        line.setdefault("discountPercentage", ZERO)
        unit_number = (line.get("unit") or product.get("unit") or {}).get("unitNumber")
        if unit_number is not None:
            unit = store.units.get(unit_number)
            line["unit"] = {"unitNumber": unit_number, "name": unit["name"]}


def due_date(terms: Doc, date: str) -> str:
    """The due date e-conomic derives from payment terms (reference §6.7)."""
    day = dt.date.fromisoformat(date)
    days = dt.timedelta(days=terms.get("daysOfCredit") or 0)
    kind = terms["paymentTermsType"]
    if kind == "invoiceMonth":
        day = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    elif kind == "invoiceWeekStartingMonday":
        day += dt.timedelta(days=6 - day.weekday())
    elif kind == "invoiceWeekStartingSunday":
        day += dt.timedelta(days=(5 - day.weekday()) % 7)
    elif kind in ("paidInCash", "creditcard", "prepaid"):
        return day.isoformat()
    return (day + days).isoformat()


def line_vat(store: Any, line: Doc, vat_zone: int) -> tuple[Decimal, int | None, str | None]:
    """(rate %, sales account, VAT code) of a line; a line without product carries no VAT."""
    product = store.products.get((line.get("product") or {}).get("productNumber"))
    if product is None:
        return ZERO, None, None
    account = store.sales_account(product["productGroup"]["productGroupNumber"], vat_zone)
    vat = store.vat_account_of(account)
    return (vat["ratePercentage"] if vat else ZERO), account, (vat["vatCode"] if vat else None)


def compute_totals(store: Any, doc: Doc) -> None:
    """Line and document totals, in document and base currency (in place)."""
    zone = doc["recipient"]["vatZone"]["vatZoneNumber"]
    rate = doc["exchangeRate"]
    net = vat = cost = ZERO
    for line in doc["lines"]:
        quantity = line.get("quantity") or ZERO
        price = line.get("unitNetPrice") or ZERO
        discount = line.get("discountPercentage") or ZERO
        line_net = money(quantity * price * (Decimal(1) - discount / Decimal(100)))
        vat_rate, _, _ = line_vat(store, line, zone)
        line_vat_amount = money(line_net * vat_rate / Decimal(100))
        line_cost = money(quantity * (line.get("unitCostPrice") or ZERO))
        line["totalNetAmount"] = line_net
        line["_vatRate"] = vat_rate
        line["_vatAmount"] = line_vat_amount
        margin = to_base(line_net, rate) - line_cost
        line["marginInBaseCurrency"] = money(margin)
        line["marginPercentage"] = _percent(margin, to_base(line_net, rate))
        net += line_net
        vat += line_vat_amount
        cost += line_cost
    rounding = ZERO  # [?] layouts without cash rounding: e-conomic then reports 0.00
    gross = net + vat + rounding
    doc.update({
        "netAmount": money(net), "netAmountInBaseCurrency": to_base(net, rate),
        "grossAmount": money(gross), "grossAmountInBaseCurrency": to_base(gross, rate),
        "vatAmount": money(vat), "roundingAmount": rounding,
        "costPriceInBaseCurrency": money(cost),
        "marginInBaseCurrency": money(to_base(net, rate) - cost),
        "marginPercentage": _percent(to_base(net, rate) - cost, to_base(net, rate)),
    })


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return money(part * 100 / whole) if whole else ZERO
