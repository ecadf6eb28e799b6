"""Peak memory of a benchmark's child process, read where it cannot be inflated by the parent.

``ru_maxrss`` of a child (``wait4``, or ``RUSAGE_SELF`` inside it) keeps the high-water mark of
the memory it was forked with: a backfill started from a bench process that already holds 150 MB
reports 150 MB whatever it used. ``VmHWM`` in /proc/self/status is the peak of the process's own
memory since its program started, so children measure themselves with it.

    python -m bench.peak OUT_FILE MODULE [ARGS...]   # run MODULE as __main__, write its peak (MB)
"""

from __future__ import annotations

import atexit
import runpy
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc/self/status (peak memory is measured on Linux only)")


def main(argv: list[str]) -> None:
    out, module, *args = argv
    atexit.register(lambda: Path(out).write_text(str(peak_rss_mb())))
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
