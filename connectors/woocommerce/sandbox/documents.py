"""Order and refund documents exactly as ``/wp-json/wc/v3`` returns them.

``pricing`` computes the amounts; this module lays them out with WooCommerce's field names and
types: money as 2-decimal strings, ``line_items[].price`` and ``tax_lines[].rate_percent`` as JSON
numbers, ``refunds[].total`` negative on the order, refund ``amount`` positive with negative line
quantities and totals. Refund objects carry ``line_items``, ``shipping_lines`` and ``fee_lines``
(WooCommerce's own REST tests check all three, with negative totals); refund tax lines are left
out [U]. Shipping addresses carry ``phone`` as newer WooCommerce versions do. Identifiers come from ``Sequences`` because WooCommerce draws orders and
refunds from one sequence (both are ``shop_order*`` rows) and order items from another.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connectors.woocommerce.sandbox.pricing import (
    ZERO,
    Coupon,
    LineInput,
    PricedOrder,
    price_order,
    r2,
    s2,
    unit_price,
)
from connectors.woocommerce.sandbox.taxes import TaxRate

SITE_TZ = ZoneInfo("Europe/Copenhagen")
JSON = dict[str, Any]


class Sequences:
    """WooCommerce's id counters: posts/orders (shared with refunds), order items, meta rows.
    ``next(ids.post)`` draws the next id."""

    def __init__(self, post: int = 4117, item: int = 901, meta: int = 21034) -> None:
        self.post = itertools.count(post)
        self.item = itertools.count(item)
        self.meta = itertools.count(meta)

    def bump_past(self, order: JSON) -> None:
        """After loading a document from a file, never hand out its ids again."""
        top_post = max([order.get("id", 0)] + [r.get("id", 0) for r in order.get("refunds", [])])
        top_item = max([0] + [i.get("id", 0) for key in ITEM_KEYS for i in order.get(key, [])])
        self.post = itertools.count(max(next(self.post), top_post + 1))
        self.item = itertools.count(max(next(self.item), top_item + 1))


ITEM_KEYS = ("line_items", "tax_lines", "shipping_lines", "fee_lines", "coupon_lines")


def wc_dates(moment: datetime | None) -> tuple[str | None, str | None]:
    """(site-local, GMT) date strings as WooCommerce prints them: no zone, second precision."""
    if moment is None:
        return None, None
    utc = moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None, microsecond=0)
    local = moment.astimezone(SITE_TZ).replace(tzinfo=None, microsecond=0)
    return local.isoformat(), utc.isoformat()


def set_date(doc: JSON, name: str, moment: datetime | None) -> None:
    doc[name], doc[f"{name}_gmt"] = wc_dates(moment)


def meta(ids: Sequences, key: str, value: Any) -> JSON:
    return {"id": next(ids.meta), "key": key, "value": value}


@dataclass(frozen=True)
class LineProduct:
    """What an order line knows of the product it sold."""

    product_id: int
    variation_id: int
    name: str
    sku: str | None
    parent_name: str | None = None
    attributes: tuple[tuple[str, str, str, str], ...] = ()   # (taxonomy, label, option slug, option name)


@dataclass
class OrderDraft:
    """Everything of an order except the computed amounts."""

    header: JSON                      # status, currency, dates, billing, shipping, payment, meta ...
    products: Sequence[LineProduct]
    lines: Sequence[LineInput]
    prices_include_tax: bool
    rate: TaxRate | None
    coupon: Coupon | None = None
    shipping: tuple[str, str, Decimal] | None = None   # (method_id, method_title, cost excl. tax)
    fee: tuple[str, Decimal] | None = None             # (name, amount excl. tax)


ORDER_FIELDS = (
    "id", "parent_id", "status", "currency", "version", "prices_include_tax", "date_created", "date_modified",
    "discount_total", "discount_tax", "shipping_total", "shipping_tax", "cart_tax", "total", "total_tax",
    "customer_id", "order_key", "billing", "shipping", "payment_method", "payment_method_title", "transaction_id",
    "customer_ip_address", "customer_user_agent", "created_via", "customer_note", "date_completed", "date_paid",
    "cart_hash", "number", "meta_data", "line_items", "tax_lines", "shipping_lines", "fee_lines", "coupon_lines",
    "refunds", "payment_url", "is_editable", "needs_payment", "needs_processing", "date_created_gmt",
    "date_modified_gmt", "date_completed_gmt", "date_paid_gmt", "currency_symbol",
)


def in_wc_order(order: JSON) -> JSON:
    """The fields in the order WooCommerce's controller emits them (unknown ones last)."""
    known = {name: order[name] for name in ORDER_FIELDS if name in order}
    return known | {k: v for k, v in order.items() if k not in known}


