"""Helpers for the sandbox contract tests: an ``api`` that talks to the sandbox over HTTP with
the tokens, sends Decimals exactly and parses answers with Decimal, plus document builders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.economic.sandbox.jsonio import dumps, loads


class Api:
    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.http = sandbox.client()
        self.today = sandbox.store.today().isoformat()

    # -- HTTP -------------------------------------------------------------------------------
    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params or None)

    def send(self, method: str, path: str, body: Any = None, **params: Any) -> httpx.Response:
        content = None if body is None else dumps(body).encode()
        return self.http.request(method, path, content=content, params=params or None,
                                 headers={"Content-Type": "application/json"})

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.send("POST", path, body)

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.send("PUT", path, body)

    def delete(self, path: str, **params: Any) -> httpx.Response:
        return self.send("DELETE", path, **params)

    @staticmethod
    def json(response: httpx.Response) -> Any:
        return loads(response.text)

    def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return self.json(response) if response.content else None

    def collection(self, path: str, **params: Any) -> list[dict[str, Any]]:
        return self.ok(self.get(path, pagesize=1000, **params))["collection"]

    # -- documents ------------------------------------------------------------------------
    @staticmethod
    def line(product: str, quantity: str, price: str, discount: str | None = None, description: str = "Vare") -> dict[str, Any]:
        out: dict[str, Any] = {"product": {"productNumber": product}, "description": description,
                               "quantity": Decimal(quantity), "unitNetPrice": Decimal(price)}
        if discount is not None:
            out["discountPercentage"] = Decimal(discount)
        return out

    def draft(self, lines: list[dict[str, Any]], *, zone: int = 1, customer: int = 1, currency: str = "DKK",
              terms: int = 1, **extra: Any) -> dict[str, Any]:
        return {"date": self.today, "currency": currency, "customer": {"customerNumber": customer},
                "paymentTerms": {"paymentTermsNumber": terms}, "layout": {"layoutNumber": 19},
                "recipient": {"name": "Tøj & Co", "vatZone": {"vatZoneNumber": zone}}, "lines": lines, **extra}

    def create_draft(self, lines: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
        return self.ok(self.post("/invoices/drafts", self.draft(lines, **kw)), 201)

    def book(self, draft_number: int, **extra: Any) -> dict[str, Any]:
        return self.ok(self.post("/invoices/booked", {"draftInvoice": {"draftInvoiceNumber": draft_number}, **extra}), 201)

    def invoice(self, lines: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
        """Create and book: the booked invoice."""
        return self.book(self.create_draft(lines, **kw)["draftInvoiceNumber"])

    def product(self, number: str, group: int = 1, price: str = "100.00", **extra: Any) -> dict[str, Any]:
        body = {"productNumber": number, "name": f"Produkt {number}", "productGroup": {"productGroupNumber": group},
                "salesPrice": Decimal(price), **extra}
        return self.ok(self.post("/products", body), 201)

    def vouchers(self, journal: int, body: Any) -> httpx.Response:
        return self.post(f"/journals/{journal}/vouchers", body)

    def book_journal(self, journal: int) -> httpx.Response:
        return self.send("POST", f"/journalsapi/v5.0.0/journals/{journal}/book")

    def balance(self, account: int) -> Decimal:
        return self.ok(self.get(f"/accounts/{account}"))["balance"]


@pytest.fixture
def api(economic_sandbox: Any) -> Api:
    return Api(economic_sandbox)


@pytest.fixture
def api_for() -> type[Api]:
    """``api_for(sandbox)``: an Api on another sandbox (one from ``economic_sandbox_factory``)."""
    return Api
