"""The webhook receiver behind ``iex serve`` (Starlette).

``POST /webhooks/{integration}/{connection}`` hands the raw body and headers to the
connector's ``handle_webhook`` (which verifies the signature on the raw bytes and answers pings),
puts each record it returns into the inbox of every flow whose source is that connection and
stream and whose trigger has ``webhook: true``, and wakes the scheduler, which runs those flows
through the same ledger as polling (an order arriving by webhook and by poll is sent once).
The delivery is answered only after the inbox rows are committed, so an accepted webhook is
never lost. ``GET /health`` says the receiver is up and when the last run finished.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine.connector import Runtime, WebhookResult
from engine.errors import ErrorClass, IexError, classify
from engine.registry import get as get_connector
from engine.runner.support import record_key_text
from engine.secrets import mask
from engine.state import StateStore

log = logging.getLogger("iex")

MAX_BODY = 5 * 1024 * 1024


def create_app(instance: Any, store: StateStore, *, notify: Callable[[str, str], None]) -> Starlette:
    """The ASGI app; ``notify(integration, flow)`` is called for each flow that got records."""
    receivers = _Receivers()

    async def receive(request: Request) -> JSONResponse:
        name = request.path_params["integration"]
        connection = request.path_params["connection"]
        integration = instance.integrations.get(name)
        if integration is None or not getattr(integration, "enabled", True):
            return JSONResponse({"error": f"no enabled integration {name!r}"}, status_code=404)
        conn = integration.connections.get(connection)
        if conn is None:
            return JSONResponse({"error": f"integration {name!r} has no connection {connection!r}"}, status_code=404)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, status_code=413)
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            result = await run_in_threadpool(receivers.handle, integration, conn, headers, body)
            flows = await run_in_threadpool(_enqueue, store, integration, connection, result)
        except NotImplementedError:
            return JSONResponse({"error": f"connector {conn.connector} takes no webhooks"}, status_code=404)
        except Exception as exc:  # noqa: BLE001 - answer the sender, log masked
            error = classify(exc)
            message = mask(str(error))
            log.warning("webhook %s/%s refused: %s", name, connection, message)
            status = 503 if error.error_class in (ErrorClass.TRANSIENT, ErrorClass.RATE_LIMITED) else 400
            return JSONResponse({"error": message}, status_code=status)
        for flow in flows:
            notify(name, flow)
        return JSONResponse({"received": len(result.records), "flows": flows, "message": result.message},
                            status_code=result.status)

    async def health(request: Request) -> JSONResponse:
        runs = await run_in_threadpool(store.runs, 1)
        last = runs[0] if runs else None
        return JSONResponse({
            "status": "ok",
            "integrations": sorted(n for n, i in instance.integrations.items() if getattr(i, "enabled", True)),
            "last_run": {"id": last.id, "finished": last.finished, "outcome": last.outcome} if last else None,
        })

    return Starlette(routes=[
        Route("/webhooks/{integration}/{connection}", receive, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ])


class _Receivers:
    """One connector per (integration, connection) for the app's lifetime, so a connector can
    remember deliveries it has seen (stale and replayed deliveries are dropped early; the ledger
    remains the guarantee). Per app, so two servers in one process never share memory."""

    def __init__(self) -> None:
        self._connectors: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def handle(self, integration: Any, conn: Any, headers: dict[str, str], body: bytes) -> WebhookResult:
        key = (integration.name, conn.name)
        with self._lock:
            connector = self._connectors.get(key)
            if connector is None:
                connector = self._connectors[key] = get_connector(conn.connector)(conn.settings, Runtime(logger=log))
        return connector.handle_webhook(headers, body)


def _enqueue(store: StateStore, integration: Any, connection: str, result: WebhookResult) -> list[str]:
    """Inbox rows for every webhook flow of this connection and stream, in one transaction."""
    if not result.records:
        return []
    flows = [
        flow for flow in integration.recipe.flows.values()
        if flow.source.connection == connection
        and (result.stream is None or flow.source.stream == result.stream)
        and getattr(flow.trigger, "webhook", False)
    ]
    with store.atomic():
        for flow in flows:
            for record in result.records:
                try:
                    key = record_key_text(flow.key.search(record.data)) or record.key
                except IexError:
                    key = record.key  # the runner dead-letters the key problem with the record
                store.inbox_add(integration.name, flow.name, key, record.data, version=record.version)
    return [flow.name for flow in flows]
