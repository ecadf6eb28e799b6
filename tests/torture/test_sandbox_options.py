"""The fault seed a torture or a tester passes reaches every sandbox (repeatable fault runs)."""

from __future__ import annotations

import pytest

from engine.sandbox import build


@pytest.mark.xfail(strict=True, reason=(
    "engine/sandbox/__init__.py build() (commit 6ea41b7) passes `seed` on to the connector's "
    "create_app, and connectors/economic/sandbox/options.py SandboxOptions.from_dict refuses unknown "
    "options, so `iex sandbox economic --seed 5` (and build('economic', {'seed': 5})) fails with "
    "\"unknown economic sandbox option(s) ['seed']\". Let the e-conomic sandbox accept (ignore) "
    "seed, or pass it only to sandboxes that take it."))
def test_a_seeded_economic_sandbox_starts() -> None:
    app = build("economic", {"seed": 5, "fault_rate": 0.1})
    assert app.config.seed == 5


def test_a_seeded_woocommerce_sandbox_starts() -> None:
    app = build("woocommerce", {"seed": 5, "fault_rate": 0.1})
    assert app.config.seed == 5
