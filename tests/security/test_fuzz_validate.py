"""`iex validate` on broken instance files, recipes, settings and mappings, through the CLI.

Hypothesis breaks a working project (a copy of the files example) the ways people do: keys
deleted or misspelt, values of the wrong type, settings that do not fit the recipe's schema,
YAML mangled character by character, deep nesting and huge values. Whatever it makes, the answer
is an exit code (0 valid, 1 invalid) and located lines ``file:line:col: severity: message
[path]`` pointing into the project's files: never a traceback, never "could not run".
(tests/engine/validate/test_fuzz.py fuzzes the validate() function with random documents; this
module goes through the command, starting from a valid project, so the mutations reach deep.)
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import cli

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning): .+ \[\$.*\]$")

INSTANCE: dict[str, Any] = {
    "iex": 1,
    "state": {"path": "state.sqlite"},
    "integrations": {
        "orders-export": {
            "recipe": "recipes/files-example.yaml",
            "settings": {"skip_statuses": ["annulleret"], "vat_rate": "0.25"},
            "connections": {"inbox": {"folder": "inbox"}, "outbox": {"output_folder": "out"}},
        }
    },
    "serve": {"host": "127.0.0.1", "port": 8088},
}
RECIPE: dict[str, Any] = yaml.safe_load((ROOT / "recipes" / "files-example.yaml").read_text(encoding="utf-8"))
MAPPING: dict[str, Any] = yaml.safe_load((ROOT / "mappings" / "files" / "order.yaml").read_text(encoding="utf-8"))
FILES = {"iex.yaml": INSTANCE, "recipes/files-example.yaml": RECIPE, "mappings/files/order.yaml": MAPPING}


@contextmanager
def project(docs: dict[str, Any] | None = None, texts: dict[str, str] | None = None) -> Iterator[Path]:
    """A throwaway project folder holding the three files (documents dumped, or raw texts)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, doc in {**FILES, **(docs or {})}.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            text = (texts or {}).get(name)
            path.write_text(text if text is not None else yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                            encoding="utf-8")
        yield root


def validate(root: Path, target: str = "iex.yaml") -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["validate", str(root / target)], catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def assert_located_answer(root: Path, code: int, out: str, err: str) -> None:
    """Exit 0 or 1; every problem line located in a file of the project; no traceback."""
    assert "Traceback" not in out + err
    assert "could not run" not in err and "internal error" not in out, err + out
    assert code in (0, 1), (code, out, err)
    lines = [line for line in out.splitlines() if line.strip()]
    if code == 1:
        assert lines, "invalid but no problem was printed"
    files = {str(p.resolve()) for p in root.rglob("*.yaml")}
    for line in lines:
        match = LOCATED.match(line)
        assert match, f"not a located problem: {line!r}"
        file = match["file"] if Path(match["file"]).is_absolute() else str((root / match["file"]).resolve())
        assert file in files, line
        assert int(match["line"]) >= 1 and int(match["col"]) >= 1


def test_the_unbroken_project_is_valid() -> None:
    with project() as root:
        code, out, err = validate(root)
    assert code == 0, out + err


# -- structural mutations -------------------------------------------------------------------------

