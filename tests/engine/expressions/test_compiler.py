"""Templates give native values, Decimal arithmetic, located compile errors and clear
evaluation errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import DataError, IexError
from engine.expressions import Compiled, ExpressionError, compile_condition, compile_value

RECORD = {
    "billing": {"country": "DK", "company": "", "first_name": "Ann"},
    "line_items": [{"name": "Mug", "total": "100.00", "quantity": 3, "price": Decimal("33.33")}],
    "paid": True,
    "note": None,
    "items": ["field called items"],
}
CONTEXT = {"record": RECORD, "settings": {"book": True, "rate": Decimal("0.25")}, "steps": {}}


def value(source: str, context: dict | None = None) -> object:
    return compile_value(source).evaluate(CONTEXT if context is None else context)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("{{ record.line_items[0].price }}", Decimal("33.33")),
        ("  {{ record.paid }}  ", True),
        ("{{ record.note }}", None),
        ("{{ record.line_items | map(attribute='name') | list }}", ["Mug"]),
        ("{{ record.line_items[0].quantity }}", 3),
        ("{{ {'a': 1} }}", {"a": 1}),
    ],
)
def test_single_expression_gives_the_native_value(source: str, expected: object) -> None:
    result = value(source)
    assert result == expected
    assert type(result) is type(expected)


def test_mixed_template_renders_text() -> None:
    assert value("Order {{ record.billing.first_name }} / {{ record.line_items[0].quantity }}") \
        == "Order Ann / 3"
    assert value("{{ record.paid }}{{ record.paid }}") == "TrueTrue"


def test_strings_without_braces_and_other_scalars_are_literals() -> None:
    assert value("just text") == "just text"
    assert compile_value(42).evaluate({}) == 42
    assert compile_value(None).evaluate({}) is None
    assert compile_value(True).is_template is False
    # A YAML float is Decimal as written, never a float.
    assert compile_value(0.25).evaluate({}) == Decimal("0.25")
    assert type(compile_value(0.25).evaluate({})) is Decimal


def test_number_literals_are_decimal_and_arithmetic_is_exact() -> None:
    assert value("{{ settings.rate * 0.1 }}") == Decimal("0.025")
    assert value("{{ 0.1 + 0.2 }}") == Decimal("0.3")
    assert value("{{ money(record.line_items[0].total) * 0.25 }}") == Decimal("25.0000")
    assert type(value("{{ 2 + 3 }}")) is int
    assert value("{{ 7 / 2 }}") == Decimal("3.5")           # int / int is Decimal, never float
    assert value("{{ 2 ** -2 }}") == Decimal("0.25")
    assert value("{{ (money(record.line_items[0].total) / 3) | round(2) }}") == Decimal("33.33")
    assert value("{{ 2.675 | round(2) }}") == Decimal("2.68")  # half up, exact


def test_record_field_wins_over_dict_method() -> None:
    assert value("{{ record.items }}") == ["field called items"]
    assert value("{{ record.billing.items() | list | length }}") == 3


def test_helpers_are_globals_and_filters() -> None:
    assert value("{{ vat_zone(record.billing.country, record.billing.company != '') }}") == "domestic"
    assert value("{{ record.line_items[0].total | money | round_money }}") == Decimal("100.00")
    assert value("{{ coalesce(record.note, record.billing.company, 'none') }}") == "none"
    assert value("{{ '2024-03-05T10:00:00' | date }}") == dt.date(2024, 3, 5)


def test_undefined_names_the_missing_path_and_the_field() -> None:
    with pytest.raises(DataError) as info:
        compile_value("{{ record.billing.vat_number }}").evaluate(CONTEXT, field_path="recipient.vat")
    error = info.value
    assert error.message.startswith("record.billing.vat_number is undefined")
    assert error.field_path == "recipient.vat"
    assert "who" not in error.message and error.who.startswith("customer")


def test_undefined_inside_a_list_or_filter_is_reported() -> None:
    with pytest.raises(DataError, match=r"record.shipping is undefined"):
        value("{{ [record.shipping] }}")
    with pytest.raises(DataError, match=r"record.shipping is undefined"):
        value("Ship to {{ record.shipping.city | upper }}")
    with pytest.raises(DataError, match=r"record.line_items\[3\] is undefined"):
        value("{{ record.line_items[3].name }}")
    with pytest.raises(DataError, match=r"record.note.text is undefined \(record.note is None\)"):
        value("{{ record.note.text }}")


def test_missing_ok_gives_none_only_for_a_missing_last_name() -> None:
    compiled = compile_value("{{ record.billing.ean }}")
    assert compiled.evaluate(CONTEXT, missing_ok=True) is None
    with pytest.raises(DataError, match="record.meta is undefined"):
        compile_value("{{ record.meta.ean }}").evaluate(CONTEXT, missing_ok=True)


def test_runtime_errors_are_data_errors_with_the_expression() -> None:
    with pytest.raises(DataError) as info:
        value("{{ money(record.billing.first_name) }}")
    assert "money()" in info.value.message and "{{ money(record.billing.first_name) }}" in info.value.message
    with pytest.raises(DataError, match="division by zero"):
        value("{{ money('1') / 0 }}")
    with pytest.raises(DataError, match="cannot evaluate"):
        value("{{ record.billing.first_name + 1 }}")


def test_references_list_the_dotted_names_read() -> None:
    compiled = compile_value(
        "{{ settings.book_invoices and record.billing.country == 'DK' "
        "and steps.customer.customerNumber and record.date_created[:10] "
        "and record['meta'].ean and record.name.upper() and money(line.total) }}"
    )
    assert compiled.references() == {
        "settings.book_invoices", "record.billing.country", "steps.customer.customerNumber",
        "record.date_created", "record.meta.ean", "record.name", "line.total",
    }
    assert compile_value("Order {{ record.number }} for {{ key }}").references() == {"record.number", "key"}
    assert compile_value("literal").references() == set()


def test_compile_errors_are_located() -> None:
    second_line = "{{ record.total | nosuchfilter }}"
    with pytest.raises(ExpressionError) as info:
        compile_value("Order\n" + second_line)
    assert (info.value.line, info.value.col) == (2, second_line.index("nosuchfilter") + 1)
    assert "nosuchfilter" in info.value.message
    with pytest.raises(ExpressionError) as info:
        compile_value("{{ record.total + }}")
    assert "syntax" in info.value.message and info.value.line == 1


def test_templates_are_compiled_once() -> None:
    assert compile_value("{{ record.paid }}") is compile_value("{{ record.paid }}")


def test_condition_must_be_one_expression() -> None:
    assert compile_condition("{{ record.paid }}").evaluate(CONTEXT) is True
    assert compile_condition("{{ record.line_items | length }}").evaluate(CONTEXT) == 1
    for bad in ("record.paid", "paid: {{ record.paid }}", "{{ a }}{{ b }}"):
        with pytest.raises(ExpressionError, match="exactly one"):
            compile_condition(bad)


def test_output_is_never_a_raw_traceback_for_broken_input_types() -> None:
    for context in ({"record": None}, {"record": 5}, {}):
        with pytest.raises(IexError):
            compile_value("{{ record.billing.country }}").evaluate(context)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_compiles_or_raises_expression_error(source: str) -> None:
    try:
        compiled = compile_value(source)
    except ExpressionError:
        return
    assert isinstance(compiled, Compiled)


ALPHABET = st.sampled_from(list("{}%#()[]'\"|.+-*/~ ,:") + ["{{", "}}", "record", "x", "1", "0.5",
                                                             "not ", " if ", " else ", "**"])


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=25).map("".join))
def test_template_like_text_compiles_and_evaluates_or_raises_iex_errors(source: str) -> None:
    try:
        compiled = compile_value(source)
    except ExpressionError:
        return
    try:
        compiled.evaluate({"record": {"x": Decimal("1.5")}, "x": 2})
    except IexError:
        pass


def test_text_shows_none_as_empty_and_decimals_without_exponent() -> None:
    assert value("Note: {{ record.note }}") == "Note: "
    assert value("{{ x }} kr", {"x": Decimal("1E+2")}) == "100 kr"
    assert value("{{ x }} kr", {"x": Decimal("12.50")}) == "12.50 kr"


def test_map_and_select_give_lists() -> None:
    assert value("{{ record.line_items | map(attribute='name') }}") == ["Mug"]
    assert value("{{ record.line_items | selectattr('quantity', 'gt', 5) }}") == []
    assert value("{{ record.billing.keys() }}") == ["country", "company", "first_name"]


def test_optional_values_use_default_or_is_defined() -> None:
    assert value("{{ record.billing.vat_number | default('') }}") == ""
    assert value("{{ record.billing.vat_number is defined }}") is False
    assert value("{{ record.billing.country if record.billing.country is defined else 'DK' }}") == "DK"
