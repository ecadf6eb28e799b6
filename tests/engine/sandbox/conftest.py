"""A tiny connector with a sandbox, registered in place of the installed ones."""

from __future__ import annotations

import sys
import types

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine import registry
from engine.connector import Connector


def create_app(options: dict) -> Starlette:
    """Orders in memory; ``--orders N`` preloads N of them."""
    orders: list[dict] = []

    def reset() -> None:
        orders[:] = [{"id": i + 1} for i in range(int(options.get("orders", 0)))]

    async def list_or_create(request: Request) -> JSONResponse:
        if request.method == "POST":
            orders.append({"id": len(orders) + 1, **(await request.json())})
            return JSONResponse(orders[-1], status_code=201)
        return JSONResponse(orders)

    async def one(request: Request) -> JSONResponse:
        return JSONResponse(orders[int(request.path_params["id"]) - 1])

    async def own_admin(request: Request) -> JSONResponse:
        return JSONResponse({"orders": len(orders), "options": {k: str(v) for k, v in options.items()}})

    reset()
    app = Starlette(routes=[
        Route("/orders", list_or_create, methods=["GET", "POST"]),
        Route("/orders/{id:int}", one),
        Route("/_sandbox/state", own_admin),
    ])
    app.state.reset = reset
    return app


class ToyConnector(Connector):
    name = "toy"
    sandbox = "iex_test_toy_sandbox:create_app"


class PlainConnector(Connector):
    name = "plain"


@pytest.fixture(autouse=True)
def toy_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("iex_test_toy_sandbox")
    module.create_app = create_app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "iex_test_toy_sandbox", module)
    monkeypatch.setattr(registry, "connectors", lambda: {"toy": ToyConnector, "plain": PlainConnector})
