"""`iex sandbox`: starts the (toy) connector's sandbox, prints its URL, stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading

import httpx
import pytest
from click.testing import CliRunner

import engine.cli.sandbox as cli_sandbox
from engine.cli import cli


def test_serves_until_ctrl_c_with_options_passed_through(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}
    real_serve = cli_sandbox.serve_forever

    def visit(url: str) -> None:
        with httpx.Client(base_url=url) as c:
            seen["orders"] = c.get("/orders").json()
            seen["faults"] = c.get("/_sandbox/faults").json()
            seen["state"] = c.get("/_sandbox/state").json()
        os.kill(os.getpid(), signal.SIGINT)

    def serve(app, host, port, *, on_ready):  # noqa: ANN001
        def ready(url: str) -> None:
            on_ready(url)
            threading.Thread(target=visit, args=(url,), daemon=True).start()

        real_serve(app, host, port, on_ready=ready)

    monkeypatch.setattr(cli_sandbox, "serve_forever", serve)
    result = CliRunner().invoke(cli, ["sandbox", "toy", "--orders", "2", "--fault-kinds", "500",
                                      "--seed", "9", "--extra-flag", "--start-at=5"])
    assert result.exit_code == 0, result.output
    url = result.stdout.splitlines()[0]
    assert url.startswith("http://127.0.0.1:")
    assert seen["orders"] == [{"id": 1}, {"id": 2}]
    assert seen["faults"]["kinds"] == ["500"] and seen["faults"]["seed"] == 9
    assert seen["state"]["options"] == {"orders": "2", "extra_flag": "True", "start_at": "5", "seed": "9"}


def test_list_names_connectors_with_a_sandbox() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "--list"])
    assert result.exit_code == 0 and result.stdout.split() == ["toy"]


def test_errors_say_what_is_wrong() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "nosuch"])
    assert result.exit_code != 0 and "unknown connector 'nosuch'" in result.output
    result = CliRunner().invoke(cli, ["sandbox", "toy", "--fault-kinds", "500,boom"])
    assert result.exit_code != 0 and "unknown fault kind(s) boom" in result.output
    result = CliRunner().invoke(cli, ["sandbox", "toy", "stray"])
    assert result.exit_code != 0 and "unexpected argument 'stray'" in result.output


def test_connector_options_parsing() -> None:
    assert cli_sandbox.connector_options(["--orders", "DIR", "--dry", "--generate=5", "--offset", "-5"]) == {
        "orders": "DIR", "dry": True, "generate": "5", "offset": "-5"}
