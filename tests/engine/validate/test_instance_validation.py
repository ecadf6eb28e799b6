"""`iex validate iex.yaml`: the instance with its recipes, settings and connection secrets."""

from __future__ import annotations

import json


def edit(project, old: str, new: str) -> None:
    path = project / "iex.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_good_instance_is_valid(iex, project):
    result = iex("validate")  # no path: iex.yaml in the working directory
    assert (result.exit_code, result.lines) == (0, [])


def test_literal_secret_is_refused_without_being_printed(iex, project):
    edit(project, '"${file:secrets/shop_secret}"', "cs_live_4f9a8b7c6d5e")
    result = iex("validate")
    assert result.exit_code == 1
    assert result.lines == [
        "iex.yaml:8:93: error: 'consumer_secret' is a secret: write a reference such as ${env:NAME} or "
        "${file:path} here instead of the value itself [$.integrations.webshop.connections.shop.consumer_secret]"
    ]
    as_json = iex("validate", "--format", "json")
    assert "cs_live" not in result.out + result.err + as_json.out + as_json.err


def test_literal_secret_of_wrong_type_is_not_printed_either(iex, project):
    edit(project, '"${env:LEDGER_APP}"', "987654321")
    result = iex("validate", "--format", "json")
    report = json.loads(result.out)
    assert [p["path"] for p in report["problems"]] == ["$.integrations.webshop.connections.ledger.app_secret_token"]
    assert "987654321" not in result.out


def test_unset_environment_variable_is_a_warning(iex, project, monkeypatch):
    monkeypatch.delenv("SHOP_KEY")
    result = iex("validate")
    assert result.exit_code == 0
    assert result.lines == ["iex.yaml:8:57: warning: environment variable SHOP_KEY is not set "
                            "[$.integrations.webshop.connections.shop.consumer_key]"]


def test_settings_are_checked_against_the_recipe(iex, project):
    edit(project, "settings: {customer_group: 3, layout: compact}", "settings: {customer_group: three, layuot: compact}")
    result = iex("validate")
    assert result.lines == [
        "iex.yaml:6:32: error: expected a whole number, got string 'three' "
        "[$.integrations.webshop.settings.customer_group]",
        "iex.yaml:6:39: error: unknown key 'layuot'; did you mean 'layout'? [$.integrations.webshop.settings.layuot]",
    ]


def test_missing_required_setting_and_enum(iex, project):
    edit(project, "settings: {customer_group: 3, layout: compact}", "settings: {layout: compakt}")
    result = iex("validate")
    assert result.lines == [
        "iex.yaml:6:5: error: missing required key 'customer_group' [$.integrations.webshop.settings.customer_group]",
        "iex.yaml:6:24: error: expected one of 'standard', 'compact'; got 'compakt'; did you mean 'compact'? "
        "[$.integrations.webshop.settings.layout]",
    ]


def test_connection_settings_follow_the_connector_schema(iex, project):
    edit(project, 'url: "https://shop.example"', 'url: "shop.example", pagesize: 10')
    result = iex("validate")
    assert result.lines == [
        "iex.yaml:8:19: error: invalid value 'shop.example': must match the pattern ^https?:// "
        "[$.integrations.webshop.connections.shop.url]",
        "iex.yaml:8:35: error: unknown key 'pagesize'; did you mean 'page_size'? "
        "[$.integrations.webshop.connections.shop.pagesize]",
    ]


def test_a_plain_http_url_is_refused_unless_it_is_loopback(iex, project):
    edit(project, 'url: "https://shop.example"', 'url: "http://shop.example"')
    result = iex("validate")
    assert result.exit_code == 1
    assert result.lines == [
        "iex.yaml:8:19: error: http://shop.example is not an https:// URL; plain http is allowed only for "
        "loopback addresses (127.0.0.1, ::1, localhost) [$.integrations.webshop.connections.shop.url]",
    ]
    edit(project, 'url: "http://shop.example"', 'url: "http://127.0.0.1:8081"')
    assert iex("validate").exit_code == 0


def test_unknown_connection_name(iex, project):
    edit(project, "      ledger: {app", "      ledgr: {app")
    result = iex("validate")
    assert ("iex.yaml:9:7: error: recipe recipes/shop-ledger.yaml has no connection 'ledgr' (it has: shop, ledger); "
            "did you mean 'ledger'? [$.integrations.webshop.connections.ledgr]") in result.lines
    # the recipe's ledger connection now has no credentials: reported where they belong
    assert ("iex.yaml:7:5: error: missing required key 'app_secret_token' "
            "[$.integrations.webshop.connections.ledger.app_secret_token]") in result.lines


