"""``make demo``: a WooCommerce shop and an e-conomic agreement, end to end, twice.

Both sandboxes start on loopback in this process; the shop generates 200 orders (seed 7: Danish
consumers and companies, public EAN buyers, EU consumers under OSS, EU companies, buyers abroad,
coupons, fees, three currencies, refunds, and a few orders broken on purpose). An instance file
for the woocommerce-economic recipe is written to ``.iex/demo/`` (credentials as ``${env:..}``
references to values this process sets), the recipe runs once with a progress bar, a summary says
what e-conomic now holds and explains every dead letter, and a second run shows that nothing is
sent twice. ``python -m engine.demo --files`` runs the first demo, the files example, instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]


# ================================================================ the files example


@dataclass
class DemoResult:
    folder: Path
    first: Any             # RunSummary of the first run
    second: Any            # RunSummary of the run after the file was dropped again
    output: Path           # the JSON-lines file written
    dead_letters: list[Any]


INSTANCE = """\
iex: 1
state: {{path: state.sqlite}}
integrations:
  orders-export:
    recipe: recipes/files-example.yaml
    connections:
      inbox: {{folder: "{inbox}"}}
      outbox: {{output_folder: "{out}"}}
"""


def prepare(folder: Path) -> Path:
    """A fresh demo instance in ``folder``; returns its instance file."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "recipes").mkdir(parents=True)
    shutil.copy(ROOT / "recipes" / "files-example.yaml", folder / "recipes")
    shutil.copytree(ROOT / "mappings" / "files", folder / "mappings" / "files")
    inbox, out = folder / "inbox", folder / "out"
    inbox.mkdir()
    shutil.copy(ROOT / "examples" / "files" / "orders.csv", inbox / "orders.csv")
    instance_file = folder / "iex.yaml"
    instance_file.write_text(INSTANCE.format(inbox=inbox.resolve(), out=out.resolve()), encoding="utf-8")
    return instance_file


def run_demo(folder: Path, console: Console, *, progress: bool | None = True) -> DemoResult:
    from engine.cli.run import print_summary, setup_logging
    from engine.instance import load_instance
    from engine.runner import Runner
    from engine.state import open_store

    setup_logging(verbose=False)
    logging.getLogger("iex").setLevel(logging.ERROR)  # the dead letter is shown at the end instead
    instance = load_instance(prepare(folder))
    store = open_store(instance.state_path)
    try:
        console.rule("1. the shop's export arrives: orders.csv (cp1252, semicolons, decimal comma)")
        first = Runner(instance, store, progress=progress, console=console).run(owner="iex demo")
        print_summary(_condensed(first), console, title="First run")

        console.rule("2. the same export is dropped again, as orders-again.csv")
        shutil.copy(ROOT / "examples" / "files" / "orders.csv", folder / "inbox" / "orders-again.csv")
        second = Runner(instance, store, progress=progress, console=console).run(owner="iex demo")
        print_summary(_condensed(second), console, title="Second run")
        letters = store.dead_letters()
    finally:
        store.close()
    output = folder / "out" / "orders.jsonl"
    lines = output.read_text(encoding="utf-8").splitlines() if output.exists() else []
    console.rule("result")
    console.print(f"{output}: {len(lines)} orders, each written once", markup=False)
    for letter in letters:
        console.print(f"dead letter #{letter.id}: record {letter.record_key}: {letter.message} "
                      f"(field {letter.field_path}); who acts: {letter.who}", markup=False)
    console.print(f"try: .venv/bin/iex -i {folder / 'iex.yaml'} dlq list   |   plan   |   run --once",
                  markup=False)
    return DemoResult(folder, first, second, output, letters)


# ================================================================ the shop and the agreement

SHOP_INSTANCE = """\
# Written by `make demo`: the woocommerce-economic recipe against the two sandboxes this demo
# started on loopback. The credentials are references to variables the demo process set.
iex: 1
state: {{path: state.sqlite}}
integrations:
  webshop:
    recipe: {recipe}
    settings: {settings}
    connections:
      shop:
        url: {shop_url}
        consumer_key: ${{env:IEX_DEMO_WOO_KEY}}
        consumer_secret: ${{env:IEX_DEMO_WOO_SECRET}}
      economic:
        base_url: {economic_url}
        app_secret_token: ${{env:IEX_DEMO_ECONOMIC_APP_SECRET}}
        agreement_grant_token: ${{env:IEX_DEMO_ECONOMIC_GRANT}}
        rate_limit: {{requests_per_second: 1000, burst: 1000}}
"""
INTEGRATION = "webshop"


