"""Reference data of the agreement (read-only over REST): root, /self, currencies, VAT, accounts,
groups, payment terms, layouts, units, employees, suppliers and accounting years."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import Route

from connectors.economic.sandbox.collections import envelope
from connectors.economic.sandbox.errors import error, not_found
from connectors.economic.sandbox.links import encode_id, with_links
from connectors.economic.sandbox.routing import Ctx, resource

Doc = dict[str, Any]

ENTRY_FIELDS = {"entryNumber": "int", "entryType": "string", "date": "date", "amount": "number",
                "amountInBaseCurrency": "number", "account.accountNumber": "int", "customer.customerNumber": "int",
                "bookedInvoice.bookedInvoiceNumber": "int", "voucherNumber": "int", "text": "string",
                "remainder": "number", "currency": "string"}


def table_routes(path: str, table: str, key_field: str, fields: dict[str, str],
                 extra: Callable[[Ctx, Doc], Doc] | None = None, key_type: type = int) -> list[Route]:
    """GET collection and GET item for a read-only table."""
    def render(ctx: Ctx, doc: Doc) -> Doc:
        key = doc[key_field]
        out = with_links(doc, ctx.links, f"{path}/{encode_id(key) if key_type is str else key}")
        return extra(ctx, out) if extra else out

    def get_list(ctx: Ctx) -> Doc:
        return envelope(ctx.links, path, ctx.params, getattr(ctx.store, table), fields, lambda d: render(ctx, d))

    def get_one(ctx: Ctx) -> Doc:
        key = ctx.arg("key")
        if key_type is str:
            key = key.upper() if table == "currencies" else key
        doc = getattr(ctx.store, table).get(key)
        if doc is None:
            raise not_found(f"{path.strip('/')} {key}")
        return render(ctx, doc)

    converter = "int" if key_type is int else "str"
    return [resource(path, get=get_list), resource(f"{path}/{{key:{converter}}}", get=get_one)]


def root(ctx: Ctx) -> Doc:
    # [?] the root's exact shape is not in the sources: endpoints with their state and href
    names = ["accounting-years", "accounts", "currencies", "customer-groups", "customers", "employees", "invoices",
             "journals", "layouts", "orders", "payment-terms", "product-groups", "products", "self", "suppliers",
             "units", "vat-accounts", "vat-types", "vat-zones"]
    experimental = {"journals", "orders", "vat-zones"}
    return {"apiName": "e-conomic REST API (sandbox)",
            "gettingStartedGuide": {"href": "https://www.e-conomic.com/developer/connect"},
            "resources": [{"name": n, "state": "experimental" if n in experimental else "stable",
                           "href": ctx.links.url(f"/{n}")} for n in names],
            "self": ctx.links.url("/")}


def self_doc(ctx: Ctx) -> Doc:
    out = with_links(ctx.store.self_doc, ctx.links, "/self")
    out["company"]["self"] = ctx.links.url("/self/company")
    out["user"]["self"] = ctx.links.url("/self/user")
    return out


def product_group_extra(ctx: Ctx, doc: Doc) -> Doc:
    number = doc["productGroupNumber"]
    doc["products"] = ctx.links.url(f"/product-groups/{number}/products")
    doc["salesAccounts"] = ctx.links.url(f"/product-groups/{number}/sales-accounts")
    return doc


def sales_accounts(ctx: Ctx) -> Doc:
    group = ctx.store.product_groups.get(ctx.arg("key"))
    if group is None:
        raise not_found(f"product-groups {ctx.arg('key')}")
    path = f"/product-groups/{group['productGroupNumber']}/sales-accounts"
    rows = [dict(r, productGroup={"productGroupNumber": group["productGroupNumber"]}) for r in group["_salesAccounts"]]
    fields = {"vatZone.vatZoneNumber": "int", "account.accountNumber": "int"}
    return envelope(ctx.links, path, ctx.params, rows, fields,
                    lambda d: with_links(d, ctx.links, f"{path}/{d['vatZone']['vatZoneNumber']}"))


def group_members(group_table: str, member_table: str, ref: str, key_field: str, prefix: str, member_key: str,
                  fields: dict[str, str]) -> Callable[[Ctx], Doc]:
    """``/customer-groups/{n}/customers`` and the like."""
    def handler(ctx: Ctx) -> Doc:
        number = ctx.arg("key")
        if getattr(ctx.store, group_table).get(number) is None:
            raise not_found(f"{prefix.strip('/')} {number}")
        members = [d for d in getattr(ctx.store, member_table) if (d.get(ref) or {}).get(key_field) == number]
        return envelope(ctx.links, f"{prefix}/{number}/{member_table}", ctx.params, members, fields,
                        lambda d: with_links(d, ctx.links, f"/{member_table}/{encode_id(d[member_key]) if isinstance(d[member_key], str) else d[member_key]}"))
    return handler


def year_entries(ctx: Ctx) -> Doc:
    year = ctx.arg("key")
    if ctx.store.accounting_years.get(year) is None:
        raise not_found(f"accounting-years {year}")
    entries = ctx.store.ledger.lookup("_year", year) or []
    path = f"/accounting-years/{year}/entries"
    return envelope(ctx.links, path, ctx.params, entries, ENTRY_FIELDS,
                    lambda e: with_links(e, ctx.links, f"/entries/{e['entryNumber']}"))


def account_year_entries(ctx: Ctx) -> Doc:
    number, year = ctx.arg("key"), ctx.arg("year")
    if ctx.store.accounts.get(number) is None or ctx.store.accounting_years.get(year) is None:
        raise not_found(f"accounts {number} / accounting-years {year}")
    entries = [e for e in ctx.store.ledger.lookup("account.accountNumber", number) or [] if e["_year"] == year]
    path = f"/accounts/{number}/accounting-years/{year}/entries"
    return envelope(ctx.links, path, ctx.params, entries, ENTRY_FIELDS,
                    lambda e: with_links(e, ctx.links, f"/entries/{e['entryNumber']}"))


def entry(ctx: Ctx) -> Doc:
    found = ctx.store.ledger.get(ctx.arg("key"))
    if found is None:
        raise not_found(f"entries {ctx.arg('key')}")
    return with_links(found, ctx.links, f"/entries/{found['entryNumber']}")


def account_extra(ctx: Ctx, doc: Doc) -> Doc:
    doc["accountingYears"] = ctx.links.url(f"/accounts/{doc['accountNumber']}/accounting-years")
    return doc


def year_extra(ctx: Ctx, doc: Doc) -> Doc:
    doc["entries"] = ctx.links.url(f"/accounting-years/{doc['year']}/entries")
    return doc


def not_implemented(ctx: Ctx) -> Doc:
    """e-conomic answers 501 where its documents link to something not implemented (reference §2)."""
    raise error(501, f"{ctx.request.url.path} is not implemented in the sandbox.",
                "The sandbox serves what integrations use; see GET / for the endpoints.")


# Paths the documents link to that the sandbox does not serve (answered 501, not 404)
NOT_IMPLEMENTED = ["/customers/{n:int}/totals{rest:path}", "/customers/{n:int}/templates",
                   "/customers/{n:int}/templates/invoiceline{rest:path}", "/products/{n}/pricing{rest:path}",
                   "/self/{rest:path}", "/journals/{n:int}/templates{rest:path}",
                   "/journals-experimental/{n:int}/templates{rest:path}", "/accounts/{n:int}/accounting-years",
                   "/invoices/totals{rest:path}"]


def routes() -> list[Route]:
    out = [resource("/", get=root), resource("/self", get=self_doc)]
    out += [resource(path, get=not_implemented, post=not_implemented, put=not_implemented) for path in NOT_IMPLEMENTED]
    out += table_routes("/currencies", "currencies", "code", {"code": "string", "name": "string", "isoNumber": "string"}, key_type=str)
    out += table_routes("/vat-zones", "vat_zones", "vatZoneNumber", {"vatZoneNumber": "int", "name": "string"})
    out += table_routes("/vat-types", "vat_types", "vatTypeNumber", {"vatTypeNumber": "int", "name": "string"})
    out += table_routes("/vat-accounts", "vat_accounts", "vatCode",
                        {"vatCode": "string", "name": "string", "ratePercentage": "number", "barred": "bool",
                         "account.accountNumber": "int", "vatType.vatTypeNumber": "int"}, key_type=str)
    out.append(resource("/accounts/{key:int}/accounting-years/{year}/entries", get=account_year_entries))
    out += table_routes("/accounts", "accounts", "accountNumber",
                        {"accountNumber": "int", "name": "string", "accountType": "string", "balance": "number",
                         "barred": "bool", "debitCredit": "string", "vatAccount.vatCode": "string"}, account_extra)
    out.append(resource("/customer-groups/{key:int}/customers", get=group_members(
        "customer_groups", "customers", "customerGroup", "customerGroupNumber", "/customer-groups", "customerNumber",
        {"customerNumber": "int", "name": "string"})))
    out += table_routes("/customer-groups", "customer_groups", "customerGroupNumber",
                        {"customerGroupNumber": "int", "name": "string", "account.accountNumber": "int"})
    out.append(resource("/product-groups/{key:int}/sales-accounts", get=sales_accounts))
    out.append(resource("/product-groups/{key:int}/products", get=group_members(
        "product_groups", "products", "productGroup", "productGroupNumber", "/product-groups", "productNumber",
        {"productNumber": "string", "name": "string"})))
    out += table_routes("/product-groups", "product_groups", "productGroupNumber",
                        {"productGroupNumber": "int", "name": "string"}, product_group_extra)
    out += table_routes("/payment-terms", "payment_terms", "paymentTermsNumber",
                        {"paymentTermsNumber": "int", "name": "string", "paymentTermsType": "string", "daysOfCredit": "int"})
    out += table_routes("/layouts", "layouts", "layoutNumber", {"layoutNumber": "int", "name": "string", "deleted": "bool"})
    out += table_routes("/units", "units", "unitNumber", {"unitNumber": "int", "name": "string"})
    out += table_routes("/employees", "employees", "employeeNumber", {"employeeNumber": "int", "name": "string", "email": "string"})
    out += table_routes("/suppliers", "suppliers", "supplierNumber", {"supplierNumber": "int", "name": "string"})
    out.append(resource("/accounting-years/{key}/entries", get=year_entries))
    out += table_routes("/accounting-years", "accounting_years", "year",
                        {"year": "string", "fromDate": "date", "toDate": "date", "closed": "bool"}, year_extra, key_type=str)
    out.append(resource("/entries/{key:int}", get=entry))
    return out
