"""The agreement's state: every table, the counters e-conomic keeps, and one lock.

Handlers take ``store.lock`` around anything that reads-then-writes (numbering, booking), so
the engine's parallel workers never get the same number twice. ``reset()`` returns to the
seeded agreement (used by ``/_sandbox/reset`` and between tests).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from decimal import Decimal
from typing import Any

from connectors.economic.sandbox import seed
from connectors.economic.sandbox.options import SandboxOptions
from connectors.economic.sandbox.table import Table

Doc = dict[str, Any]


class Store:
    """In-memory agreement. Documents are stored without links; keys starting with ``_`` are
    the sandbox's own bookkeeping and never leave the server."""

    def __init__(self, options: SandboxOptions) -> None:
        self.lock = threading.RLock()
        self.options = options
        self.today_override: str | None = None
        self.reset()

    # -- lifecycle ------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.today_override = None
            now = self.now()
            self.self_doc = seed.self_document()
            self.currencies = _table("code", [{"code": c, "isoNumber": iso, "name": n} for c, iso, n, _ in seed.CURRENCIES])
            self.exchange_rates: dict[str, Decimal] = {c: rate for c, _, _, rate in seed.CURRENCIES}
            self.vat_zones = _table("vatZoneNumber", seed.vat_zones())
            self.vat_types = _table("vatTypeNumber", seed.vat_types())
            self.vat_accounts = _table("vatCode", seed.vat_accounts())
            self.accounts = _table("accountNumber", seed.accounts())
            self.customer_groups = _table("customerGroupNumber", seed.customer_groups())
            self.product_groups = _table("productGroupNumber", seed.product_groups())
            self.payment_terms = _table("paymentTermsNumber", seed.payment_terms())
            self.layouts = _table("layoutNumber", seed.layouts())
            self.units = _table("unitNumber", seed.units())
            self.employees = _table("employeeNumber", seed.employees())
            self.suppliers = _table("supplierNumber", seed.suppliers())
            self.accounting_years = _table("year", seed.accounting_years(self.today()))
            self.journals = _table("journalNumber", seed.journals())
            self.customers = _table("customerNumber", seed.customers(now),
                                    ("email", "corporateIdentificationNumber", "name", "ean", "vatNumber"))
            self.contacts = Table("_key", ("customer.customerNumber",))
            self.delivery_locations = Table("_key", ("customer.customerNumber",))
            self.products = _table("productNumber", seed.products(now), ("name", "barCode"))
            self.drafts = Table("draftInvoiceNumber", ("references.other", "customer.customerNumber"))
            self.booked = Table("bookedInvoiceNumber", ("references.other", "customer.customerNumber"))
            self.orders = {state: Table("orderNumber", ("references.other", "customer.customerNumber"))
                           for state in ("drafts", "sent", "archived")}
            self.journal_entries = Table("journalEntryNumber", ("journal.journalNumber",))
            self.ledger = Table("entryNumber", ("customer.customerNumber", "account.accountNumber",
                                                  "bookedInvoice.bookedInvoiceNumber", "_year"))
            # counters e-conomic keeps per agreement
            self.next_customer = 3
            self.next_draft = 1
            self.next_booked = 10001
            self.next_order = 1
            self.next_journal_entry = 1
            self.next_ledger_entry = 1
            self.next_contact = 1
            self.next_delivery_location = 1
            self.next_voucher: dict[tuple[int, str], int] = defaultdict(lambda: 1)
            # product number -> documents using it ("draft:3", "booked:10001", "order:2")
            self.product_refs: dict[str, set[str]] = defaultdict(set)
            self.owner_products: dict[str, set[str]] = {}
            self.customer_balance: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
            self.log_counter = 0
            # Journals API Idempotency-Key -> first (successful) response
            self.idempotent: dict[tuple[str, str, str], Any] = {}

    # -- time ---------------------------------------------------------------------------
    def today(self) -> dt.date:
        if self.today_override:
            return dt.date.fromisoformat(self.today_override)
        return self.options.today_date()

    def now(self) -> str:
        return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- numbering ------------------------------------------------------------------------
    def take_customer_number(self) -> int:
        while self.next_customer in self.customers:
            self.next_customer += 1
        number = self.next_customer
        self.next_customer += 1
        return number

    def take_booked_number(self) -> int:
        while self.next_booked in self.booked:
            self.next_booked += 1
        number = self.next_booked
        self.next_booked += 1
        return number

    def take(self, counter: str) -> int:
        number = getattr(self, counter)
        setattr(self, counter, number + 1)
        return number

    # -- products in use ------------------------------------------------------------------
    def set_product_refs(self, owner: str, lines: list[Doc] | None) -> None:
        """Record which products a document uses (replacing what it used before)."""
        self.drop_product_refs(owner)
        used = {(line.get("product") or {}).get("productNumber") for line in lines or []} - {None}
        for number in used:
            self.product_refs[number].add(owner)
        self.owner_products[owner] = used

    def drop_product_refs(self, owner: str) -> None:
        for number in self.owner_products.pop(owner, set()):
            self.product_refs[number].discard(owner)

    def product_in_use(self, product_number: str) -> bool:
        return bool(self.product_refs.get(product_number))

    # -- reference data lookups -------------------------------------------------------------
    def exchange_rate(self, currency: str) -> Decimal:
        return self.exchange_rates.get(currency, Decimal("100"))

    def sales_account(self, product_group: int, vat_zone: int) -> int | None:
        group = self.product_groups.get(product_group)
        for row in (group or {}).get("_salesAccounts", []):
            if row["vatZone"]["vatZoneNumber"] == vat_zone:
                return row["account"]["accountNumber"]
        return None

    def vat_account_of(self, account_number: int | None) -> Doc | None:
        account = self.accounts.get(account_number) if account_number is not None else None
        code = ((account or {}).get("vatAccount") or {}).get("vatCode")
        return self.vat_accounts.get(code) if code else None

    def debtor_account(self, customer_number: int) -> int:
        customer = self.customers.get(customer_number) or {}
        group = self.customer_groups.get((customer.get("customerGroup") or {}).get("customerGroupNumber")) or {}
        return (group.get("account") or {}).get("accountNumber", seed.DEBTORS)

    def year_of(self, date: str) -> Doc | None:
        for year in self.accounting_years:
            if year["fromDate"] <= date <= year["toDate"]:
                return year
        return None

    def summary(self) -> dict[str, int]:
        return {
            "customers": len(self.customers),
            "products": len(self.products),
            "drafts": len(self.drafts),
            "booked": len(self.booked),
            "orders": sum(len(t) for t in self.orders.values()),
            "vouchers": len({(e["journal"]["journalNumber"], e["_year"], e["voucher"]["voucherNumber"]) for e in self.journal_entries}),
            "journalEntries": len(self.journal_entries),
            "ledgerEntries": len(self.ledger),
        }


def _table(key: str, rows: list[Doc], indexed: tuple[str, ...] = ()) -> Table:
    table = Table(key, indexed)
    for row in rows:
        table.put(row)
    return table
