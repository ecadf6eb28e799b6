"""Journals over legacy REST (``/journals``, alias ``/journals-experimental``: vouchers and
draft entries) and the Journals API booking actions under ``/journalsapi/v5.0.0/``.

The Journals API lives on apis.e-conomic.com in reality; the sandbox serves it on the same
server for simplicity, so a connector's journals base URL is ``<sandbox>/journalsapi/v5.0.0``.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from connectors.economic.sandbox.collections import create_meta, envelope
from connectors.economic.sandbox.errors import not_found, problem
from connectors.economic.sandbox.journal_booking import book_journal
from connectors.economic.sandbox.journals import create_vouchers, vouchers_of
from connectors.economic.sandbox.links import with_links
from connectors.economic.sandbox.routing import Ctx, Reply, resource

Doc = dict[str, Any]
JOURNALS_API = "/journalsapi/v5.0.0"
FIELDS = {"journalNumber": "int", "name": "string"}
ENTRY_FIELDS = {"journalEntryNumber": "int", "entryType": "string", "date": "date", "amount": "number",
                "customer.customerNumber": "int", "account.accountNumber": "int", "contraAccount.accountNumber": "int",
                "customerInvoice": "int", "voucher.voucherNumber": "int", "text": "string"}
VOUCHER_FIELDS = {"voucherNumber": "int", "accountingYear.year": "string"}


def _journal(ctx: Ctx) -> Doc:
    found = ctx.store.journals.get(ctx.arg("number"))
    if found is None:
        raise not_found(f"Journal {ctx.arg('number')}")
    return found


def _render_journal(ctx: Ctx, base: str, doc: Doc) -> Doc:
    path = f"{base}/{doc['journalNumber']}"
    out = with_links(doc, ctx.links, path)
    out.update({"entries": ctx.links.url(f"{path}/entries"), "vouchers": ctx.links.url(f"{path}/vouchers"),
                "templates": ctx.links.url(f"{path}/templates")})
    return out


def _render_entry(ctx: Ctx, base: str, entry: Doc) -> Doc:
    return with_links(entry, ctx.links, f"{base}/{entry['journal']['journalNumber']}/entries/{entry['journalEntryNumber']}")


def _render_voucher(ctx: Ctx, base: str, voucher: Doc) -> Doc:
    journal = voucher["journal"]["journalNumber"]
    entries = {kind: [_render_entry(ctx, base, e) for e in rows] for kind, rows in voucher["entries"].items()}
    out = with_links({k: v for k, v in voucher.items() if k != "entries"}, ctx.links,
                     f"{base}/{journal}/vouchers/{voucher['accountingYear']['year']}-{voucher['voucherNumber']}")
    out["entries"] = entries
    return out


def legacy_routes(base: str) -> list[Route]:
    def list_journals(ctx: Ctx) -> Doc:
        return envelope(ctx.links, base, ctx.params, ctx.store.journals, FIELDS, lambda d: _render_journal(ctx, base, d))

    def list_vouchers(ctx: Ctx) -> Doc:
        number = _journal(ctx)["journalNumber"]
        path = f"{base}/{number}/vouchers"
        return envelope(ctx.links, path, ctx.params, vouchers_of(ctx.store, number), VOUCHER_FIELDS,
                        lambda v: _render_voucher(ctx, base, v), create_meta(ctx.links, path, "Create vouchers"))

    def post_vouchers(ctx: Ctx) -> Reply:
        number = _journal(ctx)["journalNumber"]
        created = create_vouchers(ctx.store, number, ctx.body)
        return Reply([_render_voucher(ctx, base, v) for v in created], 201)

    def get_voucher(ctx: Ctx) -> Doc:
        number = _journal(ctx)["journalNumber"]
        year, _, voucher = ctx.arg("key").rpartition("-")
        for found in vouchers_of(ctx.store, number):
            if found["accountingYear"]["year"] == year and str(found["voucherNumber"]) == voucher:
                return _render_voucher(ctx, base, found)
        raise not_found(f"Voucher {ctx.arg('key')} in journal {number}")

    def list_entries(ctx: Ctx) -> Doc:
        number = _journal(ctx)["journalNumber"]
        entries = ctx.store.journal_entries.lookup("journal.journalNumber", number) or []
        return envelope(ctx.links, f"{base}/{number}/entries", ctx.params, entries, ENTRY_FIELDS,
                        lambda e: _render_entry(ctx, base, e))

    def entry(ctx: Ctx) -> Doc:
        number = _journal(ctx)["journalNumber"]
        found = ctx.store.journal_entries.get(ctx.arg("entry"))
        if found is None or found["journal"]["journalNumber"] != number:
            raise not_found(f"Entry {ctx.arg('entry')} in journal {number}")
        return found

    def delete_entry(ctx: Ctx) -> Reply:
        ctx.store.journal_entries.delete(entry(ctx)["journalEntryNumber"])
        return Reply(None, 204)

    return [
        resource(base, get=list_journals),
        resource(f"{base}/{{number:int}}", get=lambda ctx: _render_journal(ctx, base, _journal(ctx))),
        resource(f"{base}/{{number:int}}/vouchers", get=list_vouchers, post=post_vouchers),
        resource(f"{base}/{{number:int}}/vouchers/{{key}}", get=get_voucher),
        resource(f"{base}/{{number:int}}/entries", get=list_entries),
        resource(f"{base}/{{number:int}}/entries/{{entry:int}}", get=lambda ctx: _render_entry(ctx, base, entry(ctx)),
                 delete=delete_entry),
    ]


def book(ctx: Ctx) -> Reply:
    """POST /journalsapi/v5.0.0/journals/{n}/book: book every draft entry (204, no body)."""
    book_journal(ctx.store, ctx.arg("number"))
    return Reply(None, 204)


def book_interval(ctx: Ctx) -> Reply:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    if not body.get("fromDate") or not body.get("toDate"):
        raise problem(400, "Validation error", "fromDate and toDate are required.", "InvalidInput",
                      [{"property": p, "message": f"{p} is required.", "errorCode": "Required"}
                       for p in ("fromDate", "toDate") if not body.get(p)])
    book_journal(ctx.store, ctx.arg("number"), body["fromDate"], body["toDate"])
    return Reply(None, 204)


def routes() -> list[Route]:
    return [
        *legacy_routes("/journals"),
        *legacy_routes("/journals-experimental"),
        resource(f"{JOURNALS_API}/journals/{{number:int}}/book", post=book),
        resource(f"{JOURNALS_API}/journals/{{number:int}}/bookWithDateInterval", post=book_interval),
    ]
