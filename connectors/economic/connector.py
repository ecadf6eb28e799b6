"""The e-conomic connector: declarations only; the work is in one module per resource."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.connector import ActionContext, Connector, Record, Runtime, action, stream

from connectors.economic import (
    credit_notes, customers, invoices, journals, orders, pdf, products, schemas, streams,
)
from connectors.economic.client import EconomicApi
from connectors.economic.reference import Reference

JSON = dict[str, Any]


class EconomicConnector(Connector):
    """Visma e-conomic: customers, products, invoices, orders, credit notes, journals."""

    name = "economic"
    title = "Visma e-conomic"
    settings_schema = schemas.SETTINGS
    capabilities = frozenset({"poll", "idempotent_actions", "batch"})
    sandbox = "connectors.economic.sandbox:create_app"

    def __init__(self, settings: JSON, runtime: Runtime) -> None:
        super().__init__(settings, runtime)
        self._api: EconomicApi | None = None
        self._ref: Reference | None = None

    @property
    def api(self) -> EconomicApi:
        """Clients are made on first use, so declaring or validating needs no credentials."""
        if self._api is None:
            self._api = EconomicApi(self.settings, self.runtime)
            self._ref = Reference(self._api)
        return self._api

    @property
    def ref(self) -> Reference:
        _ = self.api
        assert self._ref is not None
        return self._ref

    def close(self) -> None:
        if self._api is not None:
            self._api.close()

    # -- customers and products ---------------------------------------------------------------
    @action(input_schema=schemas.FIND_OR_CREATE_CUSTOMER,
            description="Find the customer by a match field; create or update it as allowed")
    def find_or_create_customer(self, data: JSON, ctx: ActionContext) -> JSON:
        return customers.find_or_create_customer(self.api, self.ref, data, ctx)

    @find_or_create_customer.finder
    def _find_customer(self, data: JSON, ctx: ActionContext) -> JSON | None:
        return customers.find_customer(self.api, data, ctx)

    @action(input_schema=schemas.ENSURE_PRODUCT, description="Make sure a product exists (create/update as allowed)")
    def ensure_product(self, data: JSON, ctx: ActionContext) -> JSON:
        return products.ensure_product(self.api, self.ref, data, ctx)

    @ensure_product.finder
    def _find_product(self, data: JSON, ctx: ActionContext) -> JSON | None:
        return products.find_product(self.api, data, ctx)

    @action(input_schema=schemas.ENSURE_PRODUCTS,
            description="Make sure the products of a document's lines exist; by_sku gives the number each line uses")
    def ensure_products(self, data: JSON, ctx: ActionContext) -> JSON:
        return products.ensure_products(self.api, self.ref, data, ctx)

    @ensure_products.finder
    def _find_products(self, data: JSON, ctx: ActionContext) -> JSON | None:
        """Ensuring again is safe (it creates only what is still missing), so after a crash the
        step is simply sent again."""
        return None

    # -- documents --------------------------------------------------------------------------------
    @action(input_schema=schemas.CREATE_INVOICE, updatable=True,
            description="Create a draft invoice, check its totals against the source, book it if asked")
    def create_invoice(self, data: JSON, ctx: ActionContext) -> JSON:
        return invoices.create_invoice(self.api, self.ref, data, ctx)

    @create_invoice.finder
    def _find_invoice(self, data: JSON, ctx: ActionContext) -> JSON | None:
        return invoices.find_invoice(self.api, self.ref, data, ctx)

    @action(input_schema=schemas.CREATE_ORDER, description="Create an order draft")
    def create_order(self, data: JSON, ctx: ActionContext) -> JSON:
        return orders.create_order(self.api, self.ref, data, ctx)

    @create_order.finder
    def _find_order(self, data: JSON, ctx: ActionContext) -> JSON | None:
        return orders.find_order(self.api, data, ctx)

    @action(input_schema=schemas.CREATE_CREDIT_NOTE,
            description="Credit a booked invoice by lines or by an amount; book it if asked")
    def create_credit_note(self, data: JSON, ctx: ActionContext) -> JSON:
        return credit_notes.create_credit_note(self.api, self.ref, data, ctx)

    @create_credit_note.finder
    def _find_credit_note(self, data: JSON, ctx: ActionContext) -> JSON | None:
        return credit_notes.find_credit_note(self.api, self.ref, data, ctx)

    @action(input_schema=schemas.GET_INVOICE_PDF, effect=False, description="Save a booked invoice's PDF to a file")
    def get_invoice_pdf(self, data: JSON, ctx: ActionContext) -> JSON:
        return pdf.get_invoice_pdf(self.api, data, ctx)

    # -- journals ---------------------------------------------------------------------------------
    @action(input_schema=schemas.POST_VOUCHERS, description="Post vouchers to a journal (skipping those already there)")
    def post_vouchers(self, data: JSON, ctx: ActionContext) -> JSON:
        return journals.post_vouchers(self.api, self.ref, data, ctx)

    @post_vouchers.finder
    def _find_vouchers(self, data: JSON, ctx: ActionContext) -> JSON | None:
        return journals.find_vouchers(self.api, self.ref, data, ctx)

    @action(input_schema=schemas.BOOK_JOURNAL, description="Book every draft entry of a journal")
    def book_journal(self, data: JSON, ctx: ActionContext) -> JSON:
        return journals.book_journal(self.api, self.ref, data, ctx)

    @book_journal.finder
    def _find_booked_journal(self, data: JSON, ctx: ActionContext) -> JSON | None:
        return journals.find_booked_journal(self.api, self.ref, data, ctx)

    # -- streams ----------------------------------------------------------------------------------
    @stream(description="Booked invoices, oldest first (cursor: date and number)",
            options_schema=schemas.BOOKED_INVOICES_OPTIONS)
    def booked_invoices(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        return streams.booked_invoices(self.api, state, options)

    @stream(description="Stock levels of products with inventory (cursor: lastUpdated)")
    def stock_levels(self, state: JSON | None, options: JSON) -> Iterator[Record]:
        return streams.stock_levels(self.api, state, options)
