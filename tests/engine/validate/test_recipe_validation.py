"""`iex validate` on recipes: each kind of mistake is one located error, valid recipes pass."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "validate"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_five_mistakes_give_five_located_errors(iex, tmp_path, monkeypatch):
    shutil.copy(FIXTURES / "bad" / "five-errors.yaml", tmp_path / "recipe.yaml")
    monkeypatch.chdir(tmp_path)
    result = iex("validate", "recipe.yaml")
    assert result.exit_code == 1
    assert result.lines == [
        "recipe.yaml:13:26: error: unknown key 'webhok'; did you mean 'webhook'? [$.flows.orders.trigger.webhok]",
        "recipe.yaml:14:38: error: setting 'book_invoice' is not declared in the settings; did you mean "
        "'book_invoices'? [$.flows.orders.filter]",
        "recipe.yaml:15:22: error: JMESPath syntax error: Invalid jmespath expression [$.flows.orders.key]",
        "recipe.yaml:19:15: error: expected a string, got boolean true [$.flows.orders.steps[0].when]",
        "recipe.yaml:21:46: error: template syntax error: no filter named 'nofilter' "
        "[$.flows.orders.steps[0].input.heading]",
    ]
    assert "5 errors" in result.err


def test_valid_recipe_passes(iex, project):
    result = iex("validate", "recipes/shop-ledger.yaml")
    assert (result.exit_code, result.lines) == (0, [])
    assert "valid" in result.err


def test_json_output_lists_problems_with_positions(iex, tmp_path, monkeypatch):
    shutil.copy(FIXTURES / "bad" / "five-errors.yaml", tmp_path / "recipe.yaml")
    monkeypatch.chdir(tmp_path)
    result = iex("validate", "--format", "json", "recipe.yaml")
    report = json.loads(result.out)
    assert result.exit_code == 1 and report["valid"] is False
    first = report["problems"][0]
    assert first == {"file": "recipe.yaml", "line": 13, "col": 26, "path": "$.flows.orders.trigger.webhok",
                     "message": "unknown key 'webhok'", "severity": "error", "suggestion": "webhook"}
    assert [(p["line"], p["col"]) for p in report["problems"]] == [(13, 26), (14, 38), (15, 22), (19, 15), (21, 46)]


def recipe_text(flow_body: str, *, connections: str = "  shop: {connector: fakeshop}\n  ledger: {connector: fakeledger}\n") -> str:
    return (
        "iex: 1\nname: t\nversion: \"1.0.0\"\n"
        "settings:\n  properties:\n    group: {type: integer, default: 1, title: Group, description: Customer group}\n"
        f"connections:\n{connections}"
        "flows:\n  orders:\n" + flow_body
    )


def test_unknown_connector_is_located_with_suggestion(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml", recipe_text(
        "    source: {connection: shop, stream: orders}\n    key: id\n"
        "    steps:\n      - {name: a, action: ledger.create_order, input: {x: 1}}\n",
        connections="  shop: {connector: fakeshopp}\n  ledger: {connector: fakeledger}\n"))
    result = iex("validate", "r.yaml")
    assert result.exit_code == 1
    assert result.lines == ["r.yaml:8:21: error: unknown connector 'fakeshopp' (installed: fakeledger, fakeshop); "
                            "did you mean 'fakeshop'? [$.connections.shop.connector]"]


def test_unknown_action_points_at_the_action_name(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml", recipe_text(
        "    source: {connection: shop, stream: order}\n    key: id\n"
        "    steps:\n      - name: a\n        action: ledger.create_invoic\n        input: {x: 1}\n"))
    result = iex("validate", "r.yaml")
    assert result.lines == [
        "r.yaml:12:40: error: connector 'fakeshop' has no stream 'order' (it has: orders); did you mean 'orders'? "
        "[$.flows.orders.source.stream]",
        "r.yaml:16:24: error: connector 'fakeledger' has no action 'create_invoic' (it has: create_invoice, "
        "create_order, find_or_create_customer); did you mean 'create_invoice'? [$.flows.orders.steps[0].action]",
    ]


def test_unknown_connection_in_action_and_source(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml", recipe_text(
        "    source: {connection: shopp, stream: orders}\n    key: id\n"
        "    steps:\n      - {name: a, action: ledgr.create_order}\n"))
    result = iex("validate", "r.yaml")
    messages = [line.split(": error: ")[1] for line in result.lines]
    assert messages == [
        "no connection named 'shopp' in this recipe's connections; did you mean 'shop'? [$.flows.orders.source.connection]",
        "no connection named 'ledgr' in this recipe's connections; did you mean 'ledger'? [$.flows.orders.steps[0].action]",
    ]


def test_duplicate_keys_name_both_positions(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml", "iex: 1\nname: a\nversion: \"1.0.0\"\nname: b\n")
    result = iex("validate", "r.yaml")
    assert result.exit_code == 1
    assert result.lines == ["r.yaml:4:1: error: duplicate key 'name' (first at line 2, col 1) [$.name]"]


def test_yaml_syntax_error_is_located(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "recipes" / "r.yaml", "iex: 1\nflows:\n  orders: {source: [shop\n  key: id\n")
    result = iex("validate", "recipes/r.yaml")
    assert result.exit_code == 1
    assert len(result.lines) == 1
    assert result.lines[0].startswith("recipes/r.yaml:4:")
    assert "YAML syntax error" in result.lines[0]


def test_missing_mapping_file_is_located_at_the_input(iex, project):
    (project / "mappings" / "invoice.yaml").unlink()
    result = iex("validate", "recipes/shop-ledger.yaml")
    assert result.exit_code == 1
    assert len(result.lines) == 1
    assert result.lines[0].startswith("recipes/shop-ledger.yaml:36:16: error: mapping file ../mappings/invoice.yaml not found")


def test_problems_inside_mapping_files_point_into_them(iex, project):
    text = (project / "mappings" / "invoice.yaml").read_text()
    text = text.replace("{{ settings.layout }}", "{{ settings.layuot }}").replace("steps.customer.", "steps.invoice.")
    (project / "mappings" / "invoice.yaml").write_text(text)
    result = iex("validate", "recipes/shop-ledger.yaml")
    assert result.lines == [
        "mappings/invoice.yaml:9:25: error: step 'invoice' cannot read its own result (steps.invoice) "
        "[$.fields.customer.customerNumber]",
        "mappings/invoice.yaml:10:15: error: setting 'layuot' is not declared in the settings of recipe "
        "recipes/shop-ledger.yaml; did you mean 'layout'? [$.fields.layout]",
    ]


def test_steps_can_read_only_earlier_steps(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml", recipe_text(
        "    source: {connection: shop, stream: orders}\n    key: id\n    steps:\n"
        "      - name: first\n        action: ledger.create_order\n        input: {n: \"{{ steps.second.x }}\"}\n"
        "      - name: second\n        action: ledger.create_order\n        input: {n: \"{{ steps.first.x }}\"}\n"))
    result = iex("validate", "r.yaml")
    assert result.lines == ["r.yaml:17:24: error: no earlier step named 'second' in flow 'orders' (earlier steps: "
                            "none) [$.flows.orders.steps[0].input.n]"]


def test_context_names_are_checked_per_place(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml", recipe_text(
        "    source: {connection: shop, stream: orders, options: {page_size: \"{{ record.n }}\"}}\n"
        "    filter: \"{{ steps.a.ok }}\"\n    key: id\n"
        "    steps:\n      - {name: a, action: ledger.create_order}\n"))
    result = iex("validate", "r.yaml")
    assert result.lines == [
        "r.yaml:12:73: error: source options cannot read 'record' (available here: settings) "
        "[$.flows.orders.source.options.page_size]",
        "r.yaml:13:17: error: filter cannot read 'steps' (available here: key, record, settings) [$.flows.orders.filter]",
    ]


def test_action_rules_update_and_closed_input(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml", recipe_text(
        "    source: {connection: shop, stream: orders}\n    key: id\n    steps:\n"
        "      - name: c\n        action: ledger.find_or_create_customer\n        input: {nmae: x, email: y}\n"
        "      - name: o\n        action: ledger.create_order\n        on_change: update\n"))
    result = iex("validate", "r.yaml")
    assert result.lines == [
        "r.yaml:17:17: error: action find_or_create_customer takes no field 'nmae'; did you mean 'name'? "
        "[$.flows.orders.steps[0].input.nmae]",
        "r.yaml:20:20: error: action ledger.create_order cannot update what it created; use on_change: ignore "
        "[$.flows.orders.steps[1].on_change]",
    ]


def test_settings_declaration_is_checked(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml",
          "iex: 1\nname: t\nversion: \"1.0.0\"\nsettings:\n  properties:\n"
          "    group: {type: integer, default: first, title: G, description: D}\n"
          "    mode: {type: strng, title: M, description: D}\n  required: [grop]\n"
          "connections:\n  ledger: {connector: fakeledger}\n"
          "flows:\n  o:\n    source: {connection: ledger, stream: x}\n    key: id\n"
          "    steps: [{name: a, action: ledger.create_order}]\n")
    result = iex("validate", "r.yaml")
    messages = [line.split(" [")[0] for line in result.lines]
    assert messages == [
        "r.yaml:6:37: error: expected a whole number, got string 'first'",
        "r.yaml:7:18: error: expected one of 'string', 'number', 'integer', 'boolean', 'array', 'object', 'null'; "
        "got 'strng'; did you mean 'string'?",
        "r.yaml:8:14: error: required setting 'grop' is not declared under properties; did you mean 'group'?",
        "r.yaml:13:42: error: connector 'fakeledger' has no stream 'x' (it has: none)",
    ]


def test_secret_in_recipe_defaults_is_refused(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml", recipe_text(
        "    source: {connection: shop, stream: orders}\n    key: id\n"
        "    steps: [{name: a, action: ledger.create_order}]\n",
        connections="  shop: {connector: fakeshop, settings: {consumer_secret: hunter2-very-secret}}\n"
                    "  ledger: {connector: fakeledger}\n"))
    result = iex("validate", "r.yaml")
    assert result.exit_code == 1
    assert "hunter2" not in result.out
    assert result.lines == ["r.yaml:8:42: error: 'consumer_secret' is a secret: it belongs in the instance file as a "
                            "${env:NAME} or ${file:path} reference, not in the recipe "
                            "[$.connections.shop.settings.consumer_secret]"]


def test_trigger_has_every_or_cron(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml", recipe_text(
        "    source: {connection: shop, stream: orders}\n    trigger: {every: 5m, cron: \"* * * * *\"}\n    key: id\n"
        "    steps: [{name: a, action: ledger.create_order}]\n"))
    assert iex("validate", "r.yaml").lines == [
        "r.yaml:13:26: error: a trigger has either every or cron, not both [$.flows.orders.trigger.cron]"]


def test_conditions_selectors_and_block_templates(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml", recipe_text(
        "    source: {connection: shop, stream: orders}\n"
        "    filter: \"paid: {{ record.paid }}\"\n"
        "    key: \"{{ record.id }}\"\n"
        "    steps:\n      - name: a\n        action: ledger.create_order\n"
        "        input:\n          lines: {$each: \"{{ record.lines }}\", $fields: {a: 1}}\n"
        "          note: |\n            first line\n            {{ record.x + }}\n"))
    result = iex("validate", "r.yaml")
    assert [line.split(": error: ")[0] for line in result.lines] == ["r.yaml:13:14", "r.yaml:14:11", "r.yaml:19:27", "r.yaml:22:27"]
    assert "a condition must be exactly one {{ expression }}" in result.lines[0]
    assert "a selector is plain JMESPath" in result.lines[1] and "a selector is plain JMESPath" in result.lines[2]
    assert "template syntax error" in result.lines[3]


def test_on_change_may_be_a_template_over_settings_only(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml", recipe_text(
        "    source: {connection: shop, stream: orders}\n    key: id\n    steps:\n"
        "      - name: a\n        action: ledger.create_invoice\n"
        "        on_change: \"{{ 'update' if settings.group > 1 else 'ignore' }}\"\n"
        "      - name: b\n        action: ledger.create_invoice\n        on_change: \"{{ record.mode }}\"\n"
        "      - name: c\n        action: ledger.create_invoice\n        on_change: \"{{ settings.gruop }}\"\n"
        "      - name: d\n        action: ledger.create_order\n        on_change: \"{{ 'ignore' }}\"\n"
        "      - name: e\n        action: ledger.create_invoice\n        on_change: updte\n"))
    result = iex("validate", "r.yaml")
    messages = [line.split(" [")[0] for line in result.lines]
    assert messages == [
        "r.yaml:20:24: error: on_change cannot read 'record' (available here: settings)",
        "r.yaml:23:24: error: setting 'gruop' is not declared in the settings; did you mean 'group'?",
        "r.yaml:26:20: error: action ledger.create_order cannot update what it created; use on_change: ignore",
        "r.yaml:29:20: error: expected one of 'update', 'ignore'; got 'updte'; did you mean 'update'?",
    ]


def test_an_optional_connection_is_not_for_flows(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.yaml", recipe_text(
        "    source: {connection: shop, stream: orders}\n    key: id\n"
        "    steps: [{name: a, action: ledger.create_order}]\n",
        connections="  shop: {connector: fakeshop, optional: true}\n  ledger: {connector: fakeledger}\n"))
    result = iex("validate", "r.yaml")
    assert [line.split(" [")[0] for line in result.lines] == [
        "r.yaml:12:26: error: connection 'shop' is optional (an instance may leave it out), so no flow may use it"]


def test_fields_of_a_mapping_used_at_the_top_must_be_inputs_of_the_action(iex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "base.yaml", "iex: 1\nfields:\n  name: x\n  emial: y\n")
    write(tmp_path / "r.yaml", recipe_text(
        "    source: {connection: shop, stream: orders}\n    key: id\n    steps:\n"
        "      - name: c\n        action: ledger.find_or_create_customer\n"
        "        input: {$use: ./base.yaml, nmae: z}\n"))
    result = iex("validate", "r.yaml")
    assert [line.split(" [")[0] for line in result.lines] == [
        "base.yaml:4:3: error: action find_or_create_customer takes no field 'emial'; did you mean 'email'?",
        "r.yaml:17:36: error: action find_or_create_customer takes no field 'nmae'; did you mean 'name'?",
    ]


def test_an_input_that_cannot_be_a_file_name_is_a_located_error(iex, project):
    recipe = project / "recipes" / "shop-ledger.yaml"
    text = recipe.read_text(encoding="utf-8")
    recipe.write_text(text.replace("input: ../mappings/customer.yaml", "input: " + "x" * 300, 1), encoding="utf-8")
    result = iex("validate", "recipes/shop-ledger.yaml")
    assert result.exit_code == 1
    assert result.lines == ["recipes/shop-ledger.yaml:33:16: error: mapping file " + "x" * 80
                            + "... cannot be read: File name too long [$.flows.orders.steps[0].input]"]


def test_a_mapping_with_many_unknown_keys_reports_each_once(iex, project):
    write(project / "mappings" / "customer.yaml", "iex: 1\n" + "".join(f"k{i}: {i}\n" for i in range(3000)))
    result = iex("validate", "mappings/customer.yaml")
    assert result.exit_code == 1
    assert result.lines[0] == "mappings/customer.yaml:1:1: error: missing required key 'fields' [$.fields]"
    unknown = result.lines[1:]
    assert len(unknown) == 3000 and all(f"unknown key 'k{i}'" in line for i, line in enumerate(unknown))