def _taxes(rate: TaxRate | None, total: Decimal, subtotal: Decimal | None) -> list[JSON]:
    if rate is None:
        return []
    return [{"id": rate.rate_id, "total": s2(total), "subtotal": s2(subtotal) if subtotal is not None else ""}]


def build_order(draft: OrderDraft, ids: Sequences, *, order_id: int, number: str) -> JSON:
    """A complete order document with consistent totals."""
    priced = price_order(
        draft.lines,
        prices_include_tax=draft.prices_include_tax,
        rate=draft.rate,
        coupon=draft.coupon,
        shipping=draft.shipping[2] if draft.shipping else None,
        fee=draft.fee[1] if draft.fee else None,
    )
    line_items = [
        _line_item(ids, product, line.quantity, amounts, draft.rate)
        for product, line, amounts in zip(draft.products, draft.lines, priced.lines, strict=True)
    ]
    order: JSON = {"id": order_id, "parent_id": 0, "number": number}
    order.update(draft.header)
    order.update(
        {
            "prices_include_tax": draft.prices_include_tax,
            "discount_total": s2(priced.discount_total),
            "discount_tax": s2(priced.discount_tax),
            "shipping_total": s2(priced.shipping or ZERO),
            "shipping_tax": s2(priced.shipping_tax),
            "cart_tax": s2(priced.cart_tax),
            "total": s2(priced.total),
            "total_tax": s2(priced.total_tax),
            "line_items": line_items,
            "tax_lines": _tax_lines(ids, draft.rate, priced),
            "shipping_lines": _shipping_lines(ids, draft, priced, line_items),
            "fee_lines": _fee_lines(ids, draft, priced),
            "coupon_lines": _coupon_lines(ids, draft.coupon, priced),
            "refunds": [],
            "meta_data": draft.header.get("meta_data", []),
        }
    )
    return in_wc_order(order)


def _line_item(ids: Sequences, product: LineProduct, quantity: int, amounts: Any, rate: TaxRate | None) -> JSON:
    item_meta = [
        {"id": next(ids.meta), "key": key, "value": value, "display_key": label, "display_value": title}
        for key, label, value, title in product.attributes
    ]
    return {
        "id": next(ids.item),
        "name": product.name,
        "product_id": product.product_id,
        "variation_id": product.variation_id,
        "quantity": quantity,
        "tax_class": "",
        "subtotal": s2(amounts.subtotal),
        "subtotal_tax": s2(amounts.subtotal_tax),
        "total": s2(amounts.total),
        "total_tax": s2(amounts.total_tax),
        "taxes": _taxes(rate, amounts.total_tax, amounts.subtotal_tax),
        "meta_data": item_meta,
        "sku": product.sku,
        "price": unit_price(amounts.total, quantity),
        "image": {"id": "", "src": ""},
        "parent_name": product.parent_name,
    }


def _tax_lines(ids: Sequences, rate: TaxRate | None, priced: PricedOrder) -> list[JSON]:
    if rate is None:
        return []
    return [
        {
            "id": next(ids.item),
            "rate_code": rate.rate_code,
            "rate_id": rate.rate_id,
            "label": rate.label,
            "compound": False,
            "tax_total": s2(priced.cart_tax),
            "shipping_tax_total": s2(priced.shipping_tax),
            "rate_percent": rate.percent,
            "meta_data": [],
        }
    ]


def _shipping_lines(ids: Sequences, draft: OrderDraft, priced: PricedOrder, items: list[JSON]) -> list[JSON]:
    if draft.shipping is None:
        return []
    method_id, title, _cost = draft.shipping
    listing = ", ".join(f"{item['name']} &times; {item['quantity']}" for item in items)
    return [
        {
            "id": next(ids.item),
            "method_title": title,
            "method_id": method_id,
            "instance_id": "1",
            "total": s2(priced.shipping or ZERO),
            "total_tax": s2(priced.shipping_tax),
            "taxes": _taxes(draft.rate, priced.shipping_tax, None),
            "meta_data": [
                {"id": next(ids.meta), "key": "Varer", "value": listing, "display_key": "Varer", "display_value": listing}
            ],
        }
    ]


