"""e-conomic API calls per order for the generated order mix, against the minimum needed.

Fair use caps an agreement at 50,000 calls a day, so calls are the currency that counts.

The minimum is what no client can avoid:

* one ``POST /invoices/drafts`` and one ``POST /invoices/booked`` per booked document (invoice
  or credit note), and the draft alone for a document left unbooked for review;
* one call per customer created (it must be created; a lookup first is avoidable) and one per
  product created (the same);
* one ``PUT /customers/{n}`` per change of a customer's kept-current fields: e-conomic has no
  PATCH, and the recipe's ``*_update_fields`` ask for those fields to follow the orders. Counted
  here without the connector: the customer step's input is evaluated from each transferred
  order (the recipe's own mapping), and an ideal client is replayed over them in the order the
  shop returned them, starting from the customers the agreement held before the run. A PUT is
  needed where an order's update fields differ from what that client holds (references by
  number, text without surrounding blanks). Run on one worker the connector sends exactly these
  PUTs; on parallel lanes a buyer's orders may run out of shop order (a buyer who moves back to
  an earlier address then costs one PUT fewer, and e-conomic may keep an older address);
* the reference data once per run (VAT zones, payment terms, layouts, currencies: 4 GETs).

Measured: the recipe's full run (catalogue, orders, refunds) on ``orders`` generated orders
(seed 7) against the e-conomic sandbox, calls counted by the sandbox itself (the benchmark's own
reads of the sandbox are left out); and the calls of a second run with nothing new (the ledger
answers, e-conomic is not asked).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from engine.torture.instance import INTEGRATION, TortureInstance
from engine.torture.sandboxes import Sandboxes, SandboxOptions

REFERENCE_GETS = 4
GOAL = 1.2
Doc = dict[str, Any]


def run(report: Callable[[str, dict[str, Any]], None], quick: bool = False) -> None:
    from engine.runner import Runner
    from engine.state import open_store

    with tempfile.TemporaryDirectory(prefix="iex-bench-calls-") as tmp, \
            Sandboxes(SandboxOptions(orders=60 if quick else 1000, shop_seed=7)) as sandboxes:
        instance = TortureInstance(Path(tmp) / "instance", sandboxes, settings={"ean_send_by_ean": False})
        loaded = instance.load()
        seeded = _inventory(sandboxes)
        seed_customers = list(_customers(sandboxes))
        before = Counter(sandboxes.calls("economic")["calls"])     # the benchmark's own reads so far
        store = open_store(instance.state_path)
        try:
            first = Runner(loaded, store, progress=False).run()
            after_first = Counter(sandboxes.calls("economic")["calls"])
            Runner(loaded, store, progress=False).run()
            after_second = Counter(sandboxes.calls("economic")["calls"])
            updates = _customer_updates_needed(loaded.integrations[INTEGRATION], store, seed_customers)
        finally:
            store.close()
        made = _inventory(sandboxes)
    orders = first.flows[f"{INTEGRATION}/orders"]
    transferred = orders.seen - orders.filtered
    spent = after_first - before
    measured = sum(spent.values())
    booked = made["booked"] - seeded["booked"]
    drafts = made["drafts"] - seeded["drafts"]
    customers = made["customers"] - seeded["customers"]
    products = made["products"] - seeded["products"]
    minimum = 2 * booked + drafts + customers + updates + products + REFERENCE_GETS
    second = sum((after_second - after_first).values())
    ratio = round(measured / minimum, 2)
    report("api_calls", {
        "orders_transferred": transferred,
        "documents_booked": booked,
        "calls": measured,
        "calls_per_order": round(measured / transferred, 2),
        "minimum": minimum,
        "minimum_per_order": round(minimum / transferred, 2),
        "ratio": ratio,
        "goal": f"within {GOAL}x of the minimum: {'met' if ratio <= GOAL else 'NOT met'}",
        "minimum_is": f"{booked} drafts + {booked} bookings of booked documents + {drafts} unbooked drafts + "
                      f"{customers} customers created + {updates} customers updated + {products} products + "
                      f"{REFERENCE_GETS} reference GETs",
        "customer_puts": spent["PUT /customers/{id}"],
        "second_run_calls": second,
        "calls_by_endpoint": ", ".join(f"{endpoint} {n}" for endpoint, n in _by_endpoint(spent).most_common()),
    })


def _by_endpoint(calls: Counter[str]) -> Counter[str]:
    """Product numbers are text, so the sandbox counts ``GET /products/TSHIRT-M`` apart; fold them."""
    folded: Counter[str] = Counter()
    for endpoint, n in calls.items():
        method, _, path = endpoint.partition(" ")
        parts = path.split("/")
        if len(parts) >= 3 and parts[1] == "products" and parts[2] not in ("{id}", ""):
            parts[2] = "{number}"
        folded[f"{method} {'/'.join(parts)}"] += n
    return folded


def _inventory(sandboxes: Sandboxes) -> dict[str, int]:
    def count(path: str) -> int:
        answer = sandboxes.request("economic", "GET", path, pagesize=1)
        return int(answer["pagination"]["results"])

    return {"booked": count("/invoices/booked"), "drafts": count("/invoices/drafts"),
            "customers": count("/customers"), "products": count("/products")}


def _customers(sandboxes: Sandboxes) -> Iterator[Doc]:
    page = 0
    while True:
        answer = sandboxes.request("economic", "GET", "/customers", pagesize=1000, skippages=page)
        yield from answer["collection"]
        if not answer["pagination"].get("nextPage"):
            return
        page += 1


# -- the customer updates an ideal client must send ---------------------------------------------

def _customer_updates_needed(integration: Any, store: Any, seed_customers: list[Doc]) -> int:
    """PUTs an ideal client sends: the transferred orders' customer inputs replayed in source order."""
    from engine.connector import Runtime
    from engine.runner.support import Connections, record_key_text, resolve
    from engine.state import LedgerStatus

    flow = integration.recipe.flows["orders"]
    step = next(s for s in flow.steps if s.action == "find_or_create_customer")
    reached = {e.record_key for e in store.ledger_entries(integration.name, flow.name, step=step.name,
                                                          status=LedgerStatus.DONE)}
    held = [dict(doc) for doc in seed_customers]          # what the agreement holds, oldest first
    needed = 0
    runtime = Runtime()
    connections = Connections(integration, runtime)
    try:
        run = {"started": "bench", "id": "bench"}
        options = resolve(dict(flow.source.options or {}), {"settings": integration.settings, "run": run})
        shop = connections.get(flow.source.connection)
        for record in shop.read(flow.source.stream, None, options):
            if record.data is None:
                continue
            key = record_key_text(flow.key.search(record.data))
            if key not in reached:
                continue
            context = {"record": record.data, "settings": integration.settings, "steps": {}, "key": key,
                       "run": run, "ledger": lambda *_: None}
            data = step.input.evaluate(context)
            needed += _replay(held, data)
    finally:
        connections.close()
        runtime.close()
    return needed


def _replay(held: list[Doc], data: Doc) -> int:
    """1 when this order's customer input needs a PUT of what the ideal client holds, else 0."""
    match = data.get("match")
    if not match or data.get("common_customer_number") is not None:
        return 0
    wanted = {k: v for k, v in (data.get("customer") or {}).items() if v is not None}
    field, value = match["field"], match["value"]
    found = next((doc for doc in held if _same_value(doc.get(field), value, case=False)), None)
    if found is None:
        held.append({**wanted, field: value})
        return 0
    changes = {f: wanted[f] for f in data.get("update_fields") or []
               if f in wanted and f != "customerNumber" and not _same_value(found.get(f), wanted[f], case=True)}
    found.update(changes)
    return 1 if changes else 0


def _same_value(held: Any, wanted: Any, *, case: bool) -> bool:
    """As e-conomic holds it: a reference by its number, text without surrounding blanks (and
    case-insensitively for matching, as its filter compares)."""
    def form(value: Any) -> Any:
        if isinstance(value, dict):
            return next((v for k, v in value.items() if k.endswith("Number")), None)
        text = "" if value is None else str(value).strip()
        return text if case else text.lower()

    return form(held) == form(wanted)
