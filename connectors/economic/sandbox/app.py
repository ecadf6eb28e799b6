"""The e-conomic sandbox app: every route module's routes on one Starlette app, with the store
on ``app.state.store`` and ``app.state.reset`` for the shared admin middleware."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from connectors.economic.sandbox import (
    routes_admin, routes_customers, routes_invoices, routes_journals, routes_orders, routes_products, routes_reference,
)
from connectors.economic.sandbox.options import SandboxOptions
from connectors.economic.sandbox.routing import not_found_handler
from connectors.economic.sandbox.store import Store


def create_app(options: dict[str, Any] | None = None) -> Starlette:
    """A fresh sandbox (its own seeded agreement). Options: see ``SandboxOptions``."""
    settings = SandboxOptions.from_dict(options)
    routes = [
        *routes_admin.routes(),
        *routes_reference.routes(),
        *routes_customers.routes(),
        *routes_products.routes(),
        *routes_invoices.routes(),
        *routes_orders.routes(),
        *routes_journals.routes(),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: not_found_handler})
    store = Store(settings)
    app.state.store = store
    app.state.options = settings
    app.state.reset = store.reset
    return app
