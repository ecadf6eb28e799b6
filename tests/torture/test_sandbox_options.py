"""The fault seed a torture or a tester passes reaches every sandbox (repeatable fault runs)."""

from __future__ import annotations

from engine.sandbox import build


def test_a_seeded_economic_sandbox_starts() -> None:
    app = build("economic", {"seed": 5, "fault_rate": 0.1})
    assert app.config.seed == 5


def test_a_seeded_woocommerce_sandbox_starts() -> None:
    app = build("woocommerce", {"seed": 5, "fault_rate": 0.1})
    assert app.config.seed == 5
