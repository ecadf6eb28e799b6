"""``iex validate``: every problem of instance files, recipes and mapping files, located.

    problems = validate([Path("iex.yaml")])        # sorted, each with file:line:col and JSON path
    problems = validate_as("recipe", Path("recipes/woo.yaml"))

An instance file pulls in its recipes and a recipe its mapping files, so validating ``iex.yaml``
checks everything the instance will run. See ``session`` for how a file's kind is told.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.validate.problems import Problem, sorted_unique
from engine.validate.session import FileKind, Session, expand

__all__ = ["CannotRun", "Problem", "default_targets", "validate", "validate_as"]


class CannotRun(Exception):
    """Validation could not start (a path does not exist, nothing to validate): exit code 2."""


def default_targets(cwd: Path) -> list[Path]:
    """Without paths: ``iex.yaml`` if present, else the ``recipes/`` and ``mappings/`` folders."""
    for name in ("iex.yaml", "iex.yml"):
        if (cwd / name).is_file():
            return [cwd / name]
    folders = [cwd / name for name in ("recipes", "mappings") if (cwd / name).is_dir()]
    if not folders:
        raise CannotRun(f"nothing to validate in {cwd}: no iex.yaml, recipes/ or mappings/ (name files or folders to check)")
    return folders


def validate(paths: Sequence[Path]) -> list[Problem]:
    """Check the files (folders are searched for YAML); all problems, sorted by file and line."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CannotRun(f"no such file or folder: {', '.join(missing)}")
    session = Session()
    for path, explicit in expand(list(paths)):
        session.file(path, explicit=explicit)
    return sorted_unique(session.problems)


def validate_as(kind: FileKind, path: Path) -> list[Problem]:
    """Check one file as the given kind (the loaders know what they are loading)."""
    if not path.is_file():
        raise CannotRun(f"no such file: {path}")
    session = Session()
    getattr(session, kind)(path)
    return sorted_unique(session.problems)
