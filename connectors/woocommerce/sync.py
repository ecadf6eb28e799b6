"""Reading orders and refunds incrementally by modification time.

WooCommerce cannot sort orders by modification (``orderby`` is ``date|id|include|title|slug``),
so each read walks time windows (a day, adapted to the shop's volume): every page of
``GET /orders?modified_after=A&modified_before=B&dates_are_gmt=true&orderby=id&order=asc`` is
fetched (``orderby=id`` keeps paging stable while orders change: a modified order keeps its
place), then the window is sorted locally by ``(date_modified_gmt, id)`` and emitted oldest first.
The last window is open-ended, so a shop clock ahead of ours loses nothing. Memory holds one
window of orders, not the whole history.

The first read needs a start: the option ``since`` (ISO date, GMT). Without a cursor and without
``since`` the stream refuses to guess, because reading the whole history would send every old
order on to accounting; ``iex backfill --since`` passes it for history imports.

Refunds are not a top-level list in ``wc/v3`` (WooCommerce 9 added ``/wc/v3/refunds``, older shops
lack it): the refunds stream reads orders modified in the window, and for those listing
``refunds[]`` asks ``GET /orders/{id}/refunds``. Creating a refund saves its order, so the order's
modification time moves with it. Only refunds created after the read's start, and after the
order's last emitted modification, are emitted, so an order that changes status later does not
send its old refunds again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.woocommerce.client import WooClient
from connectors.woocommerce.cursor import ModifiedCursor, duration, parse_when, wc_time
from engine.connector import Record
from engine.errors import ConfigError

JSON = dict[str, Any]
WINDOW = timedelta(days=1)
MIN_WINDOW = timedelta(minutes=1)
MAX_WINDOW = timedelta(days=400)
MAX_WINDOW_ORDERS = 2000
DEFAULT_LOOKBACK = "10m"
ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash", "any")


def _statuses(options: JSON) -> list[str]:
    raw = options.get("statuses")
    if raw is None or raw == "" or raw == []:
        return []
    values = [s.strip() for s in raw.split(",")] if isinstance(raw, str) else [str(s) for s in raw]
    unknown = [s for s in values if s not in ORDER_STATUSES]
    if unknown:
        raise ConfigError(f"option statuses: unknown order status {unknown[0]!r} (WooCommerce has {', '.join(ORDER_STATUSES)})")
    return [s for s in values if s]


def _start(cursor: ModifiedCursor, lookback: timedelta, options: JSON, stream: str) -> datetime:
    start = cursor.query_start(lookback)
    if start is not None:
        return start
    since = options.get("since")
    if not since:
        raise ConfigError(
            f"stream {stream} has no cursor yet and no start: set the option since (the first day to "
            "transfer, e.g. the go-live date) or import history with `iex backfill --since DATE`"
        )
    return parse_when(since, "since") - timedelta(seconds=1)   # modified_after is strict


def _window_params(after: datetime, before: datetime | None, statuses: list[str]) -> JSON:
    params: JSON = {"modified_after": wc_time(after), "dates_are_gmt": "true", "orderby": "id", "order": "asc"}
    if before is not None:
        params["modified_before"] = wc_time(before)
    if statuses:
        params["status"] = ",".join(statuses)
    return params


def modified_orders(client: WooClient, start: datetime, options: JSON, statuses: list[str]) -> Iterator[JSON]:
    """Orders modified after ``start`` in ascending ``(date_modified_gmt, id)`` order.

    Windows adapt to the shop: one that holds more than ``MAX_WINDOW_ORDERS`` is halved before it
    is read (a one-request count first), an empty one makes the next four times longer, so a
    backfill over quiet years costs a handful of requests and a busy day never fills memory."""
    until = parse_when(options["until"], "until") if options.get("until") else None
    now = datetime.now(UTC).replace(tzinfo=None)
    after, size = start, WINDOW
    while until is None or after < until:
        before: datetime | None = after + size
        if until is not None and before >= until:
            before = until
        elif until is None and before > now:
            before = None                       # the last window is open-ended
        params = _window_params(after, before, statuses)
        count = client.count("orders", params)
        if count > MAX_WINDOW_ORDERS and size > MIN_WINDOW:
            size /= 2
            continue
        if count:
            latest: dict[int, JSON] = {}
            for order in client.collect("orders", params):
                known = latest.get(order["id"])
                if known is None or order["date_modified_gmt"] >= known["date_modified_gmt"]:
                    latest[order["id"]] = order
            yield from sorted(latest.values(), key=lambda o: (o["date_modified_gmt"], o["id"]))
        if before is None:
            return
        size = WINDOW if count else min(size * 4, MAX_WINDOW)
        after = before - timedelta(seconds=1)   # both bounds are strict: no second is skipped


def read_orders(client: WooClient, state: JSON | None, options: JSON) -> Iterator[Record]:
    lookback = duration(options.get("lookback", DEFAULT_LOOKBACK), "lookback")
    cursor = ModifiedCursor.load(state)
    start = _start(cursor, lookback, options, "orders")
    for order in modified_orders(client, start, options, _statuses(options)):
        key, modified = str(order["id"]), order["date_modified_gmt"]
        if not cursor.is_new(key, modified):
            continue
        cursor.advance(key, modified, lookback)
        yield Record(key=key, data=order, cursor=cursor.dump(), version=modified)


def read_refunds(client: WooClient, state: JSON | None, options: JSON) -> Iterator[Record]:
    """One record per refund: the refund object plus ``order``, the parent order document.

    A refund record carries the cursor past its order only when it is the order's last new
    refund, so a crash between two refunds of one order re-reads that order. Orders without new
    refunds are passed by a closing checkpoint (a record without data), so a shop with few
    refunds does not re-read the same orders on every poll."""
    lookback = duration(options.get("lookback", DEFAULT_LOOKBACK), "lookback")
    cursor = ModifiedCursor.load(state)
    start = _start(cursor, lookback, options, "refunds")
    floor = wc_time(start)
    emitted = cursor.dump()
    for order in modified_orders(client, start, options, _statuses(options)):
        key, modified = str(order["id"]), order["date_modified_gmt"]
        if not cursor.is_new(key, modified):
            continue
        # refunds up to the order's last emitted modification went out with that modification
        since = max(floor, cursor.seen.get(key, ""))
        before = cursor.dump()
        cursor.advance(key, modified, lookback)
        if not order.get("refunds"):
            continue
        refunds = sorted(client.collect(f"orders/{order['id']}/refunds"), key=lambda r: r["id"])
        fresh = [r for r in refunds if (r.get("date_created_gmt") or "") > since]
        for index, refund in enumerate(fresh):
            last = index == len(fresh) - 1
            emitted = cursor.dump() if last else before
            yield Record(key=f"refund-{refund['id']}", data={**refund, "order": order}, cursor=emitted)
    if cursor.dump() != emitted:
        yield Record(key="(checkpoint)", data=None, cursor=cursor.dump())
