"""Mapping files: compile once (collecting every problem), evaluate per record.

A mapping turns the context (``record``, ``settings``, ``steps``, ``key``, ``run``) into the
input of an action. Keys starting with ``$`` are directives (docs/ARCHITECTURE.md, "Mapping
file"):

* ``$each`` (JMESPath) + ``$as`` (default ``item``) + ``$fields``: one entry per selected item,
  with ``loop`` (index0, index, first, last, length); a missing list (null) gives ``[]``;
* ``$when``: the field (or list item) is left out when the condition is false;
* ``$value`` + ``$default``: the default is used when the value is None or the last name in the
  value is missing (``record.meta.ean`` without ``ean``);
* ``$use`` (a mapping file, relative to this one) + ``$with`` (extra names): the other file's
  fields; it sees the top-level context plus the ``$with`` names, not this file's vars. Target
  fields next to ``$use`` are added to (and override) the used fields.
* top-level ``vars``: evaluated in order, each sees the ones before it; readable by name
  (``zone``) and as ``vars.zone``.

A document with a top-level ``iex``, ``vars`` or ``fields`` key is a full mapping file; any
other dict (an inline mapping in a recipe) is the ``fields`` themselves.

    compile_mapping(doc, origin=..., base_dir=...) -> Mapping   # MappingError lists all problems
    load_mapping(path) -> Mapping
    Mapping.evaluate(context) -> dict   # JSON-able, Decimal for money; DataError with field path
    Mapping.references() -> set[str]
"""

from engine.mapping.compiler import DIRECTIVES, RESERVED_NAMES, compile_mapping, load_mapping
from engine.mapping.errors import MappingError, MappingProblem
from engine.mapping.nodes import Mapping

__all__ = [
    "DIRECTIVES",
    "RESERVED_NAMES",
    "Mapping",
    "MappingError",
    "MappingProblem",
    "compile_mapping",
    "load_mapping",
]
