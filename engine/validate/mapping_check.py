"""Mapping files and inline mappings: schema, every template, the mapping compiler's own
checks, and the files reached through ``$use``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from engine import schemas
from engine.validate import schema_check, templates
from engine.validate.problems import Problem, at
from engine.validate.session import file_problem
from engine.validate.templates import TemplateUse, is_full_body
from engine.yamlpos import Document, JsonPath, parse_path

if TYPE_CHECKING:
    from engine.validate.session import MappingInfo, Session


def check_mapping_file(session: Session, path: Path, doc: Document) -> MappingInfo:
    from engine.validate.session import MappingInfo

    schema_problems = schema_check.check(doc, schemas.load("mapping"))
    session.problems.extend(schema_problems)
    uses = check_body(session, doc, (), path.parent, schema_ok=not schema_problems)
    return MappingInfo(doc, uses)


def check_body(session: Session, doc: Document, body_path: JsonPath, base_dir: Path, *, schema_ok: bool) -> list[TemplateUse]:
    """Check the mapping body at ``body_path`` of ``doc``; return its templates and those of
    the mappings it uses (located in their own files)."""
    problems = session.problems
    uses, failed = templates.check_mapping_body(doc, body_path, problems)
    use_paths = _use_directives(doc, body_path)
    _compile(doc, body_path, base_dir, failed | set(use_paths), problems, schema_ok=schema_ok)
    for use_path in use_paths:
        target = base_dir / doc.get(use_path)
        problem = file_problem(target, doc.get(use_path), "mapping file")
        if problem is not None:
            problems.append(at(doc, use_path, problem))
            continue
        info = session.mapping(target)
        if info is not None:
            uses.extend(info.uses)
    return uses


def _use_directives(doc: Document, path: JsonPath) -> list[JsonPath]:
    value = doc.get(path)
    found: list[JsonPath] = []
    if isinstance(value, dict):
        for key, sub in value.items():
            if key == "$use" and isinstance(sub, str):
                found.append(path + (key,))
            else:
                found.extend(_use_directives(doc, path + (key,)))
    elif isinstance(value, list):
        for i in range(len(value)):
            found.extend(_use_directives(doc, path + (i,)))
    return found


def _compile(doc: Document, body_path: JsonPath, base_dir: Path, failed: set[JsonPath], problems: list[Problem], *, schema_ok: bool) -> None:
    """Run the mapping compiler for the checks only it knows (one of $each/$value/$use, var
    names taken by the context). What is already reported for the same part of the document
    (by the schema, the template walk or the $use check) is not repeated."""
    from engine.mapping import MappingError, compile_mapping

    body = doc.get(body_path)
    reported = _PathIndex([*failed, *(parse_path(p.path) for p in problems if p.file == doc.name)])
    try:
        compile_mapping(body, origin=doc.name, base_dir=base_dir)
    except MappingError as exc:
        inline_fields = isinstance(body, dict) and not is_full_body(body)
        for problem in exc.problems:
            inner = tuple(problem.path)
            if inline_fields and inner[:1] == ("fields",):
                inner = inner[1:]  # the compiler names the fields of a fields-only mapping "fields"
            path = body_path + inner
            if _related(path, reported):
                continue
            if isinstance(doc.get(path), str) and (problem.line, problem.col) != (1, 1):
                position = doc.text_position(path, problem.line, problem.col)
            else:
                position = doc.position(path, key=bool(inner))
            problems.append(at(doc, path, problem.message, position=position))
    except Exception:
        if schema_ok:
            raise
        # the schema problems already reported explain why the compiler could not read it


class _PathIndex:
    """Paths already reported, indexed so that asking about one more path costs its length,
    not the number of problems (a file with 200,000 unknown keys has as many)."""

    def __init__(self, paths: list[JsonPath]) -> None:
        self.paths = set(paths)
        self.prefixes = {path[:n] for path in paths for n in range(1, len(path) + 1)}


def _related(path: JsonPath, reported: _PathIndex) -> bool:
    """A reported path is ``path`` itself, lies below it or above it."""
    return path in reported.prefixes or any(path[:n] in reported.paths for n in range(1, len(path) + 1))
