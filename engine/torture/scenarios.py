"""The torture itself, phase by phase, on one shop, one agreement and one instance.

1. **crash**: ``iex run --once`` killed with SIGKILL at seeded random moments, ``kills`` times,
   faults on (429 with Retry-After, 500, 503, dropped connections before and after the effect,
   slow answers);
2. **race**: ``iex serve`` receives the shop's webhooks while ``iex run --once`` polls; the shop's
   history moves on (status changes, refunds) and new orders arrive; some rounds start two
   pollers at once (the second must refuse or wait), some kill a poller or ``iex serve`` itself;
3. **settle**: runs until one completes with nothing pending;
4. **retry**: the orders dead-lettered for a missing product get a default product (the setting a
   customer would fix) and ``iex dlq retry`` sends them;
5. the check (``engine.torture.check``) over both sandboxes' APIs.
"""

from __future__ import annotations

import random
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from engine.state import open_store
from engine.torture import check, processes
from engine.torture.instance import INTEGRATION, RECIPE, TortureInstance
from engine.torture.sandboxes import Sandboxes, SandboxOptions

Say = Callable[[str], None]
SKUS = ("KAF-500", "KAF-ESP-1000", "TE-24", "TERMO-1L", "FILTER-4", "KRUS-HVID", "TSHIRT-M")
COUNTRIES = ("DK", "DK", "DK", "DE", "SE", "FR", "NO")
DEFAULT_PRODUCT = "DIVERSE"   # what the customer sets for lines without a SKU in phase 4


@dataclass
class TortureConfig:
    folder: Path
    orders: int = 1000
    kills: int = 30
    fault_rate: float = 0.12
    seed: int = 1
    kill_after: tuple[float, float] = (0.5, 9.0)   # seconds after start, uniform (seeded)
    race_rounds: int = 6
    race_new_orders: int = 5                       # new orders per race round
    final_runs: int = 8                            # runs with faults on before they are switched off
    run_timeout: float = 1200
    recipe: Path = RECIPE


class TortureAborted(Exception):
    """The instance cannot run at all (a configuration error): torturing it proves nothing."""


@dataclass
class Report:
    orders: int = 0
    kills: int = 0
    runs_started: int = 0
    runs_finished: int = 0
    runs_refused_busy: int = 0
    serve_kills: int = 0
    webhook_deliveries: int = 0
    webhook_deliveries_ok: int = 0
    faults: dict[str, Counter[str]] = field(default_factory=lambda: {"economic": Counter(), "shop": Counter()})
    calls: dict[str, int] = field(default_factory=lambda: {"economic": 0, "shop": 0})
    faults_off_for_final_run: bool = False
    retried_letters: int = 0
    retry_completed: int = 0
    notes: list[str] = field(default_factory=list)
    verdict: check.Verdict | None = None

    @property
    def ok(self) -> bool:
        return self.verdict is not None and self.verdict.ok and self.kills > 0 and not [
            n for n in self.notes if n.startswith("FAIL")]