def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into the document (keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += paths(value, (*prefix, index))
    return found


def deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.sampled_from(["", " ", "0", "-1", "true", "null"]),
    st.text(max_size=20), st.just("x" * 5000), st.just([]), st.just({}), st.just([[[[[]]]]]),
    st.builds(deep, st.integers(20, 150)),
    st.sampled_from([
        "{{ record.x", "{{ record.__class__ }}", "{% if x %}y{% endif %}", "{{ 'a' * 10**9 }}", "${env:NOT_SET_ANYWHERE}",
        "${file:/etc/shadow}", "../../../../etc/passwd", "files.write_records", "nosuch.action", "inbox", "5m", "*/5 * * * *",
        "to_string(", "!!python/object/apply:os.system", "0.1.2.3", "http://example.com",
    ]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Any]:
    """One of the files with one to three mutations: delete, replace with junk, rename a key."""
    name = draw(st.sampled_from(sorted(FILES)))
    doc = copy.deepcopy(FILES[name])
    for _ in range(draw(st.integers(1, 3))):
        targets = paths(doc)
        if not targets:
            break
        path = draw(st.sampled_from(targets))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        operation = draw(st.sampled_from(["delete", "replace", "rename"]))
        if operation == "delete":
            del parent[last]
        elif operation == "replace" or isinstance(parent, list):
            parent[last] = copy.deepcopy(draw(JUNK))   # st.just values are shared: never mutate them
        else:
            new_key = draw(st.sampled_from([last + "s", last[:-1] or "x", last.upper(), " " + last, "$" + last, "x-" + last]))
            parent[new_key] = parent.pop(last)
    return name, doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_structural_mutations_give_located_problems(case: tuple[str, Any]) -> None:
    name, doc = case
    with project({name: doc}) as root:
        assert_located_answer(root, *validate(root))


SETTING_VALUES = st.one_of(JUNK, st.lists(JUNK, max_size=3), st.dictionaries(st.sampled_from(["a", "annulleret"]), JUNK, max_size=2))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["skip_statuses", "vat_rate", "skip_status", "vat", "VAT_RATE", "extra"]),
                       SETTING_VALUES, max_size=4))
def test_customer_settings_of_any_shape_give_located_problems(customer_settings: dict[str, Any]) -> None:
    instance = copy.deepcopy(INSTANCE)
    instance["integrations"]["orders-export"]["settings"] = customer_settings
    with project({"iex.yaml": instance}) as root:
        code, out, err = validate(root)
        assert_located_answer(root, code, out, err)
        if set(customer_settings) - {"skip_statuses", "vat_rate"}:
            assert code == 1  # an unknown setting is an error, named with its position


# -- text mutations: YAML broken character by character -------------------------------------------

YAML_NOISE = st.sampled_from(list(":-[]{}&*!|>'\"#,?%@`\t\n ") + ["\x00", "\ufeff", "\udc80", "{{", "}}", "  ", "- ", ": ",
                                                                     "&a ", "*a", "!!python/object:os.system ", "---\n", "...\n"])


