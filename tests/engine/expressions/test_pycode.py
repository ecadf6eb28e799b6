"""Templates as Python: the kind of a template's value decides how it is finished, and generated
names never clash."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.expressions import compile_value
from engine.expressions.pycode import (
    COMPUTED,
    REFERENCE,
    SCALAR,
    Namespace,
    result_kind,
)


@pytest.mark.parametrize(("source", "kind"), [
    ("'text'", SCALAR), ("a == b", SCALAR), ("not a", SCALAR), ("a is defined", SCALAR), ("a ~ b", SCALAR),
    ("[]", SCALAR), ("'x' if a else 'y'", SCALAR),
    ("record", REFERENCE), ("record.billing.city", REFERENCE), ("record['x'][0]", REFERENCE),
    ("record.lines[:2]", REFERENCE), ("a or record.x", REFERENCE), ("a if b", REFERENCE),
    ("money(a)", COMPUTED), ("[a, b]", COMPUTED), ("a | upper", COMPUTED), ("a * 2", COMPUTED),
    ("'x' if a else [a]", COMPUTED),
])
def test_the_kind_of_a_value_follows_from_the_template(source: str, kind: str) -> None:
    assert result_kind(compile_value("{{ " + source + " }}").tree) == kind


def test_names_in_generated_code_are_its_own() -> None:
    namespace = Namespace()
    first, again, other = namespace.name_for(Decimal(1), "L"), None, namespace.fresh("L")
    again = namespace.name_for(namespace.values[first], "L")
    assert first == again and other != first and first.isidentifier() and other.isidentifier()
