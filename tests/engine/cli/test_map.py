"""`iex map`: a mapping on a sample record, printed exactly; errors located, exit 1."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import yaml
from click.testing import CliRunner

from engine.cli import cli

WOO = Path(__file__).parents[2] / "fixtures" / "mapping" / "woocommerce"
FIXTURES = WOO.parent


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["map", *args])
    return result.exit_code, result.stdout, result.stderr


def steps_file(tmp_path: Path) -> str:
    path = tmp_path / "steps.json"
    path.write_text('{"customer": {"customerNumber": 12}}')
    return str(path)


def test_prints_json_with_exact_decimals(tmp_path: Path) -> None:
    code, out, err = run(str(WOO / "invoice.yaml"), "--input", str(WOO / "order.json"),
                         "--steps", steps_file(tmp_path))
    assert code == 0, err
    assert '"unitNetPrice": 30.00' in out and '"listPrice": 39.90' in out
    parsed = json.loads(out, parse_float=Decimal)
    assert parsed["totals"]["net"] == Decimal("168.90")
    assert parsed["customer"]["customerNumber"] == 12


def test_prints_yaml(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("rate: 0.25\n")
    code, out, err = run(str(WOO / "invoice.yaml"), "--input", str(WOO / "order.json"),
                         "--steps", steps_file(tmp_path), "--settings", str(settings), "--format", "yaml")
    assert code == 0, err
    data = yaml.safe_load(out)
    assert data["lines"][1]["unitNetPrice"] == 19.95 and "unitNetPrice: 19.95" in out
    assert "net: 168.90" in out


def test_data_error_is_located_without_traceback(tmp_path: Path) -> None:
    code, out, err = run(str(WOO / "invoice.yaml"), "--input", str(WOO / "order.json"))
    assert code == 1
    assert "steps.customer is undefined" in err and "customer.customerNumber" in err
    assert "invoice.yaml" in err and "Traceback" not in err + out


def test_compile_problems_are_listed(tmp_path: Path) -> None:
    code, _, err = run(str(FIXTURES / "broken.yaml"), "--input", str(WOO / "order.json"))
    assert code == 1
    assert "8 problems" in err and "fields.lines.$feilds" in err and "Traceback" not in err


def test_bad_input_file_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "record.json"
    bad.write_text('{"id": 1,,}')
    code, _, err = run(str(WOO / "invoice.yaml"), "--input", str(bad))
    assert code == 1 and "invalid JSON" in err and "record.json:1:" in err
    code, _, err = run(str(WOO / "invoice.yaml"), "--input", str(tmp_path / "missing.json"))
    assert code == 1 and "cannot read" in err
