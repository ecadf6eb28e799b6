"""``/_sandbox/``: the sandbox's own admin endpoints (no tokens, never faulted): reset to the
seeded agreement, a state summary for tests and benchmarks, and moving "today"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.routing import Route

from connectors.economic.sandbox.errors import error
from connectors.economic.sandbox.routing import Ctx, resource


def reset(ctx: Ctx) -> dict[str, Any]:
    ctx.store.reset()
    return {"reset": True, "summary": ctx.store.summary()}


def summary(ctx: Ctx) -> dict[str, Any]:
    return ctx.store.summary()


def set_today(ctx: Ctx) -> dict[str, Any]:
    """POST {"today": "YYYY-MM-DD"} (or null for the configured date) until the next reset."""
    value = ctx.body.get("today") if isinstance(ctx.body, dict) else None
    if value is not None:
        try:
            dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise error(400, f"today must be a date YYYY-MM-DD, not {value!r}.", "POST {\"today\": \"2025-01-31\"}.") from None
    ctx.store.today_override = value
    return {"today": ctx.store.today().isoformat()}


def routes() -> list[Route]:
    return [
        resource("/_sandbox/reset", public=True, post=reset),
        resource("/_sandbox/state/summary", public=True, get=summary),
        resource("/_sandbox/today", public=True, post=set_today, get=lambda ctx: {"today": ctx.store.today().isoformat()}),
    ]
