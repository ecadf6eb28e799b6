"""``python -m engine.torture [--orders 1000] [--kills 30] [--fault-rate 0.1] [--seed S]``
(``make torture``): the crash and fault torture; exits 1 on any duplicate or missing record."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from engine.torture.instance import RECIPE
from engine.torture.report import print_report
from engine.torture.scenarios import Torture, TortureAborted, TortureConfig


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.torture", description=__doc__)
    parser.add_argument("--orders", type=int, default=1000, help="orders the shop generates (default 1000)")
    parser.add_argument("--kills", type=int, default=30, help="SIGKILLs of iex run in phase 1 (default 30)")
    parser.add_argument("--fault-rate", type=float, default=0.12,
                        help="chance that a call is faulted (default 0.12, so that at least 10 %% of calls are)")
    parser.add_argument("--seed", type=int, default=1, help="seed of kill moments, faults and new orders")
    parser.add_argument("--race-rounds", type=int, default=6, help="rounds of webhooks racing pollers")
    parser.add_argument("--folder", type=Path, help="instance folder to keep (default: a temporary one)")
    parser.add_argument("--recipe", type=Path, default=RECIPE, help="the recipe to torture (default: woocommerce-economic)")
    args = parser.parse_args(argv)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="iex-torture-"))
    config = TortureConfig(folder=folder, orders=args.orders, kills=args.kills, fault_rate=args.fault_rate,
                           seed=args.seed, race_rounds=args.race_rounds, recipe=args.recipe)
    started = time.monotonic()
    try:
        report = Torture(config, say=lambda text: print(text, flush=True)).run()
    except TortureAborted as exc:
        print(f"torture aborted: {exc}")
        return 2
    print_report(report, seconds=time.monotonic() - started)
    if args.folder is None and report.ok:
        shutil.rmtree(folder, ignore_errors=True)
    elif not report.ok:
        print(f"instance, state and every process's output kept in {folder}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
