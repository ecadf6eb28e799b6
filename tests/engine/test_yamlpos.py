"""YAML with positions: plain data with iex's types, positions for every path, located errors
and limits instead of tracebacks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine import yamlpos
from engine.yamlpos import YamlError, format_path, load, parse_path


def issues(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(YamlError) as caught:
        load(text)
    return [(i.line, i.col, i.message) for i in caught.value.issues]


def test_types_follow_yaml_1_2_core_and_numbers_are_exact():
    doc = load("price: 19.90\nqty: 3\ncountry: NO\nflag: yes\non: true\ndate: 2024-01-31\nhex: 0x1F\nnothing: ~\nsci: 1e3\n")
    assert doc.data == {"price": Decimal("19.90"), "qty": 3, "country": "NO", "flag": "yes", "on": True,
                        "date": "2024-01-31", "hex": 31, "nothing": None, "sci": Decimal("1E+3")}
    assert type(doc.data["price"]) is Decimal


def test_keys_are_always_text():
    assert load("404: not found\ntrue: x\n").data == {"404": "not found", "true": "x"}


def test_positions_of_values_and_keys():
    doc = load("a:\n  b: [1, {c: hello}]\n  d: x\n")
    assert doc.position(("a", "b", 1, "c")) == (2, 14)
    assert doc.position(("a", "b", 1, "c"), key=True) == (2, 11)
    assert doc.position("$.a.d") == (3, 6)
    assert doc.position(("a", "d"), key=True) == (3, 3)


def test_missing_path_falls_back_to_the_nearest_parent_key():
    doc = load("flows:\n  orders:\n    key: id\n")
    assert doc.position(("flows", "orders", "source", "stream")) == (2, 3)


@pytest.mark.parametrize(
    ("text", "needle", "expected"),
    [
        ('v: "{{ a | nofilter }}"\n', "nofilter", (1, 12)),
        ("v: plain {{ x }}\n", "x", (1, 13)),
        ("v: 'it''s {{ y }}'\n", "y", (1, 14)),
        ("v: |\n  first line\n  second {{ z }}\n", "z", (3, 13)),
        ("v: >-\n  one\n  two {{ k }}\n", "k", (3, 10)),
        ('v: "a\\tb {{ q }}"\n', "q", (1, 13)),
        ("v: plain\n  continued {{ r }}\n", "r", (2, 16)),
        ("v: |\r\n  x\r\n  y {{ s }}\r\n", "s", (3, 8)),
    ],
)
def test_text_positions_inside_scalars_of_every_style(text, needle, expected):
    doc = load(text)
    value = doc.data["v"]
    index = value.index(needle)
    line = value[:index].count("\n") + 1
    col = index - (value.rfind("\n", 0, index) + 1) + 1
    assert doc.text_position(("v",), line, col) == expected
    assert doc.find_in_value(("v",), needle) == expected


def test_duplicate_keys_report_both_positions():
    assert issues("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n") == [
        (4, 3, "duplicate key 'c' (first at line 3, col 3)"),
        (5, 1, "duplicate key 'a' (first at line 1, col 1)"),
    ]


def test_syntax_error_is_located():
    [(line, col, message)] = issues("a: [1, 2\nb: 3\n")
    assert (line, col) == (2, 2)
    assert message.startswith("YAML syntax error: expected ',' or ']'")


def test_billion_laughs_is_refused():
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    [(line, col, message)] = issues(text)
    assert "aliases expand to more than" in message


def test_small_aliases_are_fine():
    assert load("base: &b {x: 1}\nother: *b\n").data == {"base": {"x": 1}, "other": {"x": 1}}


def test_depth_and_size_limits(monkeypatch):
    [(line, col, message)] = issues("[" * 150 + "]" * 150)
    assert (line, col) == (1, 101) and "nests deeper than 100" in message
    monkeypatch.setattr(yamlpos, "MAX_BYTES", 100)
    assert "larger than" in issues("a: " + "x" * 200)[0][2]


def test_recursive_alias_is_refused():
    assert "nests deeper than" in issues("&a [*a]")[0][2]


def test_unsafe_and_unknown_tags_are_refused():
    assert issues("a: !!python/object:os.system x\n") == [(1, 4, "unsupported YAML tag '!!python/object:os.system'")]
    assert issues("a: !custom x\n") == [(1, 4, "unsupported YAML tag '!custom'")]


def test_merge_keys_and_multiple_documents_are_refused():
    assert issues("<<: {a: 1}\n")[0][:2] == (1, 1)
    assert "merge keys" in issues("<<: {a: 1}\n")[0][2]
    assert "expected a single document" in issues("a: 1\n---\nb: 2\n")[0][2]


def test_files_not_utf8_are_located(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(YamlError) as caught:
        load(path)
    assert (caught.value.issues[0].line, caught.value.issues[0].col) == (2, 4)
    assert caught.value.name == str(path)


def test_json_paths_round_trip():
    path = ("flows", "a b", 0, "$each", "ø", "it's", "")
    assert parse_path(format_path(path)) == path
    assert format_path(("flows", "orders", "steps", 2, "input")) == "$.flows.orders.steps[2].input"
