"""Payout report formats: one declarative file per acquirer, loaded into a ``FormatSpec``.

A format says which source columns (CSV) or JMESPath expressions (JSON) fill PayMatch's
canonical line fields, how numbers, signs and dates are written, how the acquirer's types map
to PayMatch types, and which columns make a line's identity. Adding an acquirer is adding a
file; ``load_format`` validates it against ``format.schema.json`` with file:line:col errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jmespath
from jsonschema import Draft202012Validator

from engine import yamlpos
from engine.errors import ConfigError, Location

HERE = Path(__file__).parent
CANONICAL_TYPES = ("charge", "refund", "chargeback", "chargeback_reversal", "fee", "payout", "adjustment")
MONEY_FIELDS = ("amount", "fee", "net", "original_amount")
TEXT_FIELDS = ("line_id", "payout_id", "payout_date", "type", "currency", "date", "transaction_id",
               "order_ref", "original_currency")
REQUIRED_FIELDS = ("type", "date")


@dataclass(frozen=True)
class FieldSource:
    """Where one canonical field comes from. ``kind``: ref | first | sum | debit_credit |
    negate | value. ``refs`` are column names (CSV) or JMESPath texts (JSON)."""

    kind: str
    refs: tuple[str, ...] = ()
    value: Any = None


@dataclass(frozen=True)
class Group:
    """JSON only: one list of lines in the document and the fields that differ for it."""

    each: str
    fields: dict[str, FieldSource]
    identity: tuple[str, ...]


@dataclass(frozen=True)
class FormatSpec:
    name: str
    title: str
    file: str
    kind: str                                   # csv | json
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    decimal: str = "."
    thousands: str = ""
    units: str = "major"                        # major | minor (then divided by the currency exponent)
    sign: str = "signed"                        # signed | debit_credit | by_type
    negative_types: frozenset[str] = frozenset({"refund", "chargeback", "fee", "payout"})
    fee_sign: str = "cost_positive"
    date_format: str = "iso"
    namespace: str = ""
    identity: tuple[str, ...] = ()
    fields: dict[str, FieldSource] = field(default_factory=dict)
    types: dict[str, tuple[str, str]] = field(default_factory=dict)   # lower(acquirer type) -> (if >= 0, if < 0)
    groups: tuple[Group, ...] = ()
    document: dict[str, FieldSource] = field(default_factory=dict)

    def columns(self) -> set[str]:
        """Every source column a CSV format reads (for the header check)."""
        names = set(self.identity)
        for source in self.fields.values():
            names.update(source.refs)
        return names


def builtin_names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.yaml"))


def load_format(name_or_path: str | Path) -> FormatSpec:
    """A built-in format by name (``stripe_itemized``) or a technician's spec file by path."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml", ".json"):
        path = HERE / f"{name_or_path}.yaml"
        if not path.is_file():
            raise ConfigError(
                f"unknown payout report format {str(name_or_path)!r} (built in: {', '.join(builtin_names())}; "
                "or give the path of a format file)")
    return _load(str(path))


@cache
def _load(path: str) -> FormatSpec:
    if not Path(path).is_file():
        raise ConfigError(f"format file {path} does not exist")
    doc = yamlpos.load(Path(path))
    _check_schema(doc)
    return _build(doc)


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads((HERE / "format.schema.json").read_text()))


