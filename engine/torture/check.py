"""What e-conomic holds against what the shop has, read over both sandboxes' APIs.

Rules (record keys as the recipe makes them: order ``4122``, refund ``refund-4159``):

* an order in a transfer status (processing, completed, refunded) has exactly one booked invoice (``references.other`` =
  ``webshop/orders/<id>/invoice``), or none and an open dead letter saying why;
* a refund of such an order has exactly one booked credit note
  (``webshop/refunds/refund-<id>/credit_note``), or none and an open dead letter or a hold with
  its reason (a refund waits while its order's invoice is missing);
* nothing else is booked: no reference twice, no reference that is not one of these records
  (an invoice for a pending or cancelled order is one too many);
* the only drafts left are those of dead-lettered orders (left unbooked for review);
* no customer exists twice for the identity the recipe matches on (EAN, CVR, VAT number, email).

Faults must be off while checking (``Sandboxes.set_faults``): the checker's GETs are not retried.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from engine.state import LedgerStatus, open_store
from engine.torture.instance import INTEGRATION, TortureInstance
from engine.torture.sandboxes import Sandboxes

JSON = dict[str, Any]
TRANSFER_STATUSES = ("processing", "completed", "refunded")


@dataclass
class Verdict:
    orders: int = 0
    transferable: int = 0
    refunds: int = 0
    invoices: int = 0                 # booked invoices of orders
    credit_notes: int = 0             # booked credit notes of refunds
    duplicates: list[str] = field(default_factory=list)       # references booked more than once
    missing: list[str] = field(default_factory=list)          # records with no document and no reason
    unexpected: list[str] = field(default_factory=list)       # booked references of no record
    stray_drafts: list[str] = field(default_factory=list)     # drafts of records that are not dead letters
    booked_and_dead: list[str] = field(default_factory=list)  # booked, yet an open dead letter says it failed
    duplicate_customers: list[str] = field(default_factory=list)
    dead_letters: dict[str, str] = field(default_factory=dict)  # "flow/key" -> reason
    held: dict[str, str] = field(default_factory=dict)          # "flow/key" -> reason

    @property
    def failures(self) -> dict[str, list[str]]:
        found = {"duplicates": self.duplicates, "missing": self.missing, "unexpected": self.unexpected,
                 "stray drafts": self.stray_drafts, "booked and dead": self.booked_and_dead,
                 "duplicate customers": self.duplicate_customers}
        return {name: items for name, items in found.items() if items}

    @property
    def ok(self) -> bool:
        return not self.failures


def verify(sandboxes: Sandboxes, instance: TortureInstance) -> Verdict:
    """Compare e-conomic with the shop and the instance's dead letters; see the module rules."""
    verdict = Verdict()
    letters, held = _reasons(instance)
    verdict.dead_letters, verdict.held = letters, held

    orders = _shop_orders(sandboxes)
    verdict.orders = len(orders)
    expected: dict[str, str] = {}          # reference -> "flow/key", of transferable orders and their refunds
    names: dict[str, str] = {}             # the same for every order and refund (to name drafts)
    for order in orders:
        records = [(f"{INTEGRATION}/orders/{order['id']}/invoice", f"orders/{order['id']}")]
        for refund in order.get("refunds") or []:
            verdict.refunds += 1
            records.append((f"{INTEGRATION}/refunds/refund-{refund['id']}/credit_note", f"refunds/refund-{refund['id']}"))
        names.update(records)
        # statuses only move forward (pending -> processing -> completed -> refunded): an order
        # that was ever transferable still is, so its status now decides
        if order["status"] in TRANSFER_STATUSES:
            verdict.transferable += 1
            expected.update(records)

    booked = Counter(_reference(doc) for doc in _collection(sandboxes, "/invoices/booked"))
    drafts = Counter(_reference(doc) for doc in _collection(sandboxes, "/invoices/drafts"))
    for reference, count in sorted(booked.items()):
        if reference not in expected:
            verdict.unexpected.append(f"{reference or '(no reference)'} x{count}")
    for reference, record in sorted(expected.items()):
        found = _filtered_count(sandboxes, "/invoices/booked", reference)
        if found != booked.get(reference, 0):
            raise RuntimeError(f"the e-conomic sandbox answers two counts for {reference}: "
                               f"{found} filtered, {booked.get(reference, 0)} listed")
        if found > 1:
            verdict.duplicates.append(f"{record}: {found} booked")
        if found >= 1:
            if "/orders/" in reference:
                verdict.invoices += 1
            else:
                verdict.credit_notes += 1
            if record in letters:
                verdict.booked_and_dead.append(f"{record}: {letters[record]}")
        elif record not in letters and record not in held:
            verdict.missing.append(record)
    for reference, count in sorted(drafts.items()):
        record = names.get(reference, reference)
        if record not in letters or booked.get(reference):
            verdict.stray_drafts.append(f"{record} x{count}")
    verdict.duplicate_customers = _duplicate_customers(sandboxes)
    return verdict


def _reasons(instance: TortureInstance) -> tuple[dict[str, str], dict[str, str]]:
    """Open dead letters and held records of the instance, "flow/key" -> reason (state API)."""
    store = open_store(instance.state_path)
    try:
        letters = {f"{x.flow}/{x.record_key}": f"[{x.error_class}] {x.message}" for x in store.dead_letters()}
        held = {}
        for flow in ("orders", "refunds"):
            for entry in store.ledger_entries(INTEGRATION, flow, status=LedgerStatus.HELD):
                held[f"{flow}/{entry.record_key}"] = entry.error or "held"
    finally:
        store.close()
    return letters, held


def _shop_orders(sandboxes: Sandboxes) -> list[JSON]:
    orders: list[JSON] = []
    page = 1
    while True:
        batch = sandboxes.request("shop", "GET", "/wp-json/wc/v3/orders", per_page=100, page=page, orderby="id",
                                  order="asc")
        orders.extend(batch)
        if len(batch) < 100:
            return orders
        page += 1


def _collection(sandboxes: Sandboxes, path: str) -> list[JSON]:
    items: list[JSON] = []
    page = 0
    while True:
        answer = sandboxes.request("economic", "GET", path, pagesize=1000, skippages=page)
        items.extend(answer["collection"])
        if len(answer["collection"]) < 1000:
            return items
        page += 1


def _filtered_count(sandboxes: Sandboxes, path: str, reference: str) -> int:
    answer = sandboxes.request("economic", "GET", path, pagesize=1000, filter=f"references.other$eq:{reference}")
    return len(answer["collection"])


def _reference(doc: JSON) -> str:
    return str((doc.get("references") or {}).get("other") or "")


def _duplicate_customers(sandboxes: Sandboxes) -> list[str]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for customer in _collection(sandboxes, "/customers"):
        for kind in ("ean", "corporateIdentificationNumber", "vatNumber", "email"):
            value = str(customer.get(kind) or "").strip().lower()
            if value:
                groups[(kind, value)].append(customer["customerNumber"])
                break
    return [f"{kind} {value}: customers {numbers}" for (kind, value), numbers in sorted(groups.items())
            if len(numbers) > 1]
