"""The `iex validate` and `iex schema` commands: what to check, exit codes, JSON, schemas."""

from __future__ import annotations

import json
import shutil

from jsonschema import Draft202012Validator

from engine import yamlpos


def test_missing_path_exits_2(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = iex("validate", "nope.yaml")
    assert result.exit_code == 2
    assert "no such file or folder: nope.yaml" in result.err
    as_json = json.loads(iex("validate", "--format", "json", "nope.yaml").out)
    assert as_json["valid"] is False and "nope.yaml" in as_json["error"]


def test_nothing_to_validate_exits_2(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = iex("validate")
    assert result.exit_code == 2
    assert "nothing to validate" in result.err


def test_without_instance_file_recipes_and_mappings_are_checked(iex, project):
    (project / "iex.yaml").unlink()
    mapping = project / "mappings" / "unused.yaml"
    mapping.write_text("iex: 1\nfields:\n  a: {$wen: x}\n")
    result = iex("validate")
    assert result.exit_code == 1
    assert result.lines == ["mappings/unused.yaml:3:7: error: unknown directive '$wen'; did you mean '$when'? "
                            "[$.fields.a.$wen]"]


def test_a_folder_is_searched_and_unknown_yaml_in_it_skipped(iex, project):
    (project / "notes.yaml").write_text("just: some other yaml\n")
    result = iex("validate", ".")
    assert (result.exit_code, result.lines) == (0, [])


def test_a_named_file_of_unknown_kind_is_an_error(iex, project):
    (project / "notes.yaml").write_text("just: some other yaml\n")
    result = iex("validate", "notes.yaml")
    assert result.exit_code == 1
    assert result.lines == ["notes.yaml:1:1: error: cannot tell what kind of iex file this is: an instance file has "
                            "'integrations', a recipe 'flows', a mapping file 'fields' [$]"]


def test_problems_are_sorted_by_file_and_line(iex, project):
    (project / "b.yaml").write_text("iex: 1\nfields: {a: '{{ x'}\n")
    (project / "a.yaml").write_text("iex: 1\nfields:\n  x: 1\n  y: '{{ }}'\ndescripton: d\n")
    result = iex("validate", "b.yaml", "a.yaml")
    assert [line.split(": error")[0] for line in result.lines] == ["a.yaml:4:10", "a.yaml:5:1", "b.yaml:2:14"]


def test_warnings_alone_keep_exit_0_and_json_valid(iex, project, monkeypatch):
    monkeypatch.delenv("LEDGER_GRANT")
    result = iex("validate", "--format", "json", "iex.yaml")
    report = json.loads(result.out)
    assert result.exit_code == 0
    assert report["valid"] is True
    assert [(p["severity"], p["line"], p["col"]) for p in report["problems"]] == [("warning", 9, 78)]


def test_schema_command_writes_three_schemas_with_ids(iex, tmp_path, project):
    out = tmp_path / "schemas"
    result = iex("schema", "--out", str(out))
    assert result.exit_code == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["instance.schema.json", "mapping.schema.json", "recipe.schema.json"]
    recipe_schema = json.loads((out / "recipe.schema.json").read_text())
    assert recipe_schema["$id"] == "urn:iex:schema:recipe:1"
    assert "mapping.schema.json" not in json.dumps(recipe_schema)  # self-contained for editors
    # the written schema accepts the good recipe and rejects a typo, on its own
    validator = Draft202012Validator(recipe_schema)
    good = yamlpos.load(project / "recipes" / "shop-ledger.yaml").data
    assert list(validator.iter_errors(good)) == []
    good["flows"]["orders"]["stpes"] = good["flows"]["orders"].pop("steps")
    assert any(e.validator in ("additionalProperties", "required") for e in validator.iter_errors(good))


def test_every_schema_property_has_a_description():
    from engine import schemas

    def subschemas(schema):
        for key in ("properties", "patternProperties", "$defs"):
            yield from (schema.get(key) or {}).values()
        for key in ("items", "additionalProperties", "propertyNames", "if", "then", "else"):
            if isinstance(schema.get(key), dict):
                yield schema[key]
        for key in ("oneOf", "anyOf", "allOf"):
            yield from schema.get(key) or []

    def walk(schema, path):
        for name, sub in (schema.get("properties") or {}).items():
            assert "description" in sub, f"{path}.{name} has no description"
        if schema.get("type") == "object" and "properties" in schema:
            assert "additionalProperties" in schema, f"{path} is open"
        for sub in subschemas(schema):
            walk(sub, path + "/")

    for kind in schemas.KINDS:
        walk(schemas.load(kind), kind)


def test_pre_commit_hook_runs_iex_validate():
    from pathlib import Path

    hooks = yamlpos.load(Path(__file__).resolve().parents[3] / ".pre-commit-hooks.yaml").data
    hook = next(h for h in hooks if h["id"] == "iex-validate")
    assert hook["entry"] == "iex validate" and hook["language"] == "python"
    assert shutil.which  # the entry is the installed console script
