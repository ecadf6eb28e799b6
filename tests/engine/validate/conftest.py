"""Fixtures for validation tests: the fake connectors installed in the registry, a copy of the
good fixture project as the working directory, and a CLI runner."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "validate"


def _fakes():
    spec = importlib.util.spec_from_file_location("validate_fakes", FIXTURES / "fakes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def fake_connectors(monkeypatch):
    _fakes().install(monkeypatch)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """The good fixture project (iex.yaml, recipes/, mappings/) copied and made the cwd."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "good", root)
    monkeypatch.chdir(root)
    for name in ("SHOP_KEY", "LEDGER_APP", "LEDGER_GRANT"):
        monkeypatch.setenv(name, f"value-of-{name.lower()}")
    return root


class Result:
    def __init__(self, exit_code: int, out: str, err: str) -> None:
        self.exit_code, self.out, self.err = exit_code, out, err
        self.lines = [line for line in out.splitlines() if line]


@pytest.fixture
def iex():
    """Run `iex ...` in-process (so the fake connectors are seen); never raises."""
    from engine.cli import cli

    def run(*args: str) -> Result:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=True)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
        return Result(result.exit_code, result.stdout, result.stderr)

    return run