class Torture:
    def __init__(self, config: TortureConfig, say: Say = print) -> None:
        self.config = config
        self.say = say
        self.rng = random.Random(config.seed)
        self.report = Report()
        self.options = SandboxOptions(orders=config.orders, fault_rate=config.fault_rate, fault_seed=config.seed)

    def run(self) -> Report:
        with Sandboxes(self.options, log=self.config.folder / "logs" / "sandboxes.err") as sandboxes:
            self.sandboxes = sandboxes
            self.instance = TortureInstance(self.config.folder, sandboxes, serve_port=_free_port(),
                                            recipe=self.config.recipe)
            self.instance.write()
            self.crash()
            self.race()
            self.settle()
            self.retry()
            if not self.report.faults_off_for_final_run:  # else counted when faults went off
                self._count_faults()
            self.say("checking e-conomic against the shop (faults off for the checker's reads)")
            for which in ("economic", "shop"):
                sandboxes.set_faults(which)
            self.report.verdict = check.verify(sandboxes, self.instance)
            self.report.orders = self.report.verdict.orders
        return self.report

    # -- 1. crash ---------------------------------------------------------------------------
    def crash(self) -> None:
        self.say(f"phase 1: {self.config.kills} runs killed with SIGKILL at random moments, "
                 f"faults at {self.config.fault_rate:.0%}")
        low, high = self.config.kill_after
        while self.report.kills < self.config.kills:
            process = self._start("run", "--once", "--no-progress")
            processes.sleep_until(time.monotonic() + self.rng.uniform(low, high), process)
            if process.kill():
                self.report.kills += 1
            else:
                self._finished(process)

    # -- 2. webhooks and polling race, two runners, a killed receiver --------------------------
    def race(self) -> None:
        rounds = self.config.race_rounds
        if rounds <= 0:
            return
        self.say(f"phase 2: {rounds} rounds of webhooks to iex serve racing iex run pollers")
        serve = self._serve()
        self._register_webhooks()
        try:
            for number in range(rounds):
                self.sandboxes.request("shop", "POST", "/_sandbox/advance", {"steps": self.rng.randint(5, 20)})
                for _ in range(self.config.race_new_orders):
                    self.sandboxes.request("shop", "POST", "/_sandbox/orders", self._new_order())
                pollers = [self._start("run", "--once", "--no-progress")]
                if number % 2 == 1:   # started twice on the same instance by mistake: refuses, or waits
                    pollers.append(self._start("run", "--once", "--no-progress"))
                    pollers.append(self._start("run", "--once", "--no-progress", "--wait"))
                if number == rounds // 2:
                    time.sleep(self.rng.uniform(0.5, 3.0))
                    if serve.kill():
                        self.report.serve_kills += 1
                    serve = self._serve()
                victim = pollers[0] if number % 3 == 0 else None
                if victim is not None:
                    processes.sleep_until(time.monotonic() + self.rng.uniform(*self.config.kill_after), victim)
                    if victim.kill():
                        self.report.kills += 1
                for poller in pollers:
                    if poller is victim and poller.popen.returncode == -9:
                        continue  # killed above
                    self._wait(poller)
            self.sandboxes.request("shop", "GET", "/_sandbox/deliveries", wait="true")
            self._wait_for_inbox()
        finally:
            serve.popen.terminate()
            try:
                serve.wait(timeout=60)
            except Exception:  # noqa: BLE001 - a receiver that does not stop is killed
                serve.kill()
        log = self.sandboxes.request("shop", "GET", "/_sandbox/deliveries")
        self.report.webhook_deliveries = len(log)
        self.report.webhook_deliveries_ok = sum(1 for d in log if d.get("ok"))

    def _serve(self) -> processes.IexProcess:
        process = self._start("serve", spawn_count=False)
        url = f"http://127.0.0.1:{self.instance.serve_port}/health"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not process.running():
                raise RuntimeError(f"iex serve exited: {process.output()[-2000:]}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return process
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        process.kill()
        raise RuntimeError("iex serve did not answer /health within 60 s")

    def _register_webhooks(self) -> None:
        self.sandboxes.set_faults("shop")  # registering is set-up, not part of the torture
        url = f"http://127.0.0.1:{self.instance.serve_port}/webhooks/{INTEGRATION}/shop"
        for topic in ("order.created", "order.updated"):
            self.sandboxes.request("shop", "POST", "/wp-json/wc/v3/webhooks", {
                "name": f"iex {topic}", "topic": topic, "delivery_url": url,
                "secret": self.options.webhook_secret})
        self.sandboxes.set_faults("shop", **self._fault_config(seed_offset=2000))

    def _new_order(self) -> dict[str, Any]:
        lines = [{"sku": sku, "quantity": self.rng.randint(1, 3)}
                 for sku in self.rng.sample(SKUS, self.rng.randint(1, 3))]
        return {"status": self.rng.choice(["processing", "processing", "completed", "pending"]),
                "currency": "DKK", "line_items": lines, "payment_method": self.rng.choice(["stripe", "bacs", "mobilepay"]),
                "billing": {"country": self.rng.choice(COUNTRIES), "email": f"race{self.rng.randint(1, 40)}@example.net"}}

    def _wait_for_inbox(self, timeout: float = 120) -> None:
        """Until the receiver has run every queued webhook record (or time is up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            store = open_store(self.instance.state_path)
            try:
                waiting = sum(len(store.inbox_pending(INTEGRATION, flow)) for flow in ("orders",))
            finally:
                store.close()
            if not waiting:
                return
            time.sleep(0.5)
        self.report.notes.append("the webhook inbox was not empty when iex serve stopped (the settle runs take it)")

    # -- 3. settle --------------------------------------------------------------------------
    def settle(self) -> None:
        self.say("phase 3: runs until one completes with nothing pending")
        for attempt in range(self.config.final_runs + 3):
            if attempt == self.config.final_runs:
                self.say("  faults switched off for the final runs")
                self.report.faults_off_for_final_run = True
                self._count_faults()
                for which in ("economic", "shop"):
                    self.sandboxes.set_faults(which)
            process = self._start("run", "--once", "--no-progress")
            self._wait(process)
            if process.popen.returncode in (0, 1) and self._pending() == 0:
                return
        self.report.notes.append("FAIL: records were still pending after every settle run")

    def _pending(self) -> int:
        store = open_store(self.instance.state_path)
        try:
            runs = store.runs(1)
        finally:
            store.close()
        if not runs or runs[0].finished is None:
            return -1
        flows = runs[0].counts.get("flows", {})
        return sum(int(c.get("pending", 0)) + (1 if c.get("stopped") else 0) for c in flows.values())

    # -- 4. fix the cause, retry the dead letters ---------------------------------------------
    def retry(self) -> None:
        store = open_store(self.instance.state_path)
        try:
            letters = [x for x in store.dead_letters() if x.flow == "orders" and _needs_default_product(x.message)]
        finally:
            store.close()
        self.say(f"phase 4: {len(letters)} orders dead-lettered for a line without a product; the customer "
                 f"sets default_product: {DEFAULT_PRODUCT} and runs iex dlq retry")
        if not letters:
            self.report.notes.append("no dead letter for a missing product to retry (phase 4 skipped)")
            return
        self.sandboxes.set_faults("economic")
        self.sandboxes.request("economic", "POST", "/products", {
            "productNumber": DEFAULT_PRODUCT, "name": "Diverse varer", "salesPrice": 0,
            "productGroup": {"productGroupNumber": 1}})
        self.sandboxes.set_faults("economic", **self._fault_config())
        self.instance.settings["default_product"] = DEFAULT_PRODUCT
        self.instance.write()
        self.report.retried_letters = len(letters)
        remaining = letters
        for _ in range(3):   # faults stay on: a retry can leave a record pending; the customer retries again
            process = self._start("dlq", "retry", *[str(x.id) for x in remaining])
            self._wait(process)
            store = open_store(self.instance.state_path)
            try:
                open_ids = {x.id for x in store.dead_letters()}
            finally:
                store.close()
            remaining = [x for x in remaining if x.id in open_ids]
            if not remaining:
                break
        self.report.retry_completed = len(letters) - len(remaining)
        if remaining:
            self.report.notes.append(f"FAIL: iex dlq retry completed {self.report.retry_completed} of "
                                     f"{len(letters)} orders after the fix")

    # -- helpers -----------------------------------------------------------------------------
    def _fault_config(self, seed_offset: int = 0) -> dict[str, Any]:
        config = self.options.faults(seed_offset)
        return {"fault_rate": Decimal(str(config["fault_rate"])), "kinds": config["fault_kinds"].split(","),
                "seed": config["seed"], "retry_after": config["retry_after"], "slow_ms": config["slow_ms"]}

    def _start(self, *args: str, spawn_count: bool = True) -> processes.IexProcess:
        if spawn_count:
            self.report.runs_started += 1
        return processes.start(self.instance, *args)

    def _wait(self, process: processes.IexProcess) -> None:
        try:
            process.wait(timeout=self.config.run_timeout)
        except Exception:  # noqa: BLE001 - a hung run is a failure worth reporting, not a hang
            process.kill()
            self.report.notes.append(f"FAIL: {' '.join(process.args[3:5])} did not finish in "
                                     f"{self.config.run_timeout:.0f} s")
            return
        self._finished(process)

    def _finished(self, process: processes.IexProcess) -> None:
        code = process.popen.returncode
        if code == processes.EXIT_BUSY:
            self.report.runs_refused_busy += 1
        elif code in (0, 1):
            self.report.runs_finished += 1
        elif code == 2:
            raise TortureAborted(f"iex {' '.join(process.args[3:5])} cannot run the instance:\n"
                                 f"{process.output()[-3000:]}")
        else:
            self.report.notes.append(f"FAIL: {' '.join(process.args[3:5])} exited {code}: "
                                     f"{process.output()[-1500:]}")
        if "Traceback" in process.output():
            self.report.notes.append(f"FAIL: a traceback in {process.stderr.name}")

    def _count_faults(self) -> None:
        """Calls and injected faults per kind so far (the sandboxes count from their start)."""
        for which in ("economic", "shop"):
            snapshot = self.sandboxes.calls(which)
            self.report.calls[which] = int(snapshot["total"])
            self.report.faults[which] = Counter({kind: int(n) for kind, n in snapshot["faults"].items()})


def _needs_default_product(message: str) -> bool:
    """A dead letter of an order line without a SKU (the recipe's words, or e-conomic's)."""
    return "no default product" in message or "Property product is required" in message


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
