"""JSON Lines reading: records split on newlines only, and a line too deep to parse is that
line's error, not the end of the file."""

from __future__ import annotations

from connectors.files.readers import read_jsonl


def test_a_unicode_line_separator_inside_a_string_stays_in_the_record() -> None:
    text = '{"name": "Line\u2028Separator\u0085ApS"}\r\n{"name": "B"}\n'
    rows = list(read_jsonl("a.jsonl", text))
    assert [row.fields for row in rows] == [{"name": "Line\u2028Separator\u0085ApS"}, {"name": "B"}]
    assert [row.line for row in rows] == [1, 2]


def test_a_deeply_nested_line_is_its_own_error_and_the_next_line_is_read() -> None:
    text = '{"x": ' + "[" * 100_000 + "]" * 100_000 + '}\n{"id": 2}\n'
    bad, good = list(read_jsonl("a.jsonl", text))
    assert str(bad.error).startswith("a.jsonl:1") and "nested too deeply" in str(bad.error)
    assert good.fields == {"id": 2} and good.line == 2
