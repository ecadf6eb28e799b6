"""``--orders DIR``: replay real shop data from REST v3 JSON files.

Every ``*.json`` file in DIR (sorted by name, not recursive) holds one order document as
``GET /orders/{id}`` returns it, or a list of them as ``GET /orders`` returns a page. Refunds come
either way:

* inside the order: ``refunds`` entries that are full refund objects (they have ``amount``); the
  sandbox keeps them and shows the order with WooCommerce's summaries (``id``, ``reason``,
  negative ``total``);
* in a sibling file ``NAME.refunds.json`` next to ``NAME.json`` (one order per file), holding the
  list ``GET /orders/{id}/refunds`` returns.

An order that lists only refund summaries and has no sibling file gets amount-only refund objects
made from the summaries (no line items are known). Missing ``*_gmt`` dates are derived from the
site-local ones (Europe/Copenhagen).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.woocommerce.sandbox import jsonio
from connectors.woocommerce.sandbox.documents import SITE_TZ
from connectors.woocommerce.sandbox.store import Store

JSON = dict[str, Any]
REFUNDS_SUFFIX = ".refunds.json"
DATES = ("date_created", "date_modified", "date_paid", "date_completed")


class LoadError(ValueError):
    """A file that is not REST v3 order JSON; the message names the file."""


def load_orders(store: Store, folder: Path) -> int:
    """Load every order file of ``folder`` into ``store``; returns the number of orders."""
    if not folder.is_dir():
        raise LoadError(f"--orders {folder}: not a directory")
    count = 0
    for path in sorted(folder.glob("*.json")):
        if path.name.endswith(REFUNDS_SUFFIX):
            continue
        data = _read(path)
        orders = data if isinstance(data, list) else [data]
        sibling = path.with_name(path.name[: -len(".json")] + REFUNDS_SUFFIX)
        extra = _read(sibling) if sibling.exists() else None
        if extra is not None and len(orders) != 1:
            raise LoadError(f"{sibling}: a refunds file belongs to a file with exactly one order")
        for index, order in enumerate(orders):
            if not isinstance(order, dict) or not {"id", "status", "total"} <= order.keys():
                raise LoadError(f"{path}: item {index} is not an order (needs at least id, status and total)")
            if not (order.get("date_created") or order.get("date_created_gmt")):
                raise LoadError(f"{path}: order {order['id']} has no date_created")
            _fill_dates(order)
            refunds = _refunds(order, extra)
            for refund in refunds:
                _fill_dates(refund, ("date_created",))
            store.add_order(order, refunds, notify=False)
            count += 1
    return count


def _read(path: Path) -> Any:
    try:
        return jsonio.loads(path.read_bytes())
    except ValueError as exc:
        raise LoadError(f"{path}: not valid JSON ({exc})") from None


def _refunds(order: JSON, extra: list[JSON] | None) -> list[JSON]:
    listed = order.get("refunds") or []
    full = [r for r in listed if "amount" in r]
    if extra is not None:
        full = list(extra)
    elif not full:
        full = [
            {"id": r["id"], "date_created": order["date_modified"], "date_created_gmt": order["date_modified_gmt"],
             "amount": str(r["total"]).lstrip("-"), "reason": r.get("reason", ""), "refunded_by": 0,
             "refunded_payment": False, "meta_data": [], "line_items": [], "shipping_lines": [], "fee_lines": []}
            for r in listed
        ]
    order["refunds"] = [
        {"id": r["id"], "reason": r.get("reason", ""), "total": f"-{r['amount']}"} for r in sorted(full, key=lambda r: -r["id"])
    ]
    return full


def _fill_dates(doc: JSON, names: tuple[str, ...] = DATES) -> None:
    """Give every date both forms (site-local and GMT); a missing modification date is the
    creation date."""
    if "date_created" in names and not (doc.get("date_modified") or doc.get("date_modified_gmt")):
        doc["date_modified"], doc["date_modified_gmt"] = doc.get("date_created"), doc.get("date_created_gmt")
    for name in names:
        local, gmt = doc.get(name), doc.get(f"{name}_gmt")
        if local and not gmt:
            moment = datetime.fromisoformat(local).replace(tzinfo=SITE_TZ)
            doc[f"{name}_gmt"] = moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None).isoformat()
        elif gmt and not local:
            moment = datetime.fromisoformat(gmt).replace(tzinfo=ZoneInfo("UTC"))
            doc[name] = moment.astimezone(SITE_TZ).replace(tzinfo=None).isoformat()
        else:
            doc.setdefault(name, None)
            doc.setdefault(f"{name}_gmt", None)
