"""The rules e-conomic enforces on writes, as tables to check line by line against the reference
(/work/shared/reference/economic-api.md §6). ``validation.py`` applies them.

Error codes: E06000, E04500, E04730 and E04740 are e-conomic's (reference §2). The others are
[?] the sandbox's own: the sources show no code for them, so they are stable placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass

# errorCode -> message template ({field}, {value}, {resource})
CODES = {
    "E06000": "{field} does not exist.",
    "E04500": "No identifiers present on {field}. Please include either a self link or a {id_field}.",
    "E04730": "Property quantity must have a value when product is set.",
    "E04740": "{field} scale cannot be greater then two decimal places.",
    "E04300": "Property {field} is required.",                       # [?] code
    "E04310": "{field} is too long; the maximum length is {limit}.",  # [?] code
    "E04315": "{field} must be at least {limit} character(s) long.",  # [?] code
    "E04320": "{field} must be {expected}.",                          # [?] code
    "E04330": "{field} {value} is already in use.",                   # [?] code
    "E04340": "{field} {value} is barred and cannot be used.",        # [?] code
    "E04350": "dueDate is required when the payment terms are of type dueDate.",  # [?] code
    "E04360": "{field} must be between {low} and {high}.",            # [?] code
    "E04370": "No open accounting year contains the date {value}.",  # [?] code
    "E04380": "An invoice without lines cannot be booked.",         # [?] code
    "E04390": "Product group {value} has no sales account for VAT zone {zone}.",  # [?] code
    "E04395": "{message}",                                          # [?] code: other rule text
}


@dataclass(frozen=True)
class Ref:
    """A reference property: how it is identified and where its resources live."""

    id_field: str | None      # None: the value itself is the key (currency code string)
    prefix: str               # collection path, for self links and developer hints
    table: str                # Store attribute
    id_type: type = int


REFS = {
    "currency": Ref(None, "/currencies", "currencies", str),
    "currencyObject": Ref("code", "/currencies", "currencies", str),
    "customer": Ref("customerNumber", "/customers", "customers"),
    "customerGroup": Ref("customerGroupNumber", "/customer-groups", "customer_groups"),
    "paymentTerms": Ref("paymentTermsNumber", "/payment-terms", "payment_terms"),
    "vatZone": Ref("vatZoneNumber", "/vat-zones", "vat_zones"),
    "layout": Ref("layoutNumber", "/layouts", "layouts"),
    "product": Ref("productNumber", "/products", "products", str),
    "productGroup": Ref("productGroupNumber", "/product-groups", "product_groups"),
    "unit": Ref("unitNumber", "/units", "units"),
    "account": Ref("accountNumber", "/accounts", "accounts"),
    "vatAccount": Ref("vatCode", "/vat-accounts", "vat_accounts", str),
    "employee": Ref("employeeNumber", "/employees", "employees"),
    "journal": Ref("journalNumber", "/journals", "journals"),
    "accountingYear": Ref("year", "/accounting-years", "accounting_years", str),
    "supplier": Ref("supplierNumber", "/suppliers", "suppliers"),
    "draftInvoice": Ref("draftInvoiceNumber", "/invoices/drafts", "drafts"),
}

# Required on POST/PUT (reference: "Required on create" lists)
REQUIRED = {
    "customer": ["currency", "customerGroup", "name", "paymentTerms", "vatZone"],
    "product": ["productNumber", "name", "productGroup"],
    "draft": ["currency", "customer", "date", "layout", "paymentTerms", "recipient", "recipient.name", "recipient.vatZone"],
    "contact": ["name"],
    "deliveryLocation": [],
    "voucher": ["accountingYear"],
}

# Properties a write accepts; others are dropped, as e-conomic's deserialiser ignores them
KNOWN = {
    "customer": {"address", "barred", "city", "corporateIdentificationNumber", "country", "creditLimit", "currency",
                 "customerGroup", "customerNumber", "ean", "email", "layout", "mobilePhone", "name", "pNumber",
                 "paymentTerms", "priceGroup", "publicEntryNumber", "salesPerson", "telephoneAndFaxNumber", "vatNumber",
                 "vatZone", "website", "zip", "attention", "customerContact", "defaultDeliveryLocation",
                 "eInvoicingDisabledByDefault"},
    "product": {"productNumber", "name", "description", "salesPrice", "costPrice", "recommendedPrice", "barCode",
                "barred", "unit", "productGroup", "departmentalDistribution", "inventory"},
    "draft": {"date", "dueDate", "currency", "exchangeRate", "customer", "delivery", "deliveryLocation", "notes",
              "paymentTerms", "project", "recipient", "references", "layout", "lines"},
    "line": {"lineNumber", "sortKey", "product", "description", "quantity", "unitNetPrice", "discountPercentage",
             "unitCostPrice", "unit", "departmentalDistribution", "accrual", "deliveryDate"},
}

# Properties that must be JSON objects when present
OBJECTS = {
    "customer": ["attention", "customerContact", "defaultDeliveryLocation"],
    "draft": ["recipient", "notes", "references", "delivery", "deliveryLocation", "project"],
    "line": ["accrual", "departmentalDistribution"],
    "product": ["inventory", "departmentalDistribution"],
}

# Maximum lengths of string properties
MAX_LENGTH = {
    "customer": {"address": 510, "city": 50, "corporateIdentificationNumber": 40, "country": 50, "currency": 3,
                 "ean": 40, "email": 255, "mobilePhone": 50, "name": 255, "pNumber": 10, "publicEntryNumber": 50,
                 "telephoneAndFaxNumber": 255, "vatNumber": 50, "website": 255, "zip": 30},
    "product": {"productNumber": 25, "name": 300, "description": 500, "barCode": 50},
    "draft": {"notes.heading": 250, "notes.textLine1": 1000, "notes.textLine2": 1000, "recipient.name": 250,
              "recipient.address": 250, "recipient.zip": 50, "recipient.city": 250, "recipient.country": 50,
              "recipient.ean": 13, "recipient.publicEntryNumber": 40, "references.other": 250,
              "delivery.address": 255, "delivery.zip": 30, "delivery.city": 50, "delivery.country": 50,
              "delivery.deliveryTerms": 100},
    "line": {"description": 2500},
    "contact": {"name": 255, "email": 255, "phone": 50, "eInvoiceId": 50, "notes": 2000},
    "deliveryLocation": {"address": 255, "postalCode": 15, "city": 50, "country": 50, "termsOfDelivery": 100},
    "entry": {"text": 250, "supplierInvoiceNumber": 30},
}

# Minimum lengths (productNumber 1-25, name 1-255 / 1-300)
MIN_LENGTH = {
    "customer": {"name": 1},
    "product": {"productNumber": 1, "name": 1},
    "draft": {"recipient.name": 1},
}

# Reference properties per document: dotted path -> REFS kind
REFERENCES = {
    "customer": {"currency": "currency", "customerGroup": "customerGroup", "paymentTerms": "paymentTerms",
                 "vatZone": "vatZone", "layout": "layout", "salesPerson": "employee"},
    "product": {"productGroup": "productGroup", "unit": "unit"},
    "draft": {"currency": "currency", "customer": "customer", "layout": "layout", "paymentTerms": "paymentTerms",
              "recipient.vatZone": "vatZone", "references.salesPerson": "employee",
              "references.vendorReference": "employee"},
    "line": {"product": "product", "unit": "unit"},
    "entry": {"customer": "customer", "supplier": "supplier", "account": "account", "contraAccount": "account", "currency": "currencyObject",
              "vatAccount": "vatAccount", "contraVatAccount": "vatAccount"},
}

# Decimal properties limited to two decimals (E04740)
TWO_DECIMALS = {"line": ["unitNetPrice"], "entry": ["amount"]}

# Numeric properties (E04320 when not a number)
NUMBERS = {
    "line": ["quantity", "unitNetPrice", "discountPercentage", "unitCostPrice"],
    "product": ["salesPrice", "costPrice", "recommendedPrice"],
    "draft": ["exchangeRate"],
    "customer": ["creditLimit"],
    "entry": ["amount", "exchangeRate"],
}

# ISO dates (E04320 when not YYYY-MM-DD)
DATES = {"draft": ["date", "dueDate", "delivery.deliveryDate"], "entry": ["date", "dueDate"]}

# Journal voucher entry types and what each must carry besides amount and date
ENTRY_TYPES = {
    "customerPayments": {"entryType": "customerPayment", "one_of": ("customer", "contraAccount")},
    "financeVouchers": {"entryType": "financeVoucher", "one_of": ("account",)},
    "manualCustomerInvoices": {"entryType": "manualDebtorInvoice", "one_of": ("customer",)},
    "supplierInvoices": {"entryType": "supplierInvoice", "one_of": ("supplier",)},
    "supplierPayments": {"entryType": "supplierPayment", "one_of": ("supplier",)},
}
ENTRY_REQUIRED = ["amount", "date"]