@dataclass
class ShopDemoResult:
    folder: Path
    first: Any                  # RunSummary of the first run
    second: Any                 # RunSummary of the run that must send nothing
    facts: dict[str, Any]       # the numbers the summary shows
    dead_letters: list[Any]
    unexplained: list[Any]      # dead letters that are not a deliberately broken order
    second_run_writes: int      # POST/PUT/DELETE calls of the second run

    @property
    def ok(self) -> bool:
        return not self.unexplained and self.second_run_writes == 0


def _start_sandboxes(orders: int, seed: int) -> tuple[Any, Any, dict[str, str]]:
    """Both sandboxes on loopback, built like ``iex sandbox`` builds them, with fresh random
    credentials (set as environment variables). ``seed`` makes the generated shop repeatable."""
    import secrets as random_tokens

    from engine.sandbox import build, serve_in_thread

    tokens = {name: random_tokens.token_hex(12) for name in
              ("IEX_DEMO_WOO_KEY", "IEX_DEMO_WOO_SECRET", "IEX_DEMO_ECONOMIC_APP_SECRET", "IEX_DEMO_ECONOMIC_GRANT")}
    os.environ.update(tokens)
    economic = serve_in_thread(build("economic", {"app_secret_token": tokens["IEX_DEMO_ECONOMIC_APP_SECRET"],
                                                  "agreement_grant_token": tokens["IEX_DEMO_ECONOMIC_GRANT"]}))
    shop = serve_in_thread(build("woocommerce", {"generate": orders, "seed": seed,
                                                 "consumer_key": tokens["IEX_DEMO_WOO_KEY"],
                                                 "consumer_secret": tokens["IEX_DEMO_WOO_SECRET"]}))
    return shop, economic, tokens


def _write_instance(folder: Path, shop_url: str, economic_url: str) -> Path:
    import json

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    settings: dict[str, Any] = {"start_date": "2025-03-01"}
    instance_file = folder / "iex.yaml"
    recipe = Path(os.path.relpath(ROOT / "recipes" / "woocommerce-economic.yaml", folder.resolve()))
    instance_file.write_text(SHOP_INSTANCE.format(recipe=recipe.as_posix(), settings=json.dumps(settings),
                                                  shop_url=shop_url.rstrip("/"), economic_url=economic_url.rstrip("/")),
                             encoding="utf-8")
    return instance_file


def _broken_note(record: Any) -> str | None:
    """The generator's ``_sandbox_note`` of a deliberately broken order (or a refund's order)."""
    if not isinstance(record, dict):
        return None
    order = record.get("order") if isinstance(record.get("order"), dict) else record
    for meta in order.get("meta_data") or []:
        if meta.get("key") == "_sandbox_note":
            return str(meta.get("value"))
    return None


def _facts(store: Any, summary: Any) -> dict[str, Any]:
    """What the first run left in e-conomic, read back from the ledger."""
    def results(flow: str, step: str | None = None) -> list[Any]:
        return [e for e in store.ledger_entries(INTEGRATION, flow, step=step)]

    invoices = [e.result for e in results("orders", "invoice") if e.status.value == "done"]
    notes = [e.result for e in results("refunds", "credit_note") if e.status.value == "done"]
    customers = [e.result for e in results("orders", "customer") if e.status.value == "done"]
    # a public buyer's customer step returns its contact person; booked with send_by ean = sent
    public = {e.record_key for e in results("orders", "customer")
              if e.status.value == "done" and isinstance(e.result, dict) and e.result.get("contactNumber")}
    booked_keys = {e.record_key for e in results("orders", "invoice")
                   if e.status.value == "done" and isinstance(e.result, dict) and e.result.get("booked")}
    products = [item for flow in ("products", "orders", "refunds") for e in results(flow)
                if e.status.value == "done" and isinstance(e.result, dict)
                for item in (e.result.get("products") if "by_sku" in e.result else [e.result])
                if isinstance(item, dict) and "productNumber" in item]
    orders = summary.flows[f"{INTEGRATION}/orders"]
    calls = summary.api_calls.get(INTEGRATION, {})
    sent_orders = max(orders.seen - orders.filtered, 1)
    reviews = [letter for letter in store.dead_letters() if "left for review" in letter.message]
    return {
        "orders in a transfer status": orders.seen,
        "invoices booked": sum(1 for r in invoices if r.get("booked")),
        "invoices with a rounding line": sum(1 for r in invoices if r.get("roundingLine")),
        "drafts left unbooked (booking off)": sum(1 for r in invoices if not r.get("booked")),
        "drafts left for review (totals differ)": len(reviews),
        "credit notes booked": sum(1 for r in notes if r.get("booked")),
        "refunds held for their invoice": summary.flows[f"{INTEGRATION}/refunds"].held,
        "EAN invoices sent through NemHandel": len(public & booked_keys),
        "customers created": len({r["customerNumber"] for r in customers if r.get("created")}),
        "products created": len({r["productNumber"] for r in products if r.get("created")}),
        "e-conomic calls per order": round(calls.get("http.economic", 0) / sent_orders, 1),
        "WooCommerce calls per order": round(calls.get("http.woocommerce", 0) / sent_orders, 1),
    }


