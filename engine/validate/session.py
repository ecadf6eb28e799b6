"""One validation run: which files, what kind each is, each checked once.

Kind rule (documented in the report to the lead): a YAML mapping with ``integrations`` is an
instance file, with ``flows`` a recipe, with ``fields`` a mapping file. Failing that, the name
decides: ``iex.yaml``/``iex.yml`` is an instance file, a file below a ``recipes`` folder a
recipe, below a ``mappings`` folder a mapping file. Files reached by reference have the kind of
the reference (instance -> recipe -> mapping -> ``$use`` mapping).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine import yamlpos
from engine.validate.problems import Problem
from engine.yamlpos import Document

FileKind = Literal["instance", "recipe", "mapping"]
YAML_SUFFIXES = (".yaml", ".yml")


def display_name(path: Path) -> str:
    """Paths below the working directory are shown relative to it, others absolute."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(resolved)


def file_problem(target: Path, reference: str, what: str) -> str | None:
    """Why a file a document refers to (``what``: "mapping file", "recipe file") cannot be
    used, or None when it is a file. A reference that cannot be a file name at all (a long text,
    a NUL character) is a problem to report, not a crash of the check."""
    shown = reference if len(reference) <= 80 else reference[:80] + "..."
    try:
        if target.is_file():
            return None
        return f"{what} {shown} not found (looked for {target.resolve()})"
    except OSError as exc:
        return f"{what} {shown} cannot be read: {exc.strerror or type(exc).__name__}"
    except ValueError as exc:
        return f"{what} {shown} cannot be read: {exc}"


def detect_kind(path: Path, data: Any) -> FileKind | None:
    if isinstance(data, dict):
        for key, kind in (("integrations", "instance"), ("flows", "recipe"), ("fields", "mapping")):
            if key in data:
                return kind  # type: ignore[return-value]
    if path.name in ("iex.yaml", "iex.yml"):
        return "instance"
    parts = path.resolve().parts[:-1]
    if "recipes" in parts:
        return "recipe"
    if "mappings" in parts:
        return "mapping"
    return None


@dataclass
class MappingInfo:
    """A checked mapping file: its templates (with those of files it ``$use``s)."""

    doc: Document
    uses: list = field(default_factory=list)


@dataclass
class RecipeInfo:
    """What an instance check needs to know of a checked recipe."""

    doc: Document
    settings_decl: Any
    connections: dict[str, Any]   # connection name -> connector class, or None if unknown


class Session:
    """Collects problems and remembers what has been checked, so a recipe shared by two
    integrations or a mapping used by three steps is read and reported once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._docs: dict[Path, Document | None] = {}
        self._mappings: dict[Path, MappingInfo | None] = {}
        self._recipes: dict[Path, RecipeInfo | None] = {}
        self._instances: set[Path] = set()

    def document(self, path: Path) -> Document | None:
        key = path.resolve()
        if key not in self._docs:
            name = display_name(path)
            try:
                self._docs[key] = yamlpos.load(key, name=name)
            except yamlpos.YamlError as exc:
                self._docs[key] = None
                for issue in exc.issues:
                    self.problems.append(Problem(name, issue.line, issue.col, yamlpos.format_path(issue.path), issue.message))
        return self._docs[key]

    def file(self, path: Path, *, explicit: bool) -> None:
        """Check one file given on the command line (or found in a folder)."""
        doc = self.document(path)
        if doc is None:
            return
        kind = detect_kind(path, doc.data)
        if kind is None:
            if explicit:
                self.problems.append(Problem(doc.name, 1, 1, "$", "cannot tell what kind of iex file this is: "
                                             "an instance file has 'integrations', a recipe 'flows', a mapping file 'fields'"))
            return
        getattr(self, kind)(path)

    def instance(self, path: Path) -> None:
        from engine.validate.instance_check import check_instance

        key = path.resolve()
        if key in self._instances:
            return
        self._instances.add(key)
        doc = self.document(path)
        if doc is not None:
            self.guard(doc, lambda: check_instance(self, key, doc))

    def recipe(self, path: Path) -> RecipeInfo | None:
        from engine.validate.recipe_check import check_recipe

        key = path.resolve()
        if key not in self._recipes:
            self._recipes[key] = None
            doc = self.document(path)
            if doc is not None:
                self._recipes[key] = self.guard(doc, lambda: check_recipe(self, key, doc))
        return self._recipes[key]

    def mapping(self, path: Path) -> MappingInfo | None:
        from engine.validate.mapping_check import check_mapping_file

        key = path.resolve()
        if key not in self._mappings:
            self._mappings[key] = None  # a $use cycle meets None and stops
            doc = self.document(path)
            if doc is not None:
                self._mappings[key] = self.guard(doc, lambda: check_mapping_file(self, key, doc))
        return self._mappings[key]

    def guard(self, doc: Document, check: Any) -> Any:
        """Run a check; a bug in a check becomes one problem, never a traceback."""
        try:
            return check()
        except RecursionError:
            self.problems.append(Problem(doc.name, 1, 1, "$", "the file nests too deeply to check"))
        except Exception as exc:  # noqa: BLE001 - validation must always answer
            self.problems.append(Problem(doc.name, 1, 1, "$", f"internal error while checking this file ({type(exc).__name__}); please report it"))
        return None


def expand(paths: list[Path]) -> list[tuple[Path, bool]]:
    """Files to check: named files as given (explicit), folders walked for YAML (hidden
    folders skipped)."""
    out: list[tuple[Path, bool]] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out.extend((Path(root) / f, False) for f in sorted(files) if f.endswith(YAML_SUFFIXES))
        else:
            out.append((path, True))
    return out
