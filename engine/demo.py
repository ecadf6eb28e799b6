"""``make demo`` (for now): the files example end to end, twice.

Copies the example recipe, mapping and the Danish CSV export into ``.iex/demo/``, runs the
instance once with a progress bar (orders become JSON lines, the cancelled order is filtered,
the row with a broken amount is dead-lettered with its file and line), then drops the same
export again under another name and runs again: every order is recognised in the ledger and
nothing is written twice.
"""

from __future__ import annotations

import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]


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
        print_summary(first, console, title="First run")

        console.rule("2. the same export is dropped again, as orders-again.csv")
        shutil.copy(ROOT / "examples" / "files" / "orders.csv", folder / "inbox" / "orders-again.csv")
        second = Runner(instance, store, progress=progress, console=console).run(owner="iex demo")
        print_summary(second, console, title="Second run")
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


# ---------------------------------------------------------------- ledger lookup (stopgap)


def ledger_lookup(store: Any, integration: str) -> Any:
    """``ledger(flow, key, step)`` for templates: the stored result of a done step of another
    flow of the same integration, else None (the refunds flow reads its order's invoice)."""
    from engine.state import LedgerStatus, StepKey

    def ledger(flow: str, key: Any, step: str) -> Any:
        entry = store.ledger_get(StepKey(integration, str(flow), str(key), str(step)))
        return entry.result if entry is not None and entry.status is LedgerStatus.DONE else None

    return ledger


def install_ledger_lookup() -> None:
    """Give the runner's template context ``ledger`` until the runner offers it itself.

    STOPGAP (asked of the runner's owner): templates cannot read another flow's ledger, which
    the refunds flow needs for its order's booked invoice number. This wraps
    ``FlowEnv.context`` to add the name and changes nothing else; once the runner puts
    ``ledger`` into the context itself, this does nothing."""
    from engine.runner import steps

    original = steps.FlowEnv.context
    if getattr(original, "with_ledger", False):
        return

    def context(self: Any, data: dict[str, Any], key: str | None) -> dict[str, Any]:
        found = original(self, data, key)
        if "ledger" not in found:
            found["ledger"] = ledger_lookup(self.store, self.integration.name)
        return found

    context.with_ledger = True  # type: ignore[attr-defined]
    steps.FlowEnv.context = context  # type: ignore[method-assign]


def main() -> int:
    console = Console()
    result = run_demo(Path(".iex") / "demo", console)
    sent_twice = sum(result.second.flows[name].done.total() for name in result.second.flows)
    return 0 if sent_twice == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
