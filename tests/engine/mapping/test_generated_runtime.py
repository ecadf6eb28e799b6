"""The run-time side of generated mappings: field paths made text only when an error needs one."""

from __future__ import annotations

from engine.mapping.generated_runtime import path_text


def test_field_paths_kept_as_pairs_read_as_the_tree_writes_them() -> None:
    assert path_text(((("", "lines"), 2), "quantity")) == "lines[2].quantity"
    assert path_text((("vars.sale", "rules"), "match")) == "vars.sale.rules.match"
    assert path_text(("", "$with.order")) == "$with.order"
    assert path_text("") == ""
