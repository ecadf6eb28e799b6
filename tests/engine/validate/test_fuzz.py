"""Whatever a file holds, validation answers with located problems, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.validate import validate

YAML_CHARS = st.sampled_from(list(":-[]{}&*!|>'\"#,?%@` \n\t") + list("abcxyz019") + ["{{", "}}", "${env:A}", "  "])
KEYS = st.sampled_from([
    "iex", "name", "version", "settings", "properties", "connections", "connector", "flows", "source", "connection",
    "stream", "options", "trigger", "every", "cron", "filter", "key", "refs", "concurrency_key", "steps", "action",
    "input", "when", "on_change", "fields", "vars", "$each", "$as", "$fields", "$when", "$value", "$default", "$use",
    "$with", "integrations", "recipe", "enabled", "state", "path", "serve", "port", "type", "default", "title",
    "description", "required", "shop", "ledger", "url", "consumer_secret", "app_secret_token",
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["{{ record.x }}", "{{ settings.y", "{% if x %}", "{{ steps.a.b }}", "to_string(id",
                     "${env:NOPE}", "fakeshop", "fakeledger", "ledger.create_order", "shop", "orders", "5m",
                     "../m.yaml", "m.yaml", "r.yaml", "update", "string", "1.0.0", "{{ 1 + }}", ""]),
    st.text(max_size=12),
)
DOCS = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)), max_leaves=25)


def check_answer(problems, names: set[str]) -> None:
    for problem in problems:
        assert problem.file in names
        assert problem.line >= 1 and problem.col >= 1
        assert "internal error" not in problem.message, str(problem)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(YAML_CHARS, max_size=80).map("".join))
def test_garbage_text_gives_located_problems(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "recipes" / "r.yaml"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        check_answer(validate([path]), {str(path.resolve())})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=DOCS, recipe=DOCS, mapping=DOCS)
def test_random_documents_give_located_problems(instance, recipe, mapping):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if isinstance(instance, dict):
            instance = {**instance, "integrations": {"x": {"recipe": "r.yaml", **(instance if isinstance(instance, dict) else {})}}}
        for name, doc in (("iex.yaml", instance), ("r.yaml", recipe), ("m.yaml", mapping)):
            (root / name).write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        names = {str((root / n).resolve()) for n in ("iex.yaml", "r.yaml", "m.yaml")}
        check_answer(validate([root / "iex.yaml", root / "r.yaml"]), names)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flow=st.dictionaries(KEYS, DOCS, max_size=6), step=st.dictionaries(KEYS, DOCS, max_size=5))
def test_recipe_shaped_documents_give_located_problems(flow, step):
    recipe = {
        "iex": 1, "name": "r", "version": "1.0.0",
        "connections": {"shop": {"connector": "fakeshop"}, "ledger": {"connector": "fakeledger"}},
        "flows": {"orders": {"source": {"connection": "shop", "stream": "orders"}, "key": "id",
                             "steps": [{"name": "a", "action": "ledger.create_order", **step}], **flow}},
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.yaml"
        path.write_text(yaml.safe_dump(recipe, allow_unicode=True), encoding="utf-8")
        check_answer(validate([path]), {str(path.resolve())})
