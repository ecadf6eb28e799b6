"""``GET /orders`` filtering and ordering, as WooCommerce's order query does it.

Date filters are strict (WordPress ``date_query`` with ``inclusive => false``): ``modified_after=T``
returns orders modified *after* T, not at T. They compare against the site-local date fields, or
the ``*_gmt`` fields with ``dates_are_gmt=true``. ``orderby`` is one of ``date|id|include|title|
slug``; there is no ``modified`` (``title``/``slug`` fall back to the date, as orders have none).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import QueryParams

from connectors.woocommerce.sandbox import params
from connectors.woocommerce.sandbox.documents import SITE_TZ
from connectors.woocommerce.sandbox.store import STATUSES

JSON = dict[str, Any]
ORDERBY = ("date", "id", "include", "title", "slug")


@dataclass
class OrderQuery:
    statuses: list[str] | None = None
    after: datetime | None = None
    before: datetime | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None
    gmt: bool = False
    include: list[int] | None = None
    exclude: list[int] | None = None
    customer: int | None = None
    order: str = "desc"
    orderby: str = "date"

    @classmethod
    def from_params(cls, query: QueryParams) -> OrderQuery:
        customer = query.get("customer")
        return cls(
            statuses=params.choices(query, "status", ("any", *STATUSES)),
            after=params.date(query, "after"),
            before=params.date(query, "before"),
            modified_after=params.date(query, "modified_after"),
            modified_before=params.date(query, "modified_before"),
            gmt=params.boolean(query, "dates_are_gmt"),
            include=params.integers(query, "include"),
            exclude=params.integers(query, "exclude"),
            customer=params.integer(query, "customer", 0) if customer is not None else None,
            order=params.choice(query, "order", ("asc", "desc"), "desc"),
            orderby=params.choice(query, "orderby", ORDERBY, "date"),
        )

    def _bound(self, moment: datetime) -> str:
        """The parameter as a naive string comparable with the stored date field."""
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC if self.gmt else SITE_TZ).replace(tzinfo=None)
        return moment.replace(microsecond=0).isoformat()

    def _field(self, name: str) -> str:
        return f"{name}_gmt" if self.gmt else name

    def matches(self, order: JSON) -> bool:
        statuses = self.statuses or ["any"]
        if "any" in statuses:
            if order["status"] == "trash":
                return False
        elif order["status"] not in statuses:
            return False
        if self.include is not None and order["id"] not in self.include:
            return False
        if self.exclude and order["id"] in self.exclude:
            return False
        if self.customer is not None and order["customer_id"] != self.customer:
            return False
        created, modified = order[self._field("date_created")], order[self._field("date_modified")]
        checks = (
            (self.after, lambda bound: created > bound),
            (self.before, lambda bound: created < bound),
            (self.modified_after, lambda bound: modified > bound),
            (self.modified_before, lambda bound: modified < bound),
        )
        return all(check(self._bound(moment)) for moment, check in checks if moment is not None)

    def run(self, orders: Iterable[JSON]) -> list[JSON]:
        found = [order for order in orders if self.matches(order)]
        if self.orderby == "id":
            key = lambda o: o["id"]  # noqa: E731
        elif self.orderby == "include" and self.include:
            position = {order_id: index for index, order_id in enumerate(self.include)}
            return sorted(found, key=lambda o: position[o["id"]])
        else:
            key = lambda o: (o["date_created_gmt"], o["id"])  # noqa: E731
        return sorted(found, key=key, reverse=self.order == "desc")
