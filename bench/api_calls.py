"""e-conomic API calls per order for the generated order mix, against the minimum needed.

Fair use caps an agreement at 50,000 calls a day, so calls are the currency that counts.

The minimum, for an agreement that starts empty, is what no client can avoid:

* one ``POST /invoices/drafts`` and one ``POST /invoices/booked`` per booked document (invoice
  or credit note), and the draft alone for a document left unbooked for review;
* one call per distinct customer (it must be created, or looked up if it may exist) and one per
  distinct product the documents use (the same);
* the reference data once per run (VAT zones, payment terms, layouts, currencies: 4 GETs).

Measured: the recipe's full run (catalogue, orders, refunds) on ``orders`` generated orders
(seed 7) against the e-conomic sandbox, calls counted by the sandbox itself; and the calls of a
second run with nothing new (the ledger answers, e-conomic is not asked).
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.torture.instance import TortureInstance
from engine.torture.sandboxes import Sandboxes, SandboxOptions

REFERENCE_GETS = 4


def run(report: Callable[[str, dict[str, Any]], None], quick: bool = False) -> None:
    from engine.runner import Runner
    from engine.state import open_store

    logging.getLogger("iex").setLevel(logging.ERROR)   # the broken orders' dead letters are expected
    with tempfile.TemporaryDirectory(prefix="iex-bench-calls-") as tmp, \
            Sandboxes(SandboxOptions(orders=60 if quick else 1000, shop_seed=7)) as sandboxes:
        instance = TortureInstance(Path(tmp) / "instance", sandboxes, settings={"ean_send_by_ean": False})
        loaded = instance.load()
        seeded = _inventory(sandboxes)
        store = open_store(instance.state_path)
        try:
            first = Runner(loaded, store, progress=False).run()
            after_first = Counter(sandboxes.calls("economic")["calls"])
            Runner(loaded, store, progress=False).run()
            after_second = Counter(sandboxes.calls("economic")["calls"])
        finally:
            store.close()
        made = _inventory(sandboxes)
    orders = first.flows["webshop/orders"]
    transferred = orders.seen - orders.filtered
    measured = sum(after_first.values())
    booked = made["booked"] - seeded["booked"]
    drafts = made["drafts"] - seeded["drafts"]
    customers = made["customers"] - seeded["customers"]
    products = made["products"] - seeded["products"]
    minimum = 2 * booked + drafts + customers + products + REFERENCE_GETS
    second = sum((after_second - after_first).values())
    top = ", ".join(f"{endpoint} {n}" for endpoint, n in after_first.most_common(6))
    report("api_calls", {
        "orders_transferred": transferred,
        "documents_booked": booked,
        "calls": measured,
        "calls_per_order": round(measured / transferred, 2),
        "minimum": minimum,
        "minimum_per_order": round(minimum / transferred, 2),
        "ratio": round(measured / minimum, 2),
        "goal": "within 1.2x of the minimum",
        "minimum_is": f"2 x {booked} booked + {drafts} unbooked drafts + {customers} customers + "
                      f"{products} products + {REFERENCE_GETS} reference GETs",
        "second_run_calls": second,
        "top_endpoints": top,
    })


def _inventory(sandboxes: Sandboxes) -> dict[str, int]:
    def count(path: str) -> int:
        answer = sandboxes.request("economic", "GET", path, pagesize=1)
        return int(answer["pagination"]["results"])

    return {"booked": count("/invoices/booked"), "drafts": count("/invoices/drafts"),
            "customers": count("/customers"), "products": count("/products")}
