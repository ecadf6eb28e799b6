"""Fixtures the engine's loader tests share (``test_instance``, ``test_recipe``): the small fake
connectors of ``tests/fixtures/validate/fakes.py`` and a copy of the good fixture project.

Neither is autouse: a test module asks for them (``pytestmark = pytest.mark.usefixtures(...)``
or by argument), so the other engine tests keep the installed connectors."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

VALIDATE_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "validate"

#: the environment secrets the good project's iex.yaml references
PROJECT_SECRETS = {"SHOP_KEY": "ck_shop_key_value", "LEDGER_APP": "app-secret-token-value",
                   "LEDGER_GRANT": "grant-token-value"}


@pytest.fixture
def fake_connectors(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry finds exactly the fake shop and ledger connectors."""
    spec = importlib.util.spec_from_file_location("validate_fakes", VALIDATE_FIXTURES / "fakes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.install(monkeypatch)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_connectors: None) -> Path:
    """The good fixture project (iex.yaml, recipes/, mappings/, secrets/) copied, its environment
    secrets set, and the working directory elsewhere: relative paths must follow the file that
    names them, never the cwd."""
    root = tmp_path / "project"
    shutil.copytree(VALIDATE_FIXTURES / "good", root)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for name, value in PROJECT_SECRETS.items():
        monkeypatch.setenv(name, value)
    return root
