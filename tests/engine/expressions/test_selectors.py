"""JMESPath selectors: compiled once, Decimal-aware, and never templates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import DataError
from engine.expressions import ExpressionError, compile_selector

ORDER = {"id": 1005, "line_items": [{"name": "Mug", "quantity": 2, "total": Decimal("40.00")},
                                    {"name": "Gift", "quantity": 0, "total": Decimal("0.00")}]}


def test_selects_and_filters() -> None:
    selector = compile_selector("line_items[?quantity > `0`].name")
    assert selector.search(ORDER) == ["Mug"]
    assert compile_selector("missing").search(ORDER) is None


def test_decimals_are_numbers_and_stay_exact() -> None:
    assert compile_selector("sum(line_items[].total)").search(ORDER) == Decimal("40.00")
    assert compile_selector("to_number('12.50')").search({}) == Decimal("12.50")
    assert compile_selector("to_string(line_items[0].total)").search(ORDER) == "40.00"
    assert compile_selector("to_string(id)").search(ORDER) == "1005"


def test_templates_are_refused_with_a_hint() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_selector("{{ record.line_items }}")
    assert "not a template" in info.value.message and info.value.col == 1


def test_syntax_errors_are_located() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_selector("record.\nline_items[?")
    assert info.value.line == 2 and "JMESPath" in info.value.message


def test_runtime_type_errors_are_data_errors() -> None:
    with pytest.raises(DataError, match="sum"):
        compile_selector("sum(line_items[].name)").search(ORDER)


def test_references_are_the_root_names_read() -> None:
    assert compile_selector("record.line_items[?quantity > `0`]").references() == {"record.line_items"}
    assert compile_selector("steps.customer.data[0]").references() == {"steps.customer.data"}
