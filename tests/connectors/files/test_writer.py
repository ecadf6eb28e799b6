"""Keyed output files: a value the encoding cannot hold is the record's DataError and leaves the
file as it was; a row holding U+2028 reads back as one row."""

from __future__ import annotations

import pytest

from connectors.files.writer import KeyedFile
from engine.errors import DataError


def test_a_character_the_encoding_cannot_hold_is_a_data_error_and_nothing_is_written(tmp_path):
    out = KeyedFile(tmp_path / "rows.csv", encoding="cp1252")
    out.write("a", [{"name": "Æble"}])
    with pytest.raises(DataError, match="cannot be written in cp1252"):
        out.write("b", [{"name": "snow ☃", "extra": "x"}])
    assert (tmp_path / "rows.csv").read_text(encoding="cp1252") == "iex_key,name\na,Æble\n"
    assert KeyedFile(tmp_path / "rows.csv", encoding="cp1252").rows_of("b") == []


def test_a_line_separator_in_a_jsonl_value_reads_back_as_one_row(tmp_path):
    KeyedFile(tmp_path / "rows.jsonl").write("a", [{"name": "Line\u2028Sep"}])
    assert KeyedFile(tmp_path / "rows.jsonl").rows_of("a") == [{"iex_key": "a", "name": "Line\u2028Sep"}]
