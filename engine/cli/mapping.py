"""``iex map``: evaluate a mapping on a sample record and print the result, so a mapping author
sees exactly what an action would receive (Decimals printed exactly, never through float)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import yaml

from engine.errors import IexError
from engine.helpers.jsontext import dumps as json_dumps
from engine.mapping import MappingError, load_mapping
from engine.secrets import mask


@click.command("map")
@click.argument("mapping", type=click.Path(path_type=Path))
@click.option("--input", "input_path", required=True, type=click.Path(path_type=Path),
              help="JSON file with one source record (available as `record`).")
@click.option("--settings", "settings_path", type=click.Path(path_type=Path),
              help="YAML file with settings (available as `settings`).")
@click.option("--steps", "steps_path", type=click.Path(path_type=Path),
              help="JSON file with earlier steps' results by step name (available as `steps`).")
@click.option("--format", "output_format", type=click.Choice(["json", "yaml"]), default="json",
              show_default=True)
def map_command(mapping: Path, input_path: Path, settings_path: Path | None,
                steps_path: Path | None, output_format: str) -> None:
    """Evaluate MAPPING on a sample record and print the result."""
    try:
        compiled = load_mapping(mapping)
        record = _read_json(input_path, "--input")
        context = {
            "record": record,
            "settings": _read_settings(settings_path) if settings_path else {},
            "steps": _read_json(steps_path, "--steps") if steps_path else {},
            "key": _sample_key(record),
            "run": {"started": dt.datetime.now(dt.timezone.utc)},
        }
        result = compiled.evaluate(context)
    except MappingError as exc:
        click.echo(mask(str(exc)), err=True)
        raise SystemExit(1) from None
    except IexError as exc:
        click.echo(f"error: {mask(str(exc))}", err=True)
        click.echo(f"who acts: {exc.who}", err=True)
        raise SystemExit(1) from None
    click.echo(_render(result, output_format))


def _read_json(path: Path, option: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except OSError as exc:
        raise IexError(f"{option}: cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise IexError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None


def _read_settings(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IexError(f"--settings: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        pos = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise IexError(f"{path}{pos}: invalid YAML: {getattr(exc, 'problem', '') or exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise IexError(f"{path}: settings must be a YAML mapping of name: value")
    return _decimals(data)


def _decimals(value: Any) -> Any:
    """YAML floats in sample settings become Decimal (as written), like everywhere else."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


def _sample_key(record: Any) -> str:
    if isinstance(record, dict) and record.get("id") is not None:
        return str(record["id"])
    return "sample"


class _Dumper(yaml.SafeDumper):
    pass


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    text = format(value, "f")
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return dumper.represent_scalar(tag, text)


_Dumper.add_representer(Decimal, _represent_decimal)


def _render(result: Any, output_format: str) -> str:
    if output_format == "yaml":
        return yaml.dump(result, Dumper=_Dumper, sort_keys=False, allow_unicode=True).rstrip()
    return json_dumps(result, indent=2)