@st.composite
def mangled(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(FILES)))
    text = yaml.safe_dump(FILES[name], allow_unicode=True, sort_keys=False)
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(text)))
        operation = draw(st.sampled_from(["insert", "delete", "indent", "duplicate"]))
        if operation == "insert":
            text = text[:position] + draw(YAML_NOISE) + text[position:]
        elif operation == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 30)):]
        else:
            lines = text.split("\n")
            index = min(position * len(lines) // (len(text) + 1), len(lines) - 1)
            lines[index] = (" " * draw(st.integers(1, 3)) + lines[index]) if operation == "indent" else lines[index]
            if operation == "duplicate":
                lines.insert(index, lines[index])
            text = "\n".join(lines)
    return name, text


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_mangled_yaml_gives_located_problems(case: tuple[str, str]) -> None:
    name, text = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with project(texts={name: ""}) as source:
            shutil.copytree(source, root, dirs_exist_ok=True)
        (root / name).write_bytes(text.encode("utf-8", "surrogateescape"))
        assert_located_answer(root, *validate(root))


# -- hostile files ----------------------------------------------------------------------------------

HOSTILE = {
    "python object": "iex: 1\nname: !!python/object/apply:os.system ['touch pwned']\n",
    "python name": "iex: !!python/name:os.system\n",
    "python module": "iex: !!python/module:os\n",
    "unknown tag": "iex: !secret 1\n",
    "billion laughs": "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9)),
    "recursive alias": "a: &a\n  b: *a\n",
    "deep flow nesting": "iex: " + "[" * 50_000 + "]" * 50_000 + "\n",
    "deep block nesting": "".join("  " * i + f"k{i}:\n" for i in range(3000)) + "  " * 3000 + "v: 1\n",
    "huge file": "iex: 1\ndescription: " + "x" * (6 * 1024 * 1024) + "\n",
    "many keys": "iex: 1\n" + "".join(f"k{i}: {i}\n" for i in range(1500)),
    "nul bytes": "iex: 1\x00\nname: x\n",
    "binary": "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "empty": "",
    "only comments": "# nothing here\n",
    "scalar document": "just text\n",
    "list document": "- 1\n- 2\n",
    "two documents": "iex: 1\n---\niex: 2\n",
    "duplicate keys": "iex: 1\niex: 2\n",
    "tabs": "iex: 1\nintegrations:\n\tx: 1\n",
    "merge key": "base: &b {recipe: r.yaml}\nintegrations:\n  x:\n    <<: *b\n",
    "huge number": "iex: " + "9" * 100_000 + "\n",
    "float junk": "iex: .inf\nstate: {path: .nan}\n",
    "unicode junk": "iex: 1\nname: \"\\udc80\\U0010ffff\"\n",
    "bom": "\ufeffiex: 1\n",
}


@pytest.mark.parametrize("target", ["iex.yaml", "recipes/files-example.yaml", "mappings/files/order.yaml"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_give_located_problems(tmp_path: Path, case: str, target: str) -> None:
    with project() as source:
        shutil.copytree(source, tmp_path, dirs_exist_ok=True)
    (tmp_path / target).write_bytes(HOSTILE[case].encode("utf-8", "surrogatepass"))
    code, out, err = validate(tmp_path)
    assert_located_answer(tmp_path, code, out, err)
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    if case not in ("bom",):
        assert code == 1, out + err


def test_a_long_text_as_step_input_is_a_located_problem() -> None:
    recipe = copy.deepcopy(RECIPE)
    recipe["flows"]["orders"]["steps"][0]["input"] = "x" * 300
    with project({"recipes/files-example.yaml": recipe}) as root:
        code, out, err = validate(root)
        assert_located_answer(root, code, out, err)
    assert code == 1


def test_a_mapping_with_many_problems_is_checked_in_linear_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.validate import mapping_check

    calls = [0]
    original = mapping_check._related

    def counting(a: tuple, b: tuple) -> bool:
        calls[0] += 1
        return original(a, b)

    monkeypatch.setattr(mapping_check, "_related", counting)
    keys = 1000
    with project() as source:
        shutil.copytree(source, tmp_path, dirs_exist_ok=True)
    (tmp_path / "mappings" / "files" / "order.yaml").write_text(
        "iex: 1\n" + "".join(f"k{i}: {i}\n" for i in range(keys)), encoding="utf-8")
    code, out, err = validate(tmp_path)
    assert_located_answer(tmp_path, code, out, err)
    assert calls[0] <= 20 * keys, f"{calls[0]} comparisons for {keys} problems"


def test_invalid_utf8_is_a_located_problem(tmp_path: Path) -> None:
    with project() as source:
        shutil.copytree(source, tmp_path, dirs_exist_ok=True)
    (tmp_path / "iex.yaml").write_bytes(b"iex: 1\nname: \xff\xfe caf\xe9\n")
    code, out, err = validate(tmp_path)
    assert_located_answer(tmp_path, code, out, err)
    assert code == 1


# -- the real command in a real process -------------------------------------------------------------

@pytest.mark.parametrize("case", ["python object", "deep flow nesting", "billion laughs"])
def test_the_installed_command_answers_without_a_traceback(tmp_path: Path, case: str) -> None:
    with project() as source:
        shutil.copytree(source, tmp_path, dirs_exist_ok=True)
    (tmp_path / "recipes" / "files-example.yaml").write_text(HOSTILE[case], encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "engine", "validate", str(tmp_path / "iex.yaml")],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert_located_answer(tmp_path, done.returncode, done.stdout, done.stderr)
