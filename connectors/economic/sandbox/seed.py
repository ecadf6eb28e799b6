"""The seeded Danish agreement: deterministic reference data numbered like a real agreement.

OSS design (reference §6.6 and iex-features §7: "OSS needs per-country product groups/accounts"):
e-conomic takes VAT from product group x VAT zone, never from the recipient's country. So the
agreement has one product group per EU country, ``10xx "OSS <CC> (<land>)"``, whose sales account
for zone 2 (EU) is ``10yy "OSS-salg <CC>"`` carrying VAT code ``OSS<CC>`` at that country's
standard rate. An EU consumer sale is a draft with ``recipient.vatZone`` 2 and lines whose products
sit in the destination country's OSS group; a B2B EU sale uses group 1 (zone 2 -> 1020, 0 %).
Domestic (zone 1) lines of an OSS group still get Danish 25 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

BASE_CURRENCY = "DKK"

# code, ISO number, name, price of 100 units in DKK (Danmarks Nationalbank style rates)
CURRENCIES = [
    ("DKK", "208", "Danske kroner", D("100.00")),
    ("EUR", "978", "Euro", D("746.08")),
    ("SEK", "752", "Svenske kroner", D("64.52")),
    ("NOK", "578", "Norske kroner", D("63.18")),
    ("USD", "840", "Amerikanske dollar", D("685.40")),
    ("GBP", "826", "Britiske pund", D("870.15")),
]

# EU member states other than Denmark: VAT code country, Danish name, standard rate (2024)
OSS_COUNTRIES = [
    ("AT", "Østrig", D("20")), ("BE", "Belgien", D("21")), ("BG", "Bulgarien", D("20")),
    ("CY", "Cypern", D("19")), ("CZ", "Tjekkiet", D("21")), ("DE", "Tyskland", D("19")),
    ("EE", "Estland", D("22")), ("EL", "Grækenland", D("24")), ("ES", "Spanien", D("21")),
    ("FI", "Finland", D("25.5")), ("FR", "Frankrig", D("20")), ("HR", "Kroatien", D("25")),
    ("HU", "Ungarn", D("27")), ("IE", "Irland", D("23")), ("IT", "Italien", D("22")),
    ("LT", "Litauen", D("21")), ("LU", "Luxembourg", D("17")), ("LV", "Letland", D("21")),
    ("MT", "Malta", D("18")), ("NL", "Holland", D("21")), ("PL", "Polen", D("23")),
    ("PT", "Portugal", D("23")), ("RO", "Rumænien", D("19")), ("SE", "Sverige", D("25")),
    ("SI", "Slovenien", D("22")), ("SK", "Slovakiet", D("20")),
]
OSS_GROUP_BASE = 1000      # product group 1000 + i (1001 = AT ...)
OSS_ACCOUNT_BASE = 1040    # sales account 1040 + i (1041 = AT ...); 1040 is the heading

DEBTORS = 5600
BANK = 5820
ACQUIRER_RECEIVABLE = 5830
SALES_VAT = 6610
OSS_VAT = 6620
PURCHASE_VAT = 6630
CREDITORS = 6800
CARD_FEES = 7220
ROUNDING = 7250
DIFFERENCES = 7260
CARD_COMPANY_CUSTOMER = 99999


def vat_zones() -> list[dict[str, Any]]:
    return [
        {"vatZoneNumber": 1, "name": "Domestic", "enabledForCustomer": True, "enabledForSupplier": True},
        {"vatZoneNumber": 2, "name": "EU", "enabledForCustomer": True, "enabledForSupplier": True},
        {"vatZoneNumber": 3, "name": "Abroad", "enabledForCustomer": True, "enabledForSupplier": True},
        {"vatZoneNumber": 4, "name": "Domestic exempt VAT", "enabledForCustomer": True},
    ]


def vat_types() -> list[dict[str, Any]]:
    return [{"vatTypeNumber": 1, "name": "Salgsmoms"}, {"vatTypeNumber": 2, "name": "Købsmoms"}]


def vat_accounts() -> list[dict[str, Any]]:
    sales = {"vatTypeNumber": 1, "name": "Salgsmoms"}
    rows = [
        {"vatCode": "U25", "name": "Salgsmoms 25%", "ratePercentage": D("25.00"), "account": {"accountNumber": SALES_VAT}, "vatType": sales},
        {"vatCode": "UEUV", "name": "Salg af varer til andre EU-lande (rubrik B)", "ratePercentage": D("0.00"), "account": {"accountNumber": SALES_VAT}, "vatType": sales},
        {"vatCode": "UVV", "name": "Salg af varer uden for EU (rubrik C)", "ratePercentage": D("0.00"), "account": {"accountNumber": SALES_VAT}, "vatType": sales},
        {"vatCode": "I25", "name": "Købsmoms 25%", "ratePercentage": D("25.00"), "account": {"accountNumber": PURCHASE_VAT}, "vatType": {"vatTypeNumber": 2, "name": "Købsmoms"}},
    ]
    for code, land, rate in OSS_COUNTRIES:
        rows.append({"vatCode": f"OSS{code}", "name": f"OSS-moms {land} {rate}%", "ratePercentage": rate.quantize(D("0.00")),
                     "account": {"accountNumber": OSS_VAT}, "vatType": sales})
    return rows


def _account(number: int, name: str, kind: str = "profitAndLoss", debit_credit: str = "credit", vat: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"accountNumber": number, "accountType": kind, "name": name, "debitCredit": debit_credit,
                           "balance": D("0.00"), "draftBalance": D("0.00")}
    if vat:
        row["vatAccount"] = {"vatCode": vat}
    return row


def accounts() -> list[dict[str, Any]]:
    rows = [
        _account(1000, "Omsætning", "heading"),
        _account(1010, "Salg af varer/ydelser m/moms", vat="U25"),
        _account(1020, "Salg af varer til EU (rubrik B)", vat="UEUV"),
        _account(1030, "Salg af varer uden for EU (rubrik C)", vat="UVV"),
        _account(OSS_ACCOUNT_BASE, "OSS-salg (EU-forbrugere)", "heading"),
    ]
    for index, (code, land, _) in enumerate(OSS_COUNTRIES, start=1):
        rows.append(_account(OSS_ACCOUNT_BASE + index, f"OSS-salg {code} {land}", vat=f"OSS{code}"))
    rows += [
        _account(1090, "Salg u/moms (momsfrit)"),
        _account(1310, "Varekøb", debit_credit="debit", vat="I25"),
        _account(5000, "Aktiver", "heading", "debit"),
        _account(DEBTORS, "Debitorer", "status", "debit"),
        _account(BANK, "Bank", "status", "debit"),
        _account(ACQUIRER_RECEIVABLE, "Tilgodehavende Stripe", "status", "debit"),
        _account(6600, "Moms", "heading"),
        _account(SALES_VAT, "Salgsmoms", "status"),
        _account(OSS_VAT, "OSS-moms", "status"),
        _account(PURCHASE_VAT, "Købsmoms", "status", "debit"),
        _account(CREDITORS, "Kreditorer", "status"),
        _account(7200, "Finansielle poster", "heading", "debit"),
        _account(CARD_FEES, "Kortgebyrer", debit_credit="debit"),
        _account(ROUNDING, "Øreafrunding", debit_credit="debit"),
        _account(DIFFERENCES, "Differencer (fejlkonto)", debit_credit="debit"),
    ]
    return rows


def customer_groups() -> list[dict[str, Any]]:
    def group(number: int, name: str, account: int = DEBTORS) -> dict[str, Any]:
        return {"customerGroupNumber": number, "name": name, "account": {"accountNumber": account}, "layout": {"layoutNumber": 19}}
    return [group(1, "Danske kunder"), group(2, "Kunder i EU"), group(3, "Kunder i udlandet"),
            group(4, "Webshop-kunder"), group(5, "Kortindløsere", ACQUIRER_RECEIVABLE)]


def product_groups() -> list[dict[str, Any]]:
    def group(number: int, name: str, by_zone: dict[int, int]) -> dict[str, Any]:
        return {"productGroupNumber": number, "name": name,
                "_salesAccounts": [{"vatZone": {"vatZoneNumber": z}, "account": {"accountNumber": a}} for z, a in sorted(by_zone.items())]}
    rows = [
        group(1, "Varer m/moms", {1: 1010, 2: 1020, 3: 1030, 4: 1090}),
        group(2, "Varer u/moms", {1: 1090, 2: 1090, 3: 1090, 4: 1090}),
    ]
    for index, (code, land, _) in enumerate(OSS_COUNTRIES, start=1):
        rows.append(group(OSS_GROUP_BASE + index, f"OSS {code} ({land})", {1: 1010, 2: OSS_ACCOUNT_BASE + index, 3: 1030, 4: 1090}))
    return rows


def payment_terms() -> list[dict[str, Any]]:
    return [
        {"paymentTermsNumber": 1, "name": "Netto 8 dage", "paymentTermsType": "net", "daysOfCredit": 8},
        {"paymentTermsNumber": 2, "name": "Kontant", "paymentTermsType": "paidInCash", "daysOfCredit": 0,
         "contraAccountForRemainderAmount": {"accountNumber": BANK}},
        {"paymentTermsNumber": 3, "name": "Kreditkort", "paymentTermsType": "creditcard", "daysOfCredit": 0,
         "creditCardCompany": {"customerNumber": CARD_COMPANY_CUSTOMER}},
        {"paymentTermsNumber": 4, "name": "Løbende måned + 30", "paymentTermsType": "invoiceMonth", "daysOfCredit": 30},
        {"paymentTermsNumber": 5, "name": "Efter aftale", "paymentTermsType": "dueDate", "daysOfCredit": 0},
    ]


def layouts() -> list[dict[str, Any]]:
    return [{"layoutNumber": 19, "name": "DK. std. m. bankoplysninger"}, {"layoutNumber": 21, "name": "English"}]


def units() -> list[dict[str, Any]]:
    return [{"unitNumber": 1, "name": "stk."}, {"unitNumber": 2, "name": "timer"}]


def employees() -> list[dict[str, Any]]:
    return [{"employeeNumber": 1, "name": "Sandbox Sælger", "email": "saelger@sandbox-handel.dk"}]


def suppliers() -> list[dict[str, Any]]:
    return [{"supplierNumber": 1, "name": "Sandbox Leverandør A/S", "currency": "DKK", "supplierGroup": {"supplierGroupNumber": 1},
             "paymentTerms": {"paymentTermsNumber": 1}, "vatZone": {"vatZoneNumber": 1}}]


def accounting_years(today: dt.date) -> list[dict[str, Any]]:
    return [{"year": str(y), "fromDate": f"{y}-01-01", "toDate": f"{y}-12-31"} for y in (today.year - 1, today.year)]


def journals() -> list[dict[str, Any]]:
    def journal(number: int, name: str, contra: int) -> dict[str, Any]:
        return {"journalNumber": number, "name": name, "settings": {
            "voucherNumbers": {"minimumVoucherNumber": 1, "maximumVoucherNumber": 999999999},
            "contraAccounts": {"customerPayments": {"accountNumber": contra}, "financeVouchers": {"accountNumber": contra},
                               "supplierPayments": {"accountNumber": BANK}}}}
    return [journal(1, "Kassekladde", BANK), journal(2, "PayMatch – indløser", ACQUIRER_RECEIVABLE)]


def customers(now: str) -> list[dict[str, Any]]:
    def customer(number: int, name: str, group: int, zone: int, terms: int, currency: str, **extra: Any) -> dict[str, Any]:
        return {"customerNumber": number, "name": name, "currency": currency, "customerGroup": {"customerGroupNumber": group},
                "vatZone": {"vatZoneNumber": zone}, "paymentTerms": {"paymentTermsNumber": terms},
                "layout": {"layoutNumber": 19}, "lastUpdated": now, **extra}
    return [
        customer(1, "Tøj & Co Grossisten", 1, 1, 1, "DKK", address="Vejlevej 21", zip="7000", city="Fredericia",
                 country="Denmark", corporateIdentificationNumber="29403473", email="bogholderi@tojco.dk"),
        customer(2, "Müller Handels GmbH", 2, 2, 1, "EUR", address="Hauptstraße 5", zip="20095", city="Hamburg",
                 country="Germany", vatNumber="DE123456789", email="buchhaltung@mueller.de"),
        customer(CARD_COMPANY_CUSTOMER, "Stripe Payments Europe Ltd.", 5, 3, 1, "DKK", country="Ireland"),
    ]


def products(now: str) -> list[dict[str, Any]]:
    return [
        {"productNumber": "100", "name": "T-shirt", "salesPrice": D("159.20"), "costPrice": D("60.00"),
         "productGroup": {"productGroupNumber": 1}, "unit": {"unitNumber": 1}, "lastUpdated": now},
        {"productNumber": "FRAGT", "name": "Fragt", "salesPrice": D("39.20"),
         "productGroup": {"productGroupNumber": 1}, "unit": {"unitNumber": 1}, "lastUpdated": now},
    ]


def self_document() -> dict[str, Any]:
    return {
        "agreementNumber": 712345,
        "agreementType": {"agreementTypeNumber": 1, "name": "Denmark"},
        "application": {"appNumber": 4711, "appPublicToken": "sandbox-public-token", "created": "2024-01-15T09:00:00Z",
                        "name": "iex", "requiredRoles": [{"roleNumber": 1, "name": "SuperUser"}]},
        "bankInformation": {"bankAccountNumber": "1234567890", "bankName": "Sandbox Bank", "bankSortCode": "1234",
                            "bankGiroNumber": "", "pbsCustomerGroupNumber": "", "pbsFiSupplierNumber": ""},
        "canSendElectronicInvoice": True,
        "company": {"name": "Sandbox Handel ApS", "addressLine1": "Vestergade 1", "zip": "8000", "city": "Aarhus C",
                    "country": "Denmark", "companyIdentificationNumber": "12345678", "vatNumber": "DK12345678",
                    "email": "info@sandbox-handel.dk", "phoneNumber": "+45 70 00 00 00", "website": "https://sandbox-handel.dk"},
        "companyAffiliation": "None",
        "modules": [{"moduleNumber": 1, "name": "Fakturering"}, {"moduleNumber": 2, "name": "Valuta"}],
        "settings": {"baseCurrency": BASE_CURRENCY, "internationalLedger": True},
        "signupDate": "2019-03-01",
        "user": {"agreementNumber": 712345, "email": "admin@sandbox-handel.dk", "loginId": "ADMIN", "name": "Sandbox Admin",
                 "language": {"culture": "da-DK", "languageNumber": 1, "name": "Danish"}},
        "userName": "Sandbox Admin",
    }
