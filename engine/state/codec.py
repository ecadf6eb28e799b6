"""JSON for the state store: exact Decimals, canonical order, secrets masked.

The standard ``json`` module cannot write a ``Decimal`` as a number, and writing it as a string
would turn ``netAmount`` into text when a stored result is reused as ``steps.<name>``. So this
module writes JSON itself: Decimals as their exact number text (``10.50`` stays ``10.50``), keys
sorted, no whitespace. Reading uses ``parse_float=Decimal``, so a value round-trips exactly (an
integral Decimal such as ``10`` comes back as the int ``10``, the same number).

The same canonical text, unmasked, is what ``payload_hash`` hashes: two payloads with the same
values hash the same whatever their key order or the Decimal's trailing zeros.
"""

from __future__ import annotations

import hashlib
import re
import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from engine.secrets import Secret, mask


def dumps(value: Any, *, masked: bool = True, sort_keys: bool = True) -> str:
    """Canonical JSON text of ``value``; every string (and key) passes through ``mask``.
    ``sort_keys=False`` keeps the dict order (for files people read)."""
    parts: list[str] = []
    _write(value, parts, masked=masked, normalize=False, sort_keys=sort_keys)
    return "".join(parts)


def loads(text: str | None) -> Any:
    """Parse stored JSON with numbers as Decimal (fractions) or int."""
    if text is None:
        return None
    return json.loads(text, parse_float=Decimal)


def payload_hash(value: Any) -> str:
    """sha256 of the canonical JSON of ``value`` with Decimals normalised (``1.50`` == ``1.5``),
    so a change of formatting in the source is not mistaken for a change of content."""
    parts: list[str] = []
    _write(value, parts, masked=False, normalize=True)
    return hashlib.sha256("".join(parts).encode("utf-8")).hexdigest()  # lone surrogates are escaped


_SURROGATE = re.compile("[\ud800-\udfff]")


def _string(text: str, masked: bool) -> str:
    """A JSON string; a lone surrogate (valid JSON ``"\\ud800"``, not valid UTF-8) is written
    as its escape, so the text can always be stored and written as UTF-8."""
    if masked:
        text = mask(text)
    return json.dumps(text, ensure_ascii=_SURROGATE.search(text) is not None)


def _write(value: Any, out: list[str], *, masked: bool, normalize: bool, sort_keys: bool = True) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value, masked))
    elif isinstance(value, Decimal):
        out.append(_decimal(value, normalize))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        raise TypeError("a float reached the state store; money and quantities must be Decimal")
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=str) if sort_keys else value):
            if i:
                out.append(",")
            out.append(_string(str(key), masked))
            out.append(":")
            _write(value[key], out, masked=masked, normalize=normalize, sort_keys=sort_keys)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, masked=masked, normalize=normalize, sort_keys=sort_keys)
        out.append("]")
    elif isinstance(value, (datetime, date, time)):
        out.append(_string(value.isoformat(), masked))
    elif isinstance(value, Secret):
        out.append(_string(str(value), masked=False))
    else:
        raise TypeError(f"cannot store a value of type {type(value).__name__} as JSON")


def _decimal(value: Decimal, normalize: bool) -> str:
    if not value.is_finite():
        raise ValueError(f"cannot store the non-finite number {value}")
    if normalize:
        if value.is_zero():
            return "0"  # -0, 0.00 and 0E-7 are all zero
        value = _strip_zeros(value)
        if abs(value.adjusted()) > _FULL_DIGITS:
            return str(value)  # 1E+99999999999: exponent form, never a string of that many zeros
        text = format(value, "f")
    else:
        text = str(value)  # exact, and valid JSON number text (no leading "+", no bare exponent)
    return text


_FULL_DIGITS = 999_999  # the default context's Emax: numbers up to it hash as they always did


def _strip_zeros(value: Decimal) -> Decimal:
    """``value`` without trailing zeros, exactly: ``Decimal.normalize`` would round to the
    context's 28 digits and overflow beyond its exponent range."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, checked by the caller
    kept = len(digits)
    while kept > 1 and digits[kept - 1] == 0:
        kept -= 1
    return Decimal((sign, digits[:kept], exponent + len(digits) - kept))


_NUMBER = re.compile(r'"\\u0000(-?[0-9][0-9.eE+-]*)\\u0000"')


def pretty(value: Any) -> str:
    """Indented JSON for people (plans, dead letters): exact Decimals, secrets masked, the
    dict order kept."""
    compact = loads(dumps(value, sort_keys=False))

    def number(obj: Any) -> str:
        if isinstance(obj, Decimal):
            return f"\u0000{obj}\u0000"
        raise TypeError(type(obj).__name__)

    text = json.dumps(compact, indent=2, ensure_ascii=False, default=number)
    return _NUMBER.sub(lambda m: m.group(1), text)