def _condensed(summary: Any) -> Any:
    """The summary with API calls per system and method (GET /products/KAF-500 is one GET)."""
    import dataclasses
    from collections import Counter

    calls: Counter[str] = Counter()
    for metrics in summary.api_calls.values():
        for name, count in metrics.items():
            system, _, endpoint = name.partition(" ")
            if endpoint:
                calls[f"{system.rsplit('.', 1)[0]} {system.rsplit('.', 1)[1]}"] += count
    return dataclasses.replace(summary, api_calls={INTEGRATION: dict(calls)})


def _print_facts(console: Console, facts: dict[str, Any], letters: list[Any], unexplained: list[Any]) -> None:
    from rich.table import Table

    table = Table(title="What e-conomic holds now")
    table.add_column("")
    table.add_column("", justify="right")
    for name, value in facts.items():
        table.add_row(name, str(value))
    console.print(table)
    letters_table = Table(title=f"Dead letters: {len(letters)}, of which broken on purpose by the generator: "
                                f"{len(letters) - len(unexplained)}")
    for column in ("record", "class", "field", "why", "generator's note"):
        letters_table.add_column(column, overflow="fold")
    for letter in letters:
        letters_table.add_row(letter.record_key, str(letter.error_class), letter.field_path or "",
                              letter.message, _broken_note(letter.record) or "NOT BROKEN ON PURPOSE")
    console.print(letters_table)
    if unexplained:
        console.print(f"{len(unexplained)} dead letter(s) are not explained by a broken order", style="bold red")
    else:
        console.print("every dead letter is an order the generator broke on purpose; the run went on past "
                      "each, and `iex dlq retry` sends it again once it is fixed", style="green")


def run_shop_demo(folder: Path, console: Console, *, orders: int = 200, seed: int = 7,
                  progress: bool | None = True) -> ShopDemoResult:
    from engine.cli.run import print_summary, setup_logging
    from engine.instance import load_instance
    from engine.runner import Runner
    from engine.state import open_store

    setup_logging(verbose=False)
    logging.getLogger("iex").setLevel(logging.ERROR)   # dead letters are explained in the summary
    shop, economic, _ = _start_sandboxes(orders, seed)
    try:
        instance = load_instance(_write_instance(folder, shop.url, economic.url))
        store = open_store(instance.state_path)
        try:
            console.rule(f"1. {orders} WooCommerce orders (seed {seed}) into e-conomic")
            first = Runner(instance, store, progress=progress, console=console).run(owner="iex demo")
            print_summary(_condensed(first), console, title="First run")
            letters = store.dead_letters()
            unexplained = [letter for letter in letters if _broken_note(letter.record) is None]
            facts = _facts(store, first)
            _print_facts(console, facts, letters, unexplained)

            console.rule("2. the same shop again: nothing may be sent twice")
            second = Runner(instance, store, progress=progress, console=console).run(owner="iex demo")
            print_summary(_condensed(second), console, title="Second run")
            writes = sum(n for metrics in second.api_calls.values() for name, n in metrics.items()
                         if name.split(".")[-1].split(" ")[0] in ("POST", "PUT", "DELETE"))
            sent = sum(sum(c.done.values()) for c in second.flows.values())
            style = "green" if writes == sent == 0 else "bold red"
            console.print(f"second run: {sent} documents sent, {writes} writing calls (only reads)", style=style)
        finally:
            store.close()
    finally:
        shop.stop()
        economic.stop()
    console.print(f"instance file and state: {folder} (the sandboxes and their credentials lived only as long "
                  "as this demo; `iex sandbox woocommerce --generate 200 --seed 7` serves the shop again)", markup=False)
    return ShopDemoResult(folder, first, second, facts, letters, unexplained, writes)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    console = Console()
    if "--files" in args:
        result = run_demo(Path(".iex") / "demo", console)
        sent_twice = sum(result.second.flows[name].done.total() for name in result.second.flows)
        return 0 if sent_twice == 0 else 1
    shop = run_shop_demo(Path(".iex") / "demo", console)
    return 0 if shop.ok else 1


if __name__ == "__main__":
    sys.exit(main())
