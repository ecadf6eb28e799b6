"""The sandbox shop's data and WooCommerce's business rules on it.

Holds orders, refunds, products, variations and customers as the REST documents themselves
(Decimals where WooCommerce sends JSON numbers). What WooCommerce does on a change, the store
does: a status change or a refund bumps ``date_modified``, sets ``date_paid``/``date_completed``,
a refund that covers what is left marks the order ``refunded``; every change is announced to the
listeners (webhook delivery) with its topic.

Time comes from ``Clock``: real time by default, frozen or moved by the admin API so tests can make
several orders share one second (WooCommerce dates have second precision) or write "late" with an
older ``date_modified``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.woocommerce.sandbox.documents import (
    RefundPart,
    Sequences,
    build_refund,
    in_wc_order,
    set_date,
)
from connectors.woocommerce.sandbox.pricing import ZERO, r2

JSON = dict[str, Any]
Listener = Callable[[str, JSON], None]

STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash")
PAID_STATUSES = {"processing", "completed"}


class ShopError(Exception):
    """A WooCommerce ``WP_Error``: the app turns it into ``{"code", "message", "data": {"status"}}``."""

    def __init__(self, status: int, code: str, message: str, params: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.params = status, code, message, params


class Clock:
    """Second-precision UTC time that never runs backwards."""

    def __init__(self) -> None:
        self.frozen: datetime | None = None
        self.floor = datetime(1970, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        moment = self.frozen or datetime.now(UTC).replace(microsecond=0)
        return max(moment, self.floor)

    def saw(self, moment: datetime) -> None:
        self.floor = max(self.floor, moment)


@dataclass(order=True)
class Event:
    """A scheduled change of the generated history, applied by ``/_sandbox/advance``."""

    at: datetime
    order_id: int
    kind: str = field(compare=False)                      # "status" | "refund"
    status: str | None = field(default=None, compare=False)
    refund: dict[str, Any] | None = field(default=None, compare=False)  # {"parts": [...], "amount", "reason"}
    transaction_id: str | None = field(default=None, compare=False)


def parse_gmt(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Store:
    def __init__(self, ids: Sequences | None = None) -> None:
        self.ids = ids or Sequences()
        self.clock = Clock()
        self.lock = threading.RLock()
        self.orders: dict[int, JSON] = {}
        self.refunds: dict[int, list[JSON]] = {}          # order id -> refunds, oldest first
        self.products: dict[int, JSON] = {}
        self.variations: dict[int, dict[int, JSON]] = {}   # product id -> variation id -> doc
        self.customers: dict[int, JSON] = {}
        self.schedule: list[Event] = []
        self.listeners: list[Listener] = []

    # -- notifications --------------------------------------------------------------------
    def _announce(self, topic: str, order: JSON) -> None:
        payload = copy.deepcopy(order)
        for listener in list(self.listeners):
            listener(topic, payload)

    def _moment(self, at: datetime | None) -> datetime:
        moment = at or self.clock.now()
        self.clock.saw(moment)
        return moment

    # -- orders ---------------------------------------------------------------------------
    def add_order(self, order: JSON, refunds: Iterable[JSON] = (), *, notify: bool = True) -> JSON:
        with self.lock:
            refresh_flags(order)
            order = in_wc_order(order)
            self.orders[order["id"]] = order
            self.refunds[order["id"]] = sorted(refunds, key=lambda r: r["id"])
            self.ids.bump_past(order)
            for refund in self.refunds[order["id"]]:
                self.ids.bump_past(refund)
            self.clock.saw(parse_gmt(order["date_modified_gmt"]))
            if notify:
                self._announce("order.created", order)
            return order

    def next_number(self, order_id: int) -> str:
        """The display number of a new order: the id, unless a numbering plugin is at work
        (some order's number differs from its id), then the next in that plugin's sequence."""
        numbered = [o for o in self.orders.values() if o["number"] != str(o["id"]) and o["number"].isdigit()]
        return str(max(int(o["number"]) for o in numbered) + 1) if numbered else str(order_id)

    def order(self, order_id: int) -> JSON:
        found = self.orders.get(order_id)
        if found is None or found["status"] == "trash":
            raise ShopError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return found

    def set_status(self, order_id: int, status: str, *, at: datetime | None = None, transaction_id: str | None = None) -> JSON:
        if status not in STATUSES:
            raise ShopError(400, "rest_invalid_param", "Invalid parameter(s): status",
                            {"status": f"status is not one of {', '.join(STATUSES)}."})
        with self.lock:
            order = self.order(order_id)
            moment = self._moment(at)
            if transaction_id is not None:
                order["transaction_id"] = transaction_id
            order["status"] = status
            if status in PAID_STATUSES and order["date_paid_gmt"] is None and order["payment_method"] != "cod":
                set_date(order, "date_paid", moment)
            if status == "completed":
                if order["date_paid_gmt"] is None:
                    set_date(order, "date_paid", moment)
                set_date(order, "date_completed", moment)
            set_date(order, "date_modified", moment)
            refresh_flags(order)
            self._announce("order.updated", order)
            return order

    def update_order(self, order_id: int, changes: JSON, *, at: datetime | None = None) -> JSON:
        """``PUT /orders/{id}``: the writable fields the sandbox supports."""
        with self.lock:
            order = self.order(order_id)
            for key in ("customer_note", "transaction_id", "billing", "shipping"):
                if key in changes:
                    order[key] = {**order[key], **changes[key]} if isinstance(order[key], dict) else changes[key]
            for entry in changes.get("meta_data", []):
                _set_meta(order["meta_data"], entry, self.ids)
            if "status" in changes and changes["status"] != order["status"]:
                return self.set_status(order_id, changes["status"], at=at)
            set_date(order, "date_modified", self._moment(at))
            self._announce("order.updated", order)
            return order

    def delete_order(self, order_id: int, *, force: bool) -> JSON:
        with self.lock:
            order = self.order(order_id)
            if force:
                del self.orders[order_id]
            else:
                order["status"] = "trash"
                set_date(order, "date_modified", self._moment(None))
            self._announce("order.deleted", {"id": order_id})
            return order

    # -- refunds --------------------------------------------------------------------------
    def refundable(self, order: JSON) -> Decimal:
        refunded = sum((Decimal(r["amount"]) for r in self.refunds.get(order["id"], [])), ZERO)
        return Decimal(order["total"]) - refunded

    def create_refund(
        self,
        order_id: int,
        parts: list[RefundPart],
        *,
        amount: Decimal | None,
        reason: str,
        api_refund: bool = True,
        at: datetime | None = None,
    ) -> JSON:
        """``wc_create_refund``: refund object, order summary, stock back, status, webhook."""
        with self.lock:
            order = self.order(order_id)
            if amount is not None and amount < 0:
                raise ShopError(400, "woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.")
            wanted = amount if amount is not None else sum((p.total + p.tax for p in parts), ZERO)
            if wanted <= 0 or r2(wanted) > self.refundable(order):
                raise ShopError(500, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.")
            moment = self._moment(at)
            refund = build_refund(order, parts, self.ids, refund_id=next(self.ids.post), created=moment,
                                  reason=reason, amount=wanted, refunded_payment=api_refund)
            self.refunds.setdefault(order_id, []).append(refund)
            order["refunds"] = [
                {"id": r["id"], "reason": r["reason"], "total": f"-{r['amount']}"}
                for r in reversed(self.refunds[order_id])
            ]
            for line in refund["line_items"]:
                self._restock(line["product_id"], line["variation_id"], -line["quantity"])
            if self.refundable(order) <= 0:
                order["status"] = "refunded"
            set_date(order, "date_modified", moment)
            refresh_flags(order)
            self._announce("order.updated", order)
            return refund

    def refund(self, order_id: int, refund_id: int) -> JSON:
        for refund in self.refunds.get(self.order(order_id)["id"], []):
            if refund["id"] == refund_id:
                return refund
        raise ShopError(404, "woocommerce_rest_invalid_id", "Invalid ID.")

    # -- products -------------------------------------------------------------------------
    def product(self, product_id: int) -> JSON:
        if product_id not in self.products:
            raise ShopError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return self.products[product_id]

    def variation(self, product_id: int, variation_id: int) -> JSON:
        found = self.variations.get(self.product(product_id)["id"], {}).get(variation_id)
        if found is None:
            raise ShopError(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
        return found

    def set_stock(self, doc: JSON, quantity: int | None, manage: bool | None = None) -> JSON:
        with self.lock:
            if manage is not None:
                doc["manage_stock"] = manage
            if quantity is not None:
                doc["manage_stock"] = True if manage is None else manage
                doc["stock_quantity"] = quantity
            if doc["manage_stock"]:
                doc["stock_status"] = "instock" if (doc["stock_quantity"] or 0) > 0 else "outofstock"
            set_date(doc, "date_modified", self._moment(None))
            return doc

    def _restock(self, product_id: int, variation_id: int, quantity: int) -> None:
        doc = self.variations.get(product_id, {}).get(variation_id) if variation_id else self.products.get(product_id)
        if doc and doc.get("manage_stock") and quantity > 0:
            doc["stock_quantity"] = (doc["stock_quantity"] or 0) + quantity
            doc["stock_status"] = "instock" if doc["stock_quantity"] > 0 else "outofstock"

    # -- schedule -------------------------------------------------------------------------
    def advance(self, steps: int) -> list[JSON]:
        """Apply the next ``steps`` scheduled changes at the current (sandbox) time."""
        applied: list[JSON] = []
        with self.lock:
            self.schedule.sort()
            while self.schedule and len(applied) < steps:
                event = self.schedule.pop(0)
                applied.append(self.apply(event, at=None))
        return applied

    def apply(self, event: Event, *, at: datetime | None) -> JSON:
        if event.kind == "status":
            order = self.set_status(event.order_id, event.status or "", at=at, transaction_id=event.transaction_id)
            return {"order_id": order["id"], "status": order["status"], "date_modified_gmt": order["date_modified_gmt"]}
        spec = event.refund or {}
        refund = self.create_refund(event.order_id, spec["parts"], amount=spec.get("amount"), reason=spec["reason"], at=at)
        return {"order_id": event.order_id, "refund_id": refund["id"], "amount": refund["amount"]}


def _set_meta(entries: list[JSON], change: JSON, ids: Sequences) -> None:
    for entry in entries:
        if entry["key"] == change.get("key") or ("id" in change and entry["id"] == change["id"]):
            entry["value"] = change.get("value")
            return
    entries.append({"id": next(ids.meta), "key": change.get("key"), "value": change.get("value")})


def refresh_flags(order: JSON) -> None:
    """Derived fields WooCommerce computes on every read."""
    status = order["status"]
    order["needs_payment"] = status in {"pending", "failed"} and Decimal(order["total"]) > 0
    order["needs_processing"] = True
    order["is_editable"] = status in {"pending", "on-hold", "auto-draft"}
    order["payment_url"] = f"https://kaffebaren.example/kasse/order-pay/{order['id']}/?pay_for_order=true&key={order.get('order_key', '')}"
