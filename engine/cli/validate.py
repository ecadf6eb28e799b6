"""``iex validate`` and ``iex schema``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: file:line:col lines; json: {valid, problems} for tools.")
def validate(paths: tuple[Path, ...], output: str) -> None:
    """Check instance files, recipes and mapping files; every problem with file:line:col.

    Without PATHS: iex.yaml if present, else recipes/ and mappings/. Exit 0 valid, 1 invalid,
    2 could not run.
    """
    from engine.validate import CannotRun, default_targets
    from engine.validate import validate as run_validation

    try:
        targets = list(paths) or default_targets(Path.cwd())
        problems = run_validation(targets)
    except CannotRun as exc:
        _fail(str(exc), output)
    except Exception as exc:  # noqa: BLE001 - never a traceback
        _fail(f"validation could not run: {type(exc).__name__}: {exc}", output)
    errors = [p for p in problems if p.severity == "error"]
    if output == "json":
        click.echo(json.dumps({"valid": not errors, "problems": [p.to_dict() for p in problems]}, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        warnings = len(problems) - len(errors)
        if errors:
            click.echo(f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
                       + (f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""), err=True)
        else:
            click.echo("valid" + (f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""), err=True)
    sys.exit(1 if errors else 0)


def _fail(message: str, output: str) -> None:
    if output == "json":
        click.echo(json.dumps({"valid": False, "error": message, "problems": []}, indent=2))
    else:
        click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write instance/recipe/mapping.schema.json into.")
def schema(out: Path) -> None:
    """Write the JSON Schemas for editors (yaml-language-server) and CI.

    Put `# yaml-language-server: $schema=<out>/recipe.schema.json` on the first line of a
    recipe (instance.schema.json for iex.yaml, mapping.schema.json for mapping files).
    """
    from engine import schemas

    out.mkdir(parents=True, exist_ok=True)
    for kind in schemas.KINDS:
        target = out / f"{kind}.schema.json"
        target.write_text(json.dumps(schemas.load(kind), indent=2) + "\n", encoding="utf-8")
        click.echo(str(target))