def _check_schema(doc: yamlpos.Document) -> None:
    errors = sorted(_validator().iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        error = errors[0]
        path = tuple(error.absolute_path)
        line, col = doc.position(path)
        raise ConfigError(f"{error.message} (at {yamlpos.format_path(path)})",
                          location=Location(file=doc.name, line=line, col=col))


def _build(doc: yamlpos.Document) -> FormatSpec:
    data = doc.data
    source, numbers = data["source"], data.get("numbers", {})
    kind = source["kind"]

    def fail(message: str, path: tuple[Any, ...]) -> ConfigError:
        line, col = doc.position(path)
        return ConfigError(message, location=Location(file=doc.name, line=line, col=col))

    fields = {name: _field(spec) for name, spec in data["fields"].items()}
    groups = tuple(
        Group(each=g["each"], fields={**fields, **{n: _field(s) for n, s in g.get("fields", {}).items()}},
              identity=tuple(g.get("identity", ())))
        for g in source.get("groups", ())
    )
    if kind == "json" and not groups:
        raise fail("a json format needs source.groups (where its lines are)", ("source",))
    if kind == "csv" and (groups or "document" in source):
        raise fail("source.groups and source.document are for json formats", ("source",))
    identity = data.get("identity", {})
    ident_fields = tuple(identity.get("fields", ()))
    if not ident_fields and "line_id" not in fields:
        raise fail("declare identity.fields (or fields.line_id): a line's identity keeps re-runs from posting twice",
                   ("identity",))
    sign = numbers.get("sign", "signed")
    for line_fields in [g.fields for g in groups] or [fields]:
        for name in REQUIRED_FIELDS:
            if name not in line_fields:
                raise fail(f"fields.{name} is required", ("fields",))
        if "amount" not in line_fields and "net" not in line_fields:
            raise fail("fields.amount or fields.net is required", ("fields",))
    for name, source_field in fields.items():
        if source_field.kind == "debit_credit" and sign != "debit_credit":
            raise fail(f"fields.{name} uses debit/credit columns; set numbers.sign: debit_credit", ("fields", name))
        if source_field.kind == "sum" and name not in MONEY_FIELDS:
            raise fail(f"fields.{name}: sum is for money fields only", ("fields", name))
    if kind == "json":
        for where, text in _json_refs(fields, groups, source.get("document", {})):
            try:
                jmespath.compile(text)
            except jmespath.exceptions.JMESPathError as exc:
                raise fail(f"{text!r} is not a JMESPath expression: {exc}", where) from None
    types: dict[str, tuple[str, str]] = {}
    for acquirer_type, target in data["types"].items():
        pair = (target, target) if isinstance(target, str) else (target["positive"], target["negative"])
        types[str(acquirer_type).strip().lower()] = pair
    return FormatSpec(
        name=data["name"], title=data.get("title", data["name"]), file=doc.name, kind=kind,
        delimiter=source.get("delimiter", ","), encoding=source.get("encoding", "utf-8-sig"),
        decimal=numbers.get("decimal", "."), thousands=numbers.get("thousands", ""),
        units=numbers.get("units", "major"), sign=sign,
        negative_types=frozenset(numbers.get("negative_types", ("refund", "chargeback", "fee", "payout"))),
        fee_sign=numbers.get("fee_sign", "cost_positive"), date_format=data.get("date_format", "iso"),
        namespace=identity.get("namespace", data["name"]), identity=ident_fields,
        fields=fields, types=types, groups=groups,
        document={n: _field(s) for n, s in source.get("document", {}).items()},
    )


def _field(spec: Any) -> FieldSource:
    if isinstance(spec, str):
        return FieldSource("ref", (spec,))
    if "first" in spec:
        return FieldSource("first", tuple(spec["first"]))
    if "sum" in spec:
        return FieldSource("sum", tuple(spec["sum"]))
    if "debit" in spec:
        return FieldSource("debit_credit", (spec["debit"], spec["credit"]))
    if "negate" in spec:
        return FieldSource("negate", (spec["negate"],))
    return FieldSource("value", (), None if spec["value"] is None else str(spec["value"]))


def _json_refs(fields: dict[str, FieldSource], groups: tuple[Group, ...],
               document: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    found = [(("fields", n), r) for n, f in fields.items() for r in f.refs]
    for i, g in enumerate(groups):
        found.append((("source", "groups", i, "each"), g.each))
        found += [(("source", "groups", i, "fields", n), r) for n, f in g.fields.items() for r in f.refs]
        found += [(("source", "groups", i, "identity"), r) for r in g.identity]
    found += [(("source", "document", n), r) for n, s in document.items() for r in _field(s).refs]
    return found
