"""The loaded Instance: integrations with recipes, settings and resolved secrets."""

from __future__ import annotations

import pytest

from engine.errors import ConfigError
from engine.instance import load_instance
from engine.secrets import Secret

# `project` (the good fixture project, cwd elsewhere, its secrets in the environment) and
# `fake_connectors` come from tests/engine/conftest.py
pytestmark = pytest.mark.usefixtures("fake_connectors")


def test_instance_is_loaded_with_resolved_secrets(project):
    instance = load_instance(project / "iex.yaml")
    assert instance.state_path == project / ".iex" / "state.sqlite"
    assert (instance.serve_host, instance.serve_port) == ("127.0.0.1", 8088)
    webshop = instance.integrations["webshop"]
    assert webshop.enabled is True
    assert webshop.recipe.name == "shop-ledger"
    assert webshop.settings == {"customer_group": 3, "layout": "compact", "statuses": ["processing", "completed"],
                                "book_invoices": True}
    shop = webshop.connections["shop"]
    assert shop.connector == "fakeshop"
    assert shop.settings["url"] == "https://shop.example"
    assert shop.settings["page_size"] == 50  # the recipe's default, not overridden
    assert isinstance(shop.settings["consumer_key"], Secret)
    assert shop.settings["consumer_key"].reveal() == "ck_shop_key_value"
    assert shop.settings["consumer_secret"].reveal() == "s3cr3t-from-file"
    assert "s3cr3t" not in repr(shop)
    assert webshop.connections["ledger"].settings["agreement_grant_token"].reveal() == "grant-token-value"


def test_unset_secret_is_a_located_config_error(project, monkeypatch):
    monkeypatch.delenv("LEDGER_APP")
    with pytest.raises(ConfigError) as caught:
        load_instance(project / "iex.yaml")
    message = str(caught.value)
    assert "iex.yaml:9:34: environment variable LEDGER_APP is not set" in message
    assert "grant-token-value" not in message and "ck_shop_key_value" not in message


def test_disabled_integration_does_not_need_its_secrets(project, monkeypatch):
    monkeypatch.delenv("LEDGER_APP")
    path = project / "iex.yaml"
    path.write_text(path.read_text().replace("    recipe: recipes/shop-ledger.yaml", "    recipe: recipes/shop-ledger.yaml\n    enabled: false"))
    webshop = load_instance(path).integrations["webshop"]
    assert webshop.enabled is False
    assert webshop.connections["ledger"].settings["app_secret_token"] == "${env:LEDGER_APP}"


def test_invalid_instance_lists_every_problem_without_secrets(project):
    path = project / "iex.yaml"
    text = path.read_text().replace('"${env:LEDGER_APP}"', "literal-secret-123").replace("customer_group: 3", "customer_group: x")
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_instance(path)
    message = str(caught.value)
    assert "2 problems" in message
    assert "app_secret_token' is a secret" in message
    assert "expected a whole number, got string 'x'" in message
    assert "literal-secret-123" not in message


def test_state_and_serve_settings(project):
    path = project / "iex.yaml"
    text = path.read_text().replace("state: {path: .iex/state.sqlite}", "state: {path: data/iex.db}")
    path.write_text(text.replace("serve: {host: 127.0.0.1, port: 8088}", "serve: {port: 9000}"))
    instance = load_instance(path)
    assert instance.state_path == project / "data" / "iex.db"
    assert (instance.serve_host, instance.serve_port) == ("127.0.0.1", 9000)