def _fee_lines(ids: Sequences, draft: OrderDraft, priced: PricedOrder) -> list[JSON]:
    if draft.fee is None:
        return []
    name, _amount = draft.fee
    return [
        {
            "id": next(ids.item),
            "name": name,
            "tax_class": "",
            "tax_status": "taxable",
            "amount": s2(priced.fee or ZERO),
            "total": s2(priced.fee or ZERO),
            "total_tax": s2(priced.fee_tax),
            "taxes": _taxes(draft.rate, priced.fee_tax, None),
            "meta_data": [],
        }
    ]


def _coupon_lines(ids: Sequences, coupon: Coupon | None, priced: PricedOrder) -> list[JSON]:
    if coupon is None:
        return []
    return [
        {
            "id": next(ids.item),
            "code": coupon.code,
            "discount": s2(priced.discount_total),
            "discount_tax": s2(priced.discount_tax),
            "discount_type": coupon.kind,
            "nominal_amount": coupon.amount,
            "free_shipping": False,
            "meta_data": [],
        }
    ]


# -- refunds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundPart:
    """One order item to refund: quantity (line items only) and amounts without and with tax."""

    item_id: int
    quantity: int
    total: Decimal
    tax: Decimal


def part_of_line(item: JSON, quantity: int) -> RefundPart:
    """The refund of ``quantity`` units of an order line, rounded per line like WooCommerce's
    refund form (the full quantity refunds exactly the line's amounts)."""
    total, tax, ordered = Decimal(item["total"]), Decimal(item["total_tax"]), item["quantity"]
    if quantity == ordered:
        return RefundPart(item["id"], quantity, total, tax)
    return RefundPart(item["id"], quantity, r2(total / ordered * quantity), r2(tax / ordered * quantity))


def whole_item(item: JSON) -> RefundPart:
    """All of a shipping or fee line."""
    return RefundPart(item["id"], 0, Decimal(item["total"]), Decimal(item["total_tax"]))


def build_refund(
    order: JSON,
    parts: Sequence[RefundPart],
    ids: Sequences,
    *,
    refund_id: int,
    created: datetime,
    reason: str,
    amount: Decimal | None = None,
    refunded_payment: bool = True,
) -> JSON:
    """A refund object. ``amount`` defaults to the sum of the parts with tax."""
    by_id = {item["id"]: (kind, item) for kind in ("line_items", "shipping_lines", "fee_lines") for item in order[kind]}
    sections: dict[str, list[JSON]] = {"line_items": [], "shipping_lines": [], "fee_lines": []}
    for part in parts:
        kind, item = by_id[part.item_id]
        sections[kind].append(_refund_item(ids, kind, item, part))
    if amount is None:
        amount = sum((p.total + p.tax for p in parts), ZERO)
    refund: JSON = {"id": refund_id}
    set_date(refund, "date_created", created)
    refund.update(
        {
            "amount": s2(amount),
            "reason": reason,
            "refunded_by": 1,
            "refunded_payment": refunded_payment,
            "meta_data": [],
            **sections,
        }
    )
    return refund


def _refund_item(ids: Sequences, kind: str, item: JSON, part: RefundPart) -> JSON:
    rate_id = item["taxes"][0]["id"] if item.get("taxes") else None
    taxes = [{"id": rate_id, "total": s2(-part.tax), "subtotal": s2(-part.tax)}] if rate_id else []
    refunded_from = {"id": next(ids.meta), "key": "_refunded_item_id", "value": str(item["id"])}
    if kind == "line_items":
        return {
            "id": next(ids.item),
            "name": item["name"],
            "product_id": item["product_id"],
            "variation_id": item["variation_id"],
            "quantity": -part.quantity,
            "tax_class": item["tax_class"],
            "subtotal": s2(-part.total),
            "subtotal_tax": s2(-part.tax),
            "total": s2(-part.total),
            "total_tax": s2(-part.tax),
            "taxes": taxes,
            "meta_data": [refunded_from],
            "sku": item["sku"],
            "price": unit_price(-part.total, -part.quantity),
        }
    doc: JSON = {"id": next(ids.item)}
    doc.update({key: item[key] for key in ("method_title", "method_id", "name", "tax_class", "tax_status") if key in item})
    doc.update({"total": s2(-part.total), "total_tax": s2(-part.tax), "taxes": taxes, "meta_data": [refunded_from]})
    return doc
