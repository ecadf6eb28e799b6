"""JSON Schemas of the connection settings and of every action's input (what mappings produce).

Amounts may be numbers (Decimal from templates) or numeric text (from CSV sources); the
connector turns both into Decimal. Document bodies use e-conomic's own field names and nesting,
so a technician can read e-conomic's documentation next to the mapping.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

MONEY: JSON = {"type": ["number", "string"], "pattern": r"^-?\d+(\.\d+)?$"}
NUMBER_REF = {"type": ["integer", "string"], "pattern": r"^\d+$"}


def _money(description: str) -> JSON:
    return {**MONEY, "description": description}


def _ref(key: str, description: str) -> JSON:
    return {"type": "object", "description": description, "required": [key],
            "properties": {key: {**NUMBER_REF, "description": f"e-conomic's {key}"}}}


SETTINGS: JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["app_secret_token", "agreement_grant_token"],
    "properties": {
        "app_secret_token": {"type": "string", "x-secret": True, "title": "App secret token",
                             "description": "X-AppSecretToken of the integration's e-conomic app (a ${env:..} or ${file:..} reference)."},
        "agreement_grant_token": {"type": "string", "x-secret": True, "title": "Agreement grant token",
                                  "description": "X-AgreementGrantToken the agreement's administrator granted the app (a reference)."},
        "base_url": {"type": "string", "default": "https://restapi.e-conomic.com", "title": "REST API URL",
                     "description": "e-conomic's REST API; point it at `iex sandbox economic` for tests."},
        "journals_url": {"type": "string", "title": "Journals API URL",
                         "description": "Journals API used to book journals. Default: "
                                        "https://apis.e-conomic.com/journalsapi/v5.0.0, or <base_url>/journalsapi/v5.0.0 "
                                        "when base_url is a loopback sandbox."},
        "rate_limit": {
            "type": "object", "additionalProperties": False, "title": "Rate limit",
            "description": "Calls iex allows itself towards this agreement (shared by every flow using it).",
            "properties": {
                "requests_per_second": {"type": "number", "exclusiveMinimum": 0, "default": 10,
                                        "description": "Steady request rate."},
                "burst": {"type": "integer", "minimum": 1, "default": 20, "description": "Requests allowed at once before the rate applies."},
                "daily_limit": {"type": "integer", "minimum": 1, "default": 50000,
                                "description": "e-conomic's fair use: 50,000 calls per agreement per day; the run stops cleanly at the limit."},
            },
        },
        "max_concurrency": {"type": "integer", "minimum": 1, "default": 4,
                            "description": "Requests in flight at the same time."},
    },
}

CUSTOMER_BODY: JSON = {
    "type": "object",
    "description": "The e-conomic customer: used to create it, and for the fields in update_fields.",
    "properties": {
        "name": {"type": "string", "maxLength": 255, "description": "Customer name (required to create)."},
        "address": {"type": "string", "maxLength": 510, "description": "Street address."},
        "zip": {"type": "string", "maxLength": 30, "description": "Postal code."},
        "city": {"type": "string", "maxLength": 50, "description": "City."},
        "country": {"type": "string", "maxLength": 50, "description": "Country name."},
        "email": {"type": "string", "maxLength": 255, "description": "E-mail (several separated by spaces)."},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 currency (required to create)."},
        "customerGroup": _ref("customerGroupNumber", "Customer group (required to create)."),
        "paymentTerms": _ref("paymentTermsNumber", "Payment terms (required to create)."),
        "vatZone": _ref("vatZoneNumber", "VAT zone: 1 domestic, 2 EU, 3 abroad... (required to create)."),
        "layout": _ref("layoutNumber", "Invoice layout for this customer."),
        "corporateIdentificationNumber": {"type": "string", "maxLength": 40, "description": "CVR number."},
        "ean": {"type": "string", "maxLength": 40, "description": "EAN location number (public sector e-invoicing)."},
        "vatNumber": {"type": "string", "maxLength": 50, "description": "Foreign VAT number."},
        "telephoneAndFaxNumber": {"type": "string", "maxLength": 255, "description": "Telephone."},
        "mobilePhone": {"type": "string", "maxLength": 50, "description": "Mobile phone."},
        "website": {"type": "string", "maxLength": 255, "description": "Website."},
        "publicEntryNumber": {"type": "string", "maxLength": 50, "description": "Public entry number (EAN invoices)."},
    },
}

FIND_OR_CREATE_CUSTOMER: JSON = {
    "type": "object",
    "additionalProperties": False,
    "description": "Find the customer by one field, or use one common customer for all sales.",
    "oneOf": [{"required": ["match"]}, {"required": ["common_customer_number"]}],
    "properties": {
        "match": {
            "type": "object", "required": ["field", "value"], "additionalProperties": False,
            "description": "Which customer field identifies the buyer, and the buyer's value.",
            "properties": {
                "field": {"enum": ["email", "corporateIdentificationNumber", "ean", "customerNumber", "vatNumber",
                                   "telephoneAndFaxNumber", "name"], "description": "The e-conomic field matched on."},
                "value": {"type": ["string", "integer", "null"], "description": "The buyer's value of that field."},
            },
        },
        "common_customer_number": {**NUMBER_REF, "description": "Put every sale on this one existing customer."},
        "create": {"type": "boolean", "default": True, "description": "Create the customer when none matches."},
        "update_fields": {"type": "array", "items": {"type": "string"}, "default": [],
                          "description": "Fields of an existing customer that may be updated from `customer`."},
        "customer": CUSTOMER_BODY,
        "contact": {
            "type": "object", "required": ["name"], "additionalProperties": False,
            "description": "The customer's contact person, found by name or created; its number comes back as "
                           "contactNumber for the invoice's references.customerContact (needed to send by EAN).",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 255, "description": "Name of the person."},
                "email": {"type": ["string", "null"], "maxLength": 255, "description": "E-mail of the person."},
                "phone": {"type": ["string", "null"], "maxLength": 50, "description": "Telephone of the person."},
            },
        },
    },
}

ENSURE_PRODUCT: JSON = {
    "type": "object",
    "additionalProperties": False,
    "description": "Make sure the product of an invoice line exists in e-conomic.",
    "properties": {
        "productNumber": {"type": ["string", "null"], "description": "Product number (the shop's SKU), at most 25 characters."},
        "name": {"type": "string", "maxLength": 300, "description": "Product name (required to create)."},
        "description": {"type": "string", "maxLength": 500, "description": "Longer product text."},
        "productGroupNumber": {**NUMBER_REF, "description": "Product group; decides accounts and VAT (required to create)."},
        "salesPrice": _money("Unit price excluding VAT."),
        "costPrice": _money("Cost price."),
        "recommendedPrice": _money("Recommended price."),
        "barCode": {"type": "string", "maxLength": 50, "description": "Bar code."},
        "unitNumber": {**NUMBER_REF, "description": "Unit (e.g. 1 = stk.)."},
        "create": {"type": "boolean", "default": True, "description": "Create the product when it is missing."},
        "update_fields": {"type": "array", "default": [], "description": "Fields of an existing product that may be updated.",
                          "items": {"enum": ["name", "description", "salesPrice", "costPrice", "recommendedPrice",
                                             "barCode", "productGroupNumber", "unitNumber"]}},
        "default_product_number": {"type": ["string", "null"],
                                   "description": "Product used when the line has none, or it is missing and creating is off."},
    },
}

ENSURE_PRODUCTS: JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["products"],
    "description": "Make sure the products of a document's lines exist (each as ensure_product), in one step.",
    "properties": {
        "products": {"type": "array", "items": ENSURE_PRODUCT,
                     "description": "One ensure_product input per line; the same number twice costs nothing."},
    },
}

LINE: JSON = {
    "type": "object",
    "properties": {
        "product": {"type": "object", "required": ["productNumber"], "description": "The line's product (must exist; see ensure_product).",
                    "properties": {"productNumber": {"type": ["string", "integer"], "description": "e-conomic's productNumber (text, at most 25 characters)."}}},
        "description": {"type": "string", "maxLength": 2500, "description": "Line text (the product name when left out)."},
        "quantity": _money("Quantity."),
        "unitNetPrice": _money("Unit price excluding VAT, at most 2 decimals."),
        "discountPercentage": _money("Discount in percent."),
        "unit": _ref("unitNumber", "Unit."),
    },
}

DOCUMENT_PROPERTIES: JSON = {
    "date": {"type": "string", "format": "date", "description": "Invoice date, YYYY-MM-DD."},
    "dueDate": {"type": "string", "format": "date", "description": "Due date (only for payment terms of type dueDate)."},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 currency."},
    "exchangeRate": _money("Price of 100 units of the currency in the base currency (default: e-conomic's daily rate)."),
    "customer": _ref("customerNumber", "The customer (from find_or_create_customer)."),
    "paymentTerms": _ref("paymentTermsNumber", "Payment terms."),
    "layout": _ref("layoutNumber", "Invoice layout."),
    "recipient": {
        "type": "object", "description": "Who the invoice is addressed to (shown on the invoice).",
        "properties": {
            "name": {"type": "string", "maxLength": 250, "description": "Name."},
            "address": {"type": "string", "maxLength": 250, "description": "Address."},
            "zip": {"type": "string", "maxLength": 50, "description": "Postal code."},
            "city": {"type": "string", "maxLength": 250, "description": "City."},
            "country": {"type": "string", "maxLength": 50, "description": "Country."},
            "ean": {"type": "string", "maxLength": 13, "description": "EAN for NemHandel."},
            "publicEntryNumber": {"type": "string", "maxLength": 40, "description": "Public entry number."},
            "vatZone": _ref("vatZoneNumber", "VAT zone of this sale."),
            "attention": _ref("customerContactNumber", "Contact person."),
        },
    },
    "delivery": {"type": "object", "description": "Delivery address and date (address, zip, city, country, deliveryDate, deliveryTerms)."},
    "deliveryLocation": _ref("deliveryLocationNumber", "One of the customer's delivery locations."),
    "project": _ref("projectNumber", "Project (Projects module)."),
    "notes": {"type": "object", "description": "Heading and text lines shown on the invoice.",
              "properties": {"heading": {"type": "string", "maxLength": 250, "description": "Heading."},
                             "textLine1": {"type": "string", "maxLength": 1000, "description": "Text above the lines."},
                             "textLine2": {"type": "string", "maxLength": 1000, "description": "Text below the lines."}}},
    "references": {"type": "object", "description": "References; `other` holds the source's key and finds the document after a crash.",
                   "properties": {"other": {"type": "string", "maxLength": 250, "description": "Source key (default: the idempotency key)."},
                                  "customerContact": _ref("customerContactNumber", "Customer's contact.")}},
    "lines": {"type": "array", "items": LINE, "description": "Invoice lines."},
}

VALIDATION_PROPERTIES: JSON = {
    "expected": {"type": "object", "description": "The source's totals, compared with e-conomic's before booking.",
                 "properties": {"gross": _money("Total including VAT."), "vat": _money("VAT total."),
                                "currency": {"type": "string", "description": "Currency of these totals."}}},
    "tolerance": _money("Largest gross difference absorbed by a rounding line (e.g. 0.10)."),
    "rounding_product_number": {"type": ["string", "null"], "description": "VAT-free product for rounding lines; "
                                "without it, differences within tolerance are accepted as they are."},
    "rounding_text": {"type": "string", "description": "Text of the rounding line (default Øreafrunding)."},
    "book": {"type": "boolean", "default": False, "description": "Book the invoice after validation."},
    "book_with_number": {**NUMBER_REF, "description": "Book with this invoice number instead of the next one."},
    "send_by": {"enum": ["none", "ean"], "default": "none", "description": "ean: send through NemHandel when booked."},
}

CREATE_INVOICE: JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["date", "currency", "customer", "paymentTerms", "layout", "recipient", "lines"],
    "description": "An e-conomic draft invoice plus what to do with it.",
    "properties": {**DOCUMENT_PROPERTIES, **VALIDATION_PROPERTIES},
}

CREATE_ORDER: JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["date", "currency", "customer", "paymentTerms", "layout", "recipient", "lines"],
    "description": "An e-conomic order draft (same shape as an invoice draft; never booked).",
    "properties": DOCUMENT_PROPERTIES,
}

CREATE_CREDIT_NOTE: JSON = {
    "type": "object",
    "additionalProperties": False,
    "description": "A credit note for a booked invoice: returned lines, or an amount on the refund product. "
                   "Customer, currency, layout, payment terms and recipient come from the invoice unless given.",
    "properties": {
        **{k: v for k, v in DOCUMENT_PROPERTIES.items() if k != "lines"},
        **VALIDATION_PROPERTIES,
        "expected": {"type": "object", "description": "The refund's totals as the source shows them (positive).",
                     "properties": {"gross": _money("Refund including VAT."), "vat": _money("VAT of the refund."),
                                    "currency": {"type": "string", "description": "Currency."}}},
        "invoice_number": {"type": ["integer", "string", "null"],
                           "description": "The booked invoice credited; null holds the refund until it is booked."},
        "lines": {"type": "array", "items": LINE, "description": "Returned lines with POSITIVE quantities."},
        "amount": _money("Refund amount not tied to lines (positive)."),
        "vat_included": {"type": "boolean", "default": True,
                         "description": "amount includes VAT (converted to net with the invoice's VAT rate)."},
        "refund_product_number": {"type": ["string", "null"], "description": "Product used for an amount-only refund."},
        "refund_text": {"type": "string", "description": "Line text for an amount-only refund."},
    },
}

VOUCHER: JSON = {
    "type": "object",
    "required": ["reference", "entries"],
    "properties": {
        "reference": {"type": "string", "minLength": 1, "description": "Unique id of the voucher (e.g. the payout id); "
                      "written into each entry's text as [reference] so a repeat finds it."},
        "text": {"type": "string", "description": "Entry text used where an entry has none."},
        "voucherNumber": {**NUMBER_REF, "description": "Voucher number (default: the journal's next)."},
        "entries": {
            "type": "object", "additionalProperties": False,
            "description": "e-conomic voucher entries; amounts signed (customer payments NEGATIVE = credit the debtor).",
            "properties": {k: {"type": "array", "items": {"type": "object", "required": ["amount", "date"]},
                               "description": f"e-conomic {k} entries."}
                           for k in ("customerPayments", "financeVouchers", "manualCustomerInvoices",
                                     "supplierInvoices", "supplierPayments")},
        },
    },
}

POST_VOUCHERS: JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["journalNumber", "vouchers"],
    "properties": {
        "journalNumber": {**NUMBER_REF, "description": "Journal (kassekladde), best one used only by iex."},
        "accountingYear": {"type": "string", "description": "Accounting year, e.g. 2024 (default: from the entry date)."},
        "vouchers": {"type": "array", "items": VOUCHER, "description": "Vouchers to post (already posted ones are skipped)."},
    },
}

BOOK_JOURNAL: JSON = {
    "type": "object", "additionalProperties": False, "required": ["journalNumber"],
    "properties": {"journalNumber": {**NUMBER_REF, "description": "Journal whose draft entries are all booked."}},
}

GET_INVOICE_PDF: JSON = {
    "type": "object", "additionalProperties": False, "required": ["bookedInvoiceNumber", "path"],
    "properties": {"bookedInvoiceNumber": {**NUMBER_REF, "description": "Booked invoice number."},
                   "path": {"type": "string", "description": "File to write the PDF to (replaced if it exists)."}},
}

BOOKED_INVOICES_OPTIONS: JSON = {
    "type": "object", "additionalProperties": False,
    "properties": {"from_date": {"type": "string", "format": "date", "description": "First invoice date read on the first run."},
                   "status": {"enum": ["all", "unpaid", "paid"], "default": "all", "description": "Which booked invoices."}},
}
