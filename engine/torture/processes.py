"""``iex`` as the user runs it: real processes, killed with SIGKILL when the torture says so.

Each process writes stdout and stderr to files in ``logs/`` of the instance folder, so the secret
scan can read every byte any process ever printed.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from engine.torture.instance import TortureInstance

EXIT_BUSY = 75   # engine.cli.run.EXIT_BUSY: another iex process holds the instance

_numbers = itertools.count(1)


@dataclass
class IexProcess:
    """One running ``iex`` command."""

    args: list[str]
    popen: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> bool:
        """SIGKILL, as a crash or the OOM killer would; True if it was still running."""
        if not self.running():
            return False
        os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait()
        return True

    def wait(self, timeout: float | None = None) -> int:
        return self.popen.wait(timeout=timeout)

    def output(self) -> str:
        return self.stdout.read_text(encoding="utf-8", errors="replace") + self.stderr.read_text(
            encoding="utf-8", errors="replace")


def start(instance: TortureInstance, *args: str) -> IexProcess:
    """``iex <args> -i <instance>`` in the background (``python -m engine``, the installed CLI)."""
    logs = instance.folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    number = next(_numbers)
    name = "-".join(a for a in args[:2] if not a.startswith("-")) or "iex"
    stdout, stderr = logs / f"{number:03d}-{name}.out", logs / f"{number:03d}-{name}.err"
    command = [sys.executable, "-m", "engine", *args, "-i", str(instance.path)]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        popen = subprocess.Popen(command, stdout=out, stderr=err, env={**instance.env(), "COLUMNS": "160"},
                                 cwd=instance.folder, start_new_session=True)
    return IexProcess(command, popen, stdout, stderr)


def run(instance: TortureInstance, *args: str, timeout: float = 900) -> IexProcess:
    """``iex <args>`` to its end."""
    process = start(instance, *args)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise RuntimeError(f"iex {' '.join(args)} did not finish within {timeout:.0f} s") from None
    return process


def sleep_until(deadline: float, process: IexProcess) -> None:
    """Sleep until ``deadline`` (monotonic) or until the process ends, whichever is first."""
    while time.monotonic() < deadline and process.running():
        time.sleep(0.02)
