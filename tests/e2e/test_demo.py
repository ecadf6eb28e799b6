"""``make demo`` end to end (with fewer orders): sandboxes, instance file, two runs, the summary."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from engine.demo import run_shop_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = io.StringIO()
    result = run_shop_demo(tmp_path_factory.mktemp("demo") / "demo", Console(file=out, width=200), orders=60,
                           seed=7, progress=False)
    return result, out.getvalue()


def test_the_demo_books_the_orders_and_explains_every_dead_letter(demo):
    result, text = demo
    assert result.ok
    assert result.facts["invoices booked"] >= 45 and result.facts["customers created"] > 30
    assert result.facts["products created"] >= 14
    assert result.facts["EAN invoices sent through NemHandel"] >= 1
    assert result.dead_letters and result.unexplained == []
    assert "every dead letter is an order the generator broke on purpose" in text
    assert "missing-sku" in text and "lines[0].product" in text


def test_the_second_run_sends_nothing(demo):
    result, text = demo
    assert result.second_run_writes == 0
    assert all(sum(c.done.values()) == 0 for c in result.second.flows.values())
    assert "second run: 0 documents sent, 0 writing calls (only reads)" in text


def test_the_instance_file_holds_references_not_credentials(demo):
    result, _ = demo
    text = (result.folder / "iex.yaml").read_text(encoding="utf-8")
    assert "${env:IEX_DEMO_WOO_KEY}" in text and "${env:IEX_DEMO_ECONOMIC_GRANT}" in text
    import os

    for name in ("IEX_DEMO_WOO_KEY", "IEX_DEMO_WOO_SECRET", "IEX_DEMO_ECONOMIC_APP_SECRET", "IEX_DEMO_ECONOMIC_GRANT"):
        assert os.environ[name] not in text
    assert (result.folder / "state.sqlite").exists()


def test_the_shop_is_built_like_iex_sandbox_builds_it(monkeypatch):
    import engine.sandbox
    from engine.demo import _start_sandboxes

    built: list[tuple[str, dict]] = []
    real = engine.sandbox.build

    def recording(name, options=None):
        built.append((name, dict(options or {})))
        return real(name, options)

    monkeypatch.setattr(engine.sandbox, "build", recording)
    shop, economic, tokens = _start_sandboxes(3, 11)
    try:
        import httpx

        orders = httpx.get(f"{shop.url.rstrip('/')}/wp-json/wc/v3/orders", params={"per_page": 100},
                           auth=(tokens["IEX_DEMO_WOO_KEY"], tokens["IEX_DEMO_WOO_SECRET"])).json()
    finally:
        shop.stop()
        economic.stop()
    [(_, options)] = [b for b in built if b[0] == "woocommerce"]
    assert (options["generate"], options["seed"]) == (3, 11)
    assert len(orders) == 3
