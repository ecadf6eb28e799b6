"""The instance file a torture run works on: the woocommerce-economic recipe pointed at the two
sandboxes, every credential a ``${env:..}`` reference to a value only the environment holds."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.torture.sandboxes import Sandboxes

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "woocommerce-economic.yaml"
INTEGRATION = "webshop"
START_DATE = "2025-03-01"

#: environment variable -> SandboxOptions field holding its value
SECRET_ENV = {
    "IEX_TORTURE_WOO_KEY": "woo_key",
    "IEX_TORTURE_WOO_SECRET": "woo_secret",
    "IEX_TORTURE_WEBHOOK_SECRET": "webhook_secret",
    "IEX_TORTURE_ECONOMIC_APP_SECRET": "economic_app_secret",
    "IEX_TORTURE_ECONOMIC_GRANT": "economic_grant",
}


@dataclass
class TortureInstance:
    """An instance folder: ``iex.yaml``, its state file, and the environment ``iex`` needs."""

    folder: Path
    sandboxes: Sandboxes
    settings: dict[str, Any] = field(default_factory=dict)
    serve_port: int = 8088
    concurrency: int | None = None
    recipe: Path = RECIPE
    requests_per_second: int = 1000     # the e-conomic connection's rate budget (loopback: generous)
    burst: int = 1000
    max_concurrency: int = 8            # e-conomic requests in flight at once

    @property
    def path(self) -> Path:
        return self.folder / "iex.yaml"

    @property
    def state_path(self) -> Path:
        return self.folder / "state.sqlite"

    def env(self) -> dict[str, str]:
        """The process environment with the credentials set (and nothing else changed)."""
        values = {name: str(getattr(self.sandboxes.options, option)) for name, option in SECRET_ENV.items()}
        return {**os.environ, **values}

    def load(self) -> Any:
        """The instance loaded in this process (its credentials put into this process's
        environment), for benchmarks and tests that run the Runner directly."""
        from engine.instance import load_instance

        os.environ.update({name: value for name, value in self.env().items() if name in SECRET_ENV})
        return load_instance(self.write())

    def secrets(self) -> list[str]:
        """The credential values, for scanning outputs."""
        return [str(getattr(self.sandboxes.options, option)) for option in SECRET_ENV.values()]

    def write(self) -> Path:
        """(Re)write ``iex.yaml``; the state file is left as it is."""
        self.folder.mkdir(parents=True, exist_ok=True)
        settings = {"start_date": START_DATE, **default_settings(), **self.settings}
        concurrency = f"    concurrency: {self.concurrency}\n" if self.concurrency else ""
        self.path.write_text(
            "iex: 1\n"
            "state: {path: state.sqlite}\n"
            "integrations:\n"
            f"  {INTEGRATION}:\n"
            f"    recipe: {json.dumps(str(self.recipe.resolve()))}\n"
            f"    settings: {json.dumps(settings)}\n"
            f"{concurrency}"
            "    connections:\n"
            "      shop:\n"
            f"        url: {json.dumps(self.sandboxes.shop_url)}\n"
            "        consumer_key: ${env:IEX_TORTURE_WOO_KEY}\n"
            "        consumer_secret: ${env:IEX_TORTURE_WOO_SECRET}\n"
            "        webhook_secret: ${env:IEX_TORTURE_WEBHOOK_SECRET}\n"
            "      economic:\n"
            f"        base_url: {json.dumps(self.sandboxes.economic_url)}\n"
            "        app_secret_token: ${env:IEX_TORTURE_ECONOMIC_APP_SECRET}\n"
            "        agreement_grant_token: ${env:IEX_TORTURE_ECONOMIC_GRANT}\n"
            f"        rate_limit: {{requests_per_second: {self.requests_per_second}, burst: {self.burst}}}\n"
            f"        max_concurrency: {self.max_concurrency}\n"
            f"serve: {{host: 127.0.0.1, port: {self.serve_port}}}\n",
            encoding="utf-8",
        )
        return self.path


def default_settings() -> dict[str, Any]:
    """e-conomic sends an EAN invoice only with a contact person on the customer; while the
    connector keeps none, EAN invoices are booked without sending them (as ``make demo`` does)."""
    from engine.registry import get

    schema = get("economic").actions()["find_or_create_customer"].input_schema
    return {} if "contact" in schema.get("properties", {}) else {"ean_send_by_ean": False}
