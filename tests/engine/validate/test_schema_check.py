"""jsonschema errors in plain words at the right place; oneOf reports the intended branch."""

from __future__ import annotations

from engine.validate.schema_check import check
from engine.validate.suggest import did_you_mean, distance
from engine.yamlpos import load

SCHEMA = {
    "type": "object",
    "properties": {
        "amount": {"type": "number"},
        "mode": {"enum": ["update", "ignore"]},
        "input": {"oneOf": [
            {"title": "a file path", "type": "string"},
            {"title": "an inline mapping", "type": "object", "properties": {"fields": {"type": "object"}},
             "required": ["fields"], "additionalProperties": False},
        ]},
        "token": {"type": "string", "minLength": 30},
    },
    "required": ["amount"],
    "additionalProperties": False,
}


def messages(text: str, **kw) -> list[str]:
    doc = load(text, name="f.yaml")
    return [str(p) for p in sorted(check(doc, SCHEMA, **kw), key=lambda p: (p.line, p.col))]


def test_type_error_names_expected_and_got():
    assert messages("amount: abc\n") == ["f.yaml:1:9: error: expected a number, got string 'abc' [$.amount]"]


def test_enum_error_suggests_the_closest_option():
    assert messages("amount: 1\nmode: updaet\n") == [
        "f.yaml:2:7: error: expected one of 'update', 'ignore'; got 'updaet'; did you mean 'update'? [$.mode]"]


def test_unknown_key_at_the_key_with_suggestion_and_missing_key_at_parent():
    assert messages("amout: 1\n") == [
        "f.yaml:1:1: error: missing required key 'amount' [$.amount]",
        "f.yaml:1:1: error: unknown key 'amout'; did you mean 'amount'? [$.amout]",
    ]


def test_unknown_key_without_close_match_lists_allowed_keys():
    assert messages("amount: 1\nzzzzzz: 2\n") == [
        "f.yaml:2:1: error: unknown key 'zzzzzz'; allowed: amount, mode, input, token [$.zzzzzz]"]


def test_one_of_reports_the_branch_the_value_was_meant_for():
    assert messages("amount: 1\ninput: {fields: {}, vars: {}}\n") == [
        "f.yaml:2:21: error: unknown key 'vars'; allowed: fields [$.input.vars]"]
    assert messages("amount: 1\ninput: 5\n") == [
        "f.yaml:2:8: error: expected a file path or an inline mapping, got number 5 [$.input]"]


def test_hidden_values_are_never_quoted():
    doc = load("amount: 1\ntoken: short-secret\n", name="f.yaml")
    problems = check(doc, SCHEMA, hidden=frozenset({("token",)}))
    assert [p.message for p in problems] == ["must be at least 30 characters long"]
    schema = {"type": "object", "properties": {"token": {"type": "integer"}}}
    assert [p.message for p in check(doc, schema, instance={"token": "short-secret"}, hidden=frozenset({("token",)}))] == [
        "expected a whole number, got (hidden)"]


def test_version_number_hint():
    doc = load("v: 1.2\n", name="f.yaml")
    [problem] = check(doc, {"properties": {"v": {"type": "string"}}})
    assert problem.message == "expected a string, got number 1.2 (put it in quotes)"


def test_edit_distance_counts_swaps_as_one():
    assert distance("nmae", "name") == 1
    assert distance("kitten", "sitting") == 3
    assert did_you_mean("webhok", ["every", "cron", "webhook", "manual"]) == "webhook"
    assert did_you_mean("xyz", ["every", "cron"]) is None
