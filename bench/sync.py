"""Throughput against e-conomic with 50 ms per call: orders per second achieved by the recipe,
against the bound that concurrency and the rate budget allow, and against a sequential client.

* The WooCommerce sandbox generates the orders (seed 7, no latency); the e-conomic sandbox answers
  every call after 50 ms (``latency_ms``). Both run in their own process; the engine runs here.
* The catalogue is synced first (untimed); the timed run is the ``orders`` flow: find or create
  the customer, ensure products, create the draft, check totals, book.
* Bound: each worker handles one order at a time, its e-conomic calls one after another, so a
  worker manages at most 1 / (calls per order x 50 ms) orders a second; ``min(workers,
  max_concurrency)`` of them work at once, and the rate budget allows ``requests_per_second /
  calls per order``. The bound is the smaller of the two, with the calls per order measured.
* Sequential client: the same recipe with one worker and one request in flight, on a smaller
  sample of the same mix (it is slow by construction).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.torture.instance import TortureInstance
from engine.torture.sandboxes import Sandboxes, SandboxOptions

LATENCY_MS = 50
WORKERS = 8
REQUESTS_PER_SECOND = 100   # the agreement's rate budget in this benchmark (default is 10)
BURST = 100


def run(report: Callable[[str, dict[str, Any]], None], quick: bool = False) -> None:
    concurrent = measure(40 if quick else 5000, workers=WORKERS, max_concurrency=WORKERS)
    sequential = measure(10 if quick else 200, workers=1, max_concurrency=1)
    calls = concurrent["calls_per_order"]
    per_worker = 1 / (calls * LATENCY_MS / 1000)
    bound_concurrency = WORKERS * per_worker   # max_concurrency = WORKERS: every worker has its request slot
    bound_rate = REQUESTS_PER_SECOND / calls
    bound = min(bound_concurrency, bound_rate)
    report("sync", {
        "orders": concurrent["orders"],
        "latency_ms_per_call": LATENCY_MS,
        "workers": WORKERS,
        "rate_budget_per_s": REQUESTS_PER_SECOND,
        "economic_calls_per_order": round(calls, 2),
        "orders_per_s": round(concurrent["orders_per_s"], 2),
        "bound_orders_per_s": round(bound, 2),
        "bound_by": "concurrency x latency" if bound_concurrency <= bound_rate else "rate budget",
        "of_bound": f"{concurrent['orders_per_s'] / bound:.0%}",
        "sequential_orders": sequential["orders"],
        "sequential_orders_per_s": round(sequential["orders_per_s"], 2),
        "vs_sequential": round(concurrent["orders_per_s"] / sequential["orders_per_s"], 1),
    })


def measure(orders: int, *, workers: int, max_concurrency: int) -> dict[str, Any]:
    """Sync ``orders`` generated orders; orders per second and e-conomic calls per order."""
    from engine.runner import Runner
    from engine.state import open_store

    options = SandboxOptions(orders=orders, shop_seed=7)
    with tempfile.TemporaryDirectory(prefix="iex-bench-sync-") as tmp, Sandboxes(options) as sandboxes:
        instance = TortureInstance(Path(tmp) / "instance", sandboxes, requests_per_second=REQUESTS_PER_SECOND,
                                   burst=BURST, max_concurrency=max_concurrency,
                                   settings={"ean_send_by_ean": False})
        loaded = instance.load()
        store = open_store(instance.state_path)
        try:
            Runner(loaded, store, progress=False).run(flows=["products"])
            sandboxes.set_faults("economic", latency_ms=LATENCY_MS)
            before = int(sandboxes.calls("economic")["total"])
            started = time.perf_counter()
            summary = Runner(loaded, store, concurrency=workers, progress=False).run(flows=["orders"])
            seconds = time.perf_counter() - started
            calls = int(sandboxes.calls("economic")["total"]) - before
        finally:
            store.close()
    counts = summary.flows["webshop/orders"]
    handled = counts.seen - counts.filtered
    return {"orders": handled, "orders_per_s": handled / seconds, "calls_per_order": calls / max(handled, 1),
            "seconds": seconds}
