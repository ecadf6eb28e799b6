"""The seeded Danish agreement as a connector reads it: /self, currencies, VAT zones and codes
(incl. OSS), the chart of accounts, groups, payment terms, layouts, units, years, journals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def test_root_lists_endpoints(api: Any) -> None:
    body = api.ok(api.get("/"))
    hrefs = {r["name"]: r["href"] for r in body["resources"]}
    assert hrefs["customers"] == f"{api.sandbox.url}/customers" and "journals" in hrefs


def test_self_is_a_danish_agreement_in_dkk(api: Any) -> None:
    me = api.ok(api.get("/self"))
    assert me["settings"]["baseCurrency"] == "DKK"
    assert me["company"]["vatNumber"].startswith("DK") and me["agreementNumber"] > 0
    assert me["self"] == f"{api.sandbox.url}/self"


def test_currencies(api: Any) -> None:
    codes = {c["code"] for c in api.collection("/currencies")}
    assert {"DKK", "EUR", "SEK", "NOK", "USD", "GBP"} <= codes
    assert api.ok(api.get("/currencies/EUR"))["isoNumber"] == "978"


def test_vat_zones_one_to_four(api: Any) -> None:
    zones = {z["vatZoneNumber"]: z for z in api.collection("/vat-zones")}
    assert [zones[n]["name"] for n in (1, 2, 3, 4)] == ["Domestic", "EU", "Abroad", "Domestic exempt VAT"]
    assert zones[4]["enabledForCustomer"] and "enabledForSupplier" not in zones[4]


def test_vat_codes_include_oss_at_each_countrys_rate(api: Any) -> None:
    rates = {v["vatCode"]: v["ratePercentage"] for v in api.collection("/vat-accounts")}
    assert rates["U25"] == Decimal("25.00") and rates["UEUV"] == 0 and rates["UVV"] == 0
    assert (rates["OSSDE"], rates["OSSSE"], rates["OSSFR"], rates["OSSHU"]) == (19, 25, 20, 27)
    assert len([c for c in rates if c.startswith("OSS")]) == 26


def test_chart_of_accounts_has_the_accounts_integrations_post_to(api: Any) -> None:
    accounts = {a["accountNumber"]: a for a in api.collection("/accounts")}
    assert accounts[1010]["vatAccount"]["vatCode"] == "U25"
    assert accounts[1046]["vatAccount"]["vatCode"] == "OSSDE"
    assert {5600, 5820, 5830, 7220, 7250, 7260} <= set(accounts)
    assert accounts[5830]["name"] == "Tilgodehavende Stripe"


def test_product_groups_route_sales_by_vat_zone(api: Any) -> None:
    def accounts_of(group: int) -> dict[int, int]:
        rows = api.collection(f"/product-groups/{group}/sales-accounts")
        return {r["vatZone"]["vatZoneNumber"]: r["account"]["accountNumber"] for r in rows}

    assert accounts_of(1) == {1: 1010, 2: 1020, 3: 1030, 4: 1090}
    assert set(accounts_of(2).values()) == {1090}
    de = next(g for g in api.collection("/product-groups", filter="name$like:OSS DE*"))
    assert accounts_of(de["productGroupNumber"])[2] == 1046


def test_payment_terms_layouts_units(api: Any) -> None:
    terms = {t["paymentTermsNumber"]: t for t in api.collection("/payment-terms")}
    assert (terms[1]["name"], terms[1]["daysOfCredit"], terms[1]["paymentTermsType"]) == ("Netto 8 dage", 8, "net")
    assert terms[2]["paymentTermsType"] == "paidInCash" and terms[4]["paymentTermsType"] == "invoiceMonth"
    assert terms[3]["creditCardCompany"]["self"].endswith("/customers/99999")
    assert {l["layoutNumber"] for l in api.collection("/layouts")} == {19, 21}
    assert api.ok(api.get("/units/1"))["name"] == "stk."


def test_accounting_years_current_and_previous(api: Any) -> None:
    year = api.sandbox.store.today().year
    assert [y["year"] for y in api.collection("/accounting-years")] == [str(year - 1), str(year)]


def test_journals_and_groups(api: Any) -> None:
    journals = {j["journalNumber"]: j for j in api.collection("/journals")}
    assert journals[1]["name"] == "Kassekladde" and journals[2]["settings"]["contraAccounts"]["customerPayments"]["accountNumber"] == 5830
    groups = {g["customerGroupNumber"]: g["name"] for g in api.collection("/customer-groups")}
    assert {1, 2, 3, 4} <= set(groups)
