"""``iex validate`` on 200 recipes: seconds, in one process as CI runs it.

The 200 recipes are copies of the two shipped ones (woocommerce-economic with its nine mapping
files, and files-example), each under its own name, in one ``recipes/`` folder beside the shipped
``mappings/``: ``iex validate recipes/`` checks every recipe's schema, templates, selectors,
connector actions and streams, and the mapping files the recipes use (each mapping file is
checked once, as in a real repository). The command runs as a subprocess, so the figure includes
starting Python and loading iex; ``per_recipe_ms`` divides the whole time by 200.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("woocommerce-economic.yaml", "files-example.yaml")


def run(report: Callable[[str, dict[str, Any]], None], quick: bool = False) -> None:
    count = 20 if quick else 200
    with tempfile.TemporaryDirectory(prefix="iex-bench-validate-") as tmp:
        folder = Path(tmp)
        shutil.copytree(ROOT / "mappings", folder / "mappings")
        (folder / "recipes").mkdir()
        for index in range(count):
            source = ROOT / "recipes" / SHIPPED[index % len(SHIPPED)]
            text = source.read_text(encoding="utf-8")
            name = source.stem
            text = text.replace(f"name: {name}", f"name: {name}-{index:03d}", 1)
            (folder / "recipes" / f"{name}-{index:03d}.yaml").write_text(text, encoding="utf-8")
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "engine", "validate", "recipes"], cwd=folder,
                              capture_output=True, text=True, timeout=1800)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise AssertionError(f"the shipped recipes do not validate:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "engine", "validate", "recipes/woocommerce-economic-000.yaml"],
                       cwd=folder, capture_output=True, text=True, timeout=600)
        one = time.perf_counter() - started
    report("validate", {
        "recipes": count,
        "seconds": round(seconds, 2),
        "per_recipe_ms": round(seconds / count * 1000, 1),
        "woocommerce_recipe_alone_s": round(one, 2),
        "includes": "process start and loading iex (a CI step's cost)",
    })
