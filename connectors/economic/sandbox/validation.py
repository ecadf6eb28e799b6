"""Apply the rule tables of ``rules.py`` to a request document.

Each ``check_*`` function adds to a ``ValidationErrors`` and normalises what it checked in place:
references given by ``self`` link become ``{"<id>": value}``, numbers become Decimal. The caller
raises once at the end, so one answer lists every problem (as e-conomic does).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from connectors.economic.sandbox.errors import Path, ValidationErrors, list_hint
from connectors.economic.sandbox.links import id_from_self
from connectors.economic.sandbox.rules import (
    CODES, DATES, KNOWN, MAX_LENGTH, MIN_LENGTH, NUMBERS, OBJECTS, REFERENCES, REFS, REQUIRED, TWO_DECIMALS,
)
from connectors.economic.sandbox.table import get_path

Doc = dict[str, Any]
_HINT_FORMAT = "Please check the format of your data."


def add(errs: ValidationErrors, path: Path, code: str, value: Any = None, hint: str = "", **fmt: Any) -> None:
    field = str(path[-1]) if not isinstance(path[-1], int) else f"{path[-2]}[{path[-1]}]"
    errs.add(path, code, CODES[code].format(field=field, value=value, **fmt), value, hint)


def _set_path(doc: Doc, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        doc = doc[part]
    doc[parts[-1]] = value


def _path(prefix: Path, dotted: str) -> Path:
    return (*prefix, *dotted.split("."))


def check_required(doc: Doc, kind: str, errs: ValidationErrors, prefix: Path = ()) -> None:
    for dotted in REQUIRED.get(kind, []):
        parent = dotted.rsplit(".", 1)[0] if "." in dotted else None
        if parent and not isinstance(get_path(doc, parent), dict):
            continue  # the parent object is missing: reported once, on the parent
        value = get_path(doc, dotted)
        if value is None or (isinstance(value, str) and not value.strip() and kind != "product"):
            add(errs, _path(prefix, dotted), "E04300")


def check_lengths(doc: Doc, kind: str, errs: ValidationErrors, prefix: Path = ()) -> None:
    for dotted, limit in MAX_LENGTH.get(kind, {}).items():
        value = get_path(doc, dotted)
        if value is None:
            continue
        if not isinstance(value, str):
            add(errs, _path(prefix, dotted), "E04320", value, _HINT_FORMAT, expected="a string")
        elif len(value) > limit:
            add(errs, _path(prefix, dotted), "E04310", value, _HINT_FORMAT, limit=limit)
    for dotted, limit in MIN_LENGTH.get(kind, {}).items():
        value = get_path(doc, dotted)
        if isinstance(value, str) and len(value) < limit:
            add(errs, _path(prefix, dotted), "E04315", value, _HINT_FORMAT, limit=limit)


def check_numbers(doc: Doc, kind: str, errs: ValidationErrors, prefix: Path = ()) -> None:
    for field in NUMBERS.get(kind, []):
        value = doc.get(field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            add(errs, (*prefix, field), "E04320", value, _HINT_FORMAT, expected="a number")
            continue
        number = Decimal(value)
        # e-conomic answers amounts with (at least) two decimals: 100 -> 100.00
        doc[field] = number.quantize(Decimal("0.01")) if number.as_tuple().exponent > -2 else number
    for field in TWO_DECIMALS.get(kind, []):
        value = doc.get(field)
        if isinstance(value, Decimal) and value != value.quantize(Decimal("0.01")):
            add(errs, (*prefix, field), "E04740", value, _HINT_FORMAT)


def check_dates(doc: Doc, kind: str, errs: ValidationErrors, prefix: Path = ()) -> None:
    for dotted in DATES.get(kind, []):
        value = get_path(doc, dotted)
        if value is None:
            continue
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            dt.date.fromisoformat(value)
        except ValueError:
            add(errs, _path(prefix, dotted), "E04320", value, _HINT_FORMAT, expected="a date (YYYY-MM-DD)")


def check_references(store: Any, doc: Doc, kind: str, errs: ValidationErrors, prefix: Path = ()) -> None:
    for dotted, ref_kind in REFERENCES.get(kind, {}).items():
        value = get_path(doc, dotted)
        if value is None:
            continue
        found = resolve(store, ref_kind, value, errs, _path(prefix, dotted))
        if found is not None:
            _set_path(doc, dotted, found)


def resolve(store: Any, ref_kind: str, value: Any, errs: ValidationErrors, path: Path) -> Any:
    """The normalised reference (``{"customerNumber": 5}`` or ``"DKK"``) or None after adding
    the error (E04500 no identifier, E06000 does not exist)."""
    ref = REFS[ref_kind]
    resource = ref.prefix.strip("/")
    table = getattr(store, ref.table)
    if ref.id_field is None:
        if not isinstance(value, str):
            add(errs, path, "E04320", value, _HINT_FORMAT, expected="a string")
            return None
        key = value.upper()
        if key not in table:
            add(errs, path, "E06000", value, list_hint(resource))
            return None
        return key
    if not isinstance(value, dict):
        add(errs, path, "E04320", value, _HINT_FORMAT, expected="an object")
        return None
    key = value.get(ref.id_field)
    if key is None and isinstance(value.get("self"), str):
        key = id_from_self(value["self"], ref.prefix)
    if key is None:
        add(errs, path, "E04500", None, list_hint(resource), id_field=ref.id_field)
        return None
    try:
        key = ref.id_type(key) if not isinstance(key, bool) else None
    except (TypeError, ValueError):
        key = None
    if key is None or key not in table:
        add(errs, path, "E06000", value.get(ref.id_field, value.get("self")), list_hint(resource))
        return None
    normalised = {k: v for k, v in value.items() if k != "self"}
    normalised[ref.id_field] = key
    return normalised


def known_only(doc: Doc, kind: str) -> Doc:
    """The document without properties e-conomic does not know (they are ignored, not stored)."""
    known = KNOWN.get(kind)
    return doc if known is None else {k: v for k, v in doc.items() if k in known}


def check_objects(doc: Doc, kind: str, errs: ValidationErrors, prefix: Path = ()) -> None:
    for name in OBJECTS.get(kind, []):
        if name in doc and not isinstance(doc[name], dict):
            add(errs, (*prefix, name), "E04320", doc[name], _HINT_FORMAT, expected="an object")
            del doc[name]


def check_document(store: Any, doc: Doc, kind: str, errs: ValidationErrors, prefix: Path = ()) -> None:
    """Object shapes, required, lengths, numbers, dates and references of one document (or line/entry)."""
    check_objects(doc, kind, errs, prefix)
    check_required(doc, kind, errs, prefix)
    check_lengths(doc, kind, errs, prefix)
    check_numbers(doc, kind, errs, prefix)
    check_dates(doc, kind, errs, prefix)
    check_references(store, doc, kind, errs, prefix)