def test_missing_recipe_file(iex, project):
    edit(project, "recipe: recipes/shop-ledger.yaml", "recipe: recipes/shop.yaml")
    result = iex("validate")
    assert len(result.lines) == 1
    assert result.lines[0].startswith("iex.yaml:5:13: error: recipe file recipes/shop.yaml not found")


def test_instance_pulls_in_recipe_and_mapping_problems(iex, project):
    mapping = project / "mappings" / "address.yaml"
    mapping.write_text(mapping.read_text().replace("{{ address.city }}", "{{ address.city }"))
    result = iex("validate")
    assert result.exit_code == 1
    assert [line.split(": error:")[0] for line in result.lines] == ["mappings/address.yaml:5:26"]
    assert "template syntax error" in result.lines[0]


def test_instance_structure_errors(iex, project):
    (project / "iex.yaml").write_text("iex: 2\nintegrations: {}\nserve: {host: x, port: 99999}\nstate: {pth: a}\n")
    result = iex("validate")
    assert result.lines == [
        "iex.yaml:1:6: error: expected 1, got number 2 [$.iex]",
        "iex.yaml:2:15: error: needs at least 1 entry [$.integrations]",
        "iex.yaml:3:24: error: must be at most 65535, got number 99999 [$.serve.port]",
        "iex.yaml:4:9: error: unknown key 'pth'; did you mean 'path'? [$.state.pth]",
    ]


def test_an_optional_connection_may_be_left_out(iex, project):
    recipe = project / "recipes" / "shop-ledger.yaml"
    recipe.write_text(recipe.read_text().replace(
        "  ledger: {connector: fakeledger}\n",
        "  ledger: {connector: fakeledger}\n  payouts: {connector: fakeledger, optional: true}\n"))
    assert (iex("validate").exit_code, iex("validate").lines) == (0, [])
    edit(project, '      ledger: {app_secret_token: "${env:LEDGER_APP}", agreement_grant_token: "${env:LEDGER_GRANT}"}\n',
         '      ledger: {app_secret_token: "${env:LEDGER_APP}", agreement_grant_token: "${env:LEDGER_GRANT}"}\n'
         '      payouts: {app_secret_token: "${env:LEDGER_APP}"}\n')
    given = iex("validate")
    assert given.exit_code == 1 and "agreement_grant_token" in given.out    # given, it is checked in full


PAYMATCH_SETTING = ("    paymatch: {$ref: \"https://iex.dev/schemas/paymatch-settings.json\", type: object, "
                    "title: PayMatch, description: Payout matching}\n")


def test_a_setting_may_be_a_schema_iex_ships_and_is_checked_in_full(iex, project):
    recipe = project / "recipes" / "shop-ledger.yaml"
    recipe.write_text(recipe.read_text().replace("  required: [customer_group]\n", PAYMATCH_SETTING + "  required: [customer_group]\n"))
    edit(project, "settings: {customer_group: 3, layout: compact}",
         "settings: {customer_group: 3, layout: compact, paymatch: {journal: {number: 2}, "
         "accounts: {bank: 5820, clearing: 5830, fees: 7220, errors: 7260, suspense: nine}}}")
    result = iex("validate")
    assert result.exit_code == 1
    [line] = result.lines
    assert "iex.yaml:6:" in line and "expected a whole number, got string 'nine'" in line
    assert "[$.integrations.webshop.settings.paymatch.accounts.suspense]" in line
    edit(project, "suspense: nine", "suspense: 7260")
    assert (iex("validate").exit_code, iex("validate").lines) == (0, [])


def test_a_wrong_default_of_a_shipped_schema_is_the_recipes_problem(iex, project):
    recipe = project / "recipes" / "shop-ledger.yaml"
    setting = PAYMATCH_SETTING.replace("}\n", ", default: {journal: {number: 2}}}\n")
    recipe.write_text(recipe.read_text().replace("  required: [customer_group]\n", setting + "  required: [customer_group]\n"))
    result = iex("validate", "recipes/shop-ledger.yaml")
    assert result.exit_code == 1 and "missing required key 'accounts'" in result.out
