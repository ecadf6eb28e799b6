"""The sandbox refuses escapes and resource exhaustion with a clear error, quickly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import DataError, IexError, IexSystemError
from engine.expressions import ExpressionError, compile_value, limits
from engine.mapping import compile_mapping

pytestmark = pytest.mark.timeout(10)  # a refusal that hangs fails instead of blocking the suite

CONTEXT = {"x": Decimal(1), "record": {"name": "Mug"}}


def refusal(source: str) -> IexError:
    """Compile and evaluate; return the error (compile-time or evaluation-time)."""
    with pytest.raises(IexError) as info:
        compile_value(source).evaluate(CONTEXT)
    return info.value


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ x.__globals__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ record['__class__'] }}",
        "{{ record._private }}",
    ],
)
def test_private_attributes_are_refused_at_compile_time(source: str) -> None:
    error = refusal(source)
    assert isinstance(error, ExpressionError)
    assert "not allowed" in error.message or "not available" in error.message
    assert error.col > 1  # points into the template, not at its start


def test_private_attribute_through_format_is_refused() -> None:
    error = refusal("{{ '{0.__class__}'.format(x) }}")
    assert isinstance(error, IexSystemError)
    assert "__class__" in error.message and "unsafe" in error.message


def test_private_attribute_through_dynamic_key_is_refused() -> None:
    with pytest.raises(IexSystemError, match="unsafe"):
        compile_value("{{ x[name] }}").evaluate({"x": "text", "name": "__class__"})


@pytest.mark.parametrize(
    "source, words",
    [
        ("{{ 'a' * 10**9 }}", "repetition"),
        ("{{ [1] * 10**8 }}", "repetition"),
        ("{{ 10**8 * [1] }}", "repetition"),
        ("{{ '%99999999s' % 'x' }}", "width"),
        ("{{ '%*s' % (99999999, 'x') }}", "computed widths"),
        ("{{ '{:>99999999}'.format('x') }}", "width"),
        ("{{ 'x' | format('%99999999s') if false else '%99999999s' | format('x') }}", "width"),
        ("{{ 2 ** 100000000 }}", "bits"),
        ("{{ (10 ** 1000) * (10 ** 1000) * (10 ** 1000) * (10 ** 1000) * (10 ** 1000) }}", "bits"),
        ("{{ 'abc'.ljust(10**8) }}", "ljust"),
        ("{{ 'abc' | center(10**8) }}", "center"),
        ("{{ ('a' * 1000).replace('a', 'a' * 1000) }}", "replace"),
        ("{{ ('a' * 1000) | replace('a', 'a' * 1000) }}", "replace"),
        ("{{ (1).to_bytes(10**9, 'big') }}", "unsafe"),
        ("{{ 'x'.expandtabs(10**9) }}", "unsafe"),
    ],
)
def test_amplifying_operations_are_capped(source: str, words: str) -> None:
    error = refusal(source)
    assert isinstance(error, IexSystemError)
    assert words in error.message
    assert "refused" in error.message or isinstance(error, ExpressionError)


def test_doubling_through_nested_lists_is_refused_when_turned_to_text() -> None:
    big = ["a" * 50_000] * 100
    with pytest.raises(IexSystemError, match="larger than"):
        compile_value("{{ big | join(',') }}").evaluate({"big": big})
    with pytest.raises(IexSystemError, match="larger than"):
        compile_value("list: {{ big }}").evaluate({"big": big})


def test_concatenation_is_capped() -> None:
    text = "a" * 60_000
    with pytest.raises(IexSystemError, match="concatenation"):
        compile_value("{{ t + t }}").evaluate({"t": text})


@pytest.mark.parametrize("name", ["range", "lipsum", "cycler", "joiner", "namespace", "dict"])
def test_removed_globals_are_refused_with_advice(name: str) -> None:
    error = refusal(f"{{{{ {name}(3) }}}}")
    assert isinstance(error, ExpressionError)
    assert f"{name}() is not available" in error.message


@pytest.mark.parametrize(
    "source",
    ["{% for i in x %}{{ i }}{% endfor %}", "a {% if x %}b{% endif %}", "{# note #}{{ x }}",
     "{% raw %}x{% endraw %}", "plain text with {% set y = 1 %} a statement"],
)
def test_statements_and_comments_are_refused(source: str) -> None:
    error = refusal(source)
    assert isinstance(error, ExpressionError)
    assert "not allowed in templates" in error.message


def test_statements_point_to_the_alternative() -> None:
    error = refusal("{% for i in x %}{{ i }}{% endfor %}")
    assert "$each" in error.message and "$when" in error.message


def test_statement_error_is_located() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_value("first line {{ x }}\n  {% if x %}y{% endif %}")
    assert (info.value.line, info.value.col) == (2, 3)


@pytest.mark.parametrize(
    "source",
    [
        "{{ " + "(" * 500 + "1" + ")" * 500 + " }}",
        "{{ " + "[" * 500 + "]" * 500 + " }}",
        "{{ " + "not " * 3000 + "x }}",
        "{{ " + "-" * 5000 + "1 }}",
        "{{ x" + "|upper" * 3000 + " }}",
        "{{ x" + ".a" * 5000 + " }}",
        "{{ 1" + " + 1" * 3000 + " }}",
        "{{ " + "1 if x else " * 1000 + "2 }}",
    ],
)
def test_deep_nesting_is_refused_at_compile_time(source: str) -> None:
    error = refusal(source)
    assert isinstance(error, ExpressionError)
    assert "nest" in error.message


def test_overlong_template_is_refused() -> None:
    error = refusal("{{ x }}" + "a" * (limits.MAX_SOURCE + 1))
    assert isinstance(error, ExpressionError) and "longer than" in error.message


def test_immutable_values_cannot_be_changed() -> None:
    record = {"lines": [1, 2]}
    with pytest.raises(IexSystemError, match="unsafe"):
        compile_value("{{ record.lines.append(3) }}").evaluate({"record": record})
    with pytest.raises(IexSystemError, match="unsafe"):
        compile_value("{{ record.update({'a': 1}) }}").evaluate({"record": {"x": 1}})
    assert record == {"lines": [1, 2]}


def test_deadline_stops_a_slow_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "EVAL_SECONDS", -1.0)  # already past the deadline at the first check
    with pytest.raises(IexSystemError, match="longer than"):   # the clock is read every few operations
        compile_value("{{ names | map('upper') | list }}").evaluate({"names": ["a"] * 1000})


def test_float_in_arithmetic_is_refused_naming_the_expression() -> None:
    with pytest.raises(IexSystemError) as info:
        compile_value("{{ price * 2 }}").evaluate({"price": 1.5})
    assert "floats are not allowed for money; use money(...)" in info.value.message
    assert "{{ price * 2 }}" in info.value.message


def test_float_filter_is_gone_and_percent_f_of_amounts_is_refused() -> None:
    assert isinstance(refusal("{{ x | float }}"), ExpressionError)
    with pytest.raises(IexSystemError, match="round_money"):
        compile_value("{{ '%.2f' % x }}").evaluate({"x": Decimal("1.005")})


def test_refusals_are_never_data_errors() -> None:
    # The customer cannot fix a template; a refusal goes to the technician.
    error = refusal("{{ 'a' * 10**9 }}")
    assert not isinstance(error, DataError)
    assert error.who.startswith("technician")


def test_methods_of_non_builtin_objects_are_refused() -> None:
    from engine.secrets import Secret

    secret = Secret("a-long-secret-value")
    with pytest.raises(IexSystemError, match="unsafe") as info:
        compile_value("{{ s.reveal() }}").evaluate({"s": secret})
    assert "a-long-secret-value" not in str(info.value)
    assert compile_value("token {{ s }}").evaluate({"s": secret}) == "token ***"


BIG = ["a" * 50_000] * 100  # cheap to hold (100 references), 5 MB as text


@pytest.mark.parametrize(
    "source",
    [
        "{{ big ~ '' }}",
        "{{ '%s' % [big] }}",
        "{{ '{}'.format(big) }}",
        "{{ big | upper }}",
        "{{ big | sort }}",
        "{{ big | unique(case_sensitive=false) | list }}",
        "{{ big | map('upper') | list }}",
        "{{ big | map('upper') | join }}",
        "{{ big | tojson }}",
        "{{ big | string }}",
        "{{ big | replace('a', 'b') }}",
        "{{ to_str(big) }}",
        "{{ ''.join(big) }}",
    ],
)
def test_big_values_are_refused_before_they_become_text(source: str) -> None:
    with pytest.raises(IexError) as info:
        compile_value(source).evaluate({"big": BIG})
    assert any(word in info.value.message for word in ("larger than", "more than", "single value", "limit"))


# -- filters whose output outgrows their input: checked before the output is built ---------------

@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ 'a\\nb' | indent(2) }}", "a\n  b"),
        ("{{ 'a\\nb' | indent('> ', first=true) }}", "> a\n> b"),
        ("{{ [1, [2]] | tojson(indent=2) }}", "[\n  1,\n  [\n    2\n  ]\n]"),
        ("{{ {'a': [], 'b': {'c': 1}} | tojson(indent=1) }}", '{\n "a": [],\n "b": {\n  "c": 1\n }\n}'),
        ("{{ 'one two three' | wordwrap(5, wrapstring='<br>') }}", "one<br>two<br>three"),
        ("{{ 'one two three' | truncate(7, end='..', leeway=0) }}", "one.."),
    ],
)
def test_growing_filters_still_work_within_the_caps(source: str, expected: str) -> None:
    assert compile_value(source).evaluate(CONTEXT) == expected


@pytest.mark.parametrize(
    "source",
    [
        "{{ ('a\\n' * 20) | indent(99999) }}",
        "{{ ('a\\n' * 20) | indent('x' * 99999) }}",
        "{{ ([1] * 20) | tojson(indent=99999) }}",
        "{{ ('a ' * 20) | wordwrap(1, wrapstring='x' * 99999) }}",
    ],
)
def test_growing_filters_are_refused_by_their_output_size(source: str) -> None:
    error = refusal(source)
    assert isinstance(error, IexSystemError) and f"larger than {limits.MAX_OUTPUT}" in error.message


def test_truncate_with_an_end_longer_than_length_says_so() -> None:
    assert "truncate: end is longer than length" in refusal("{{ 'abcdefgh' | truncate(2) }}").message


def test_a_native_value_is_capped_like_rendered_text() -> None:
    error = refusal("{{ ['x' * 99999] * 20 }}")
    assert isinstance(error, IexSystemError) and "larger than" in error.message


def test_a_native_value_nested_too_deep_is_refused_with_the_field_path() -> None:
    deep: object = "x"
    for _ in range(limits.MAX_DEPTH):
        deep = [deep]
    with pytest.raises(IexSystemError, match="nests deeper than") as info:   # built by the template
        compile_value("{{ [v] }}").evaluate({"v": deep}, field_path="lines")
    assert info.value.field_path == "lines"
    # data read as it stands is passed on; the mapping's output refuses it where it lands
    assert compile_value("{{ v }}").evaluate({"v": deep}) is deep
    with pytest.raises(IexSystemError, match="nests deeper than") as info:
        compile_mapping({"lines": "{{ v }}"}).evaluate({"v": deep})
    assert info.value.field_path is not None and info.value.field_path.startswith("lines")
    assert compile_value("{{ v[0] }}").evaluate({"v": deep}) == deep[0]