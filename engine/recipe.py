"""The loaded recipe: typed, validated, every template compiled once.

The runner codes against these classes; it never reads recipe YAML itself. ``load_recipe``
validates first (all located problems in one ConfigError), then builds.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine import yamlpos
from engine.errors import ConfigError, IexError, Location
from engine.expressions import Compiled, Selector, compile_condition, compile_selector, compile_value
from engine.mapping import Mapping, compile_mapping
from engine.validate.settings import customer_schema, with_defaults

DIGEST_LENGTH = 12
_INTERVAL_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class ConnectionDecl:
    name: str
    connector: str
    settings: dict            # the recipe's non-secret defaults; the instance overlays them


@dataclass(frozen=True)
class Source:
    connection: str
    stream: str
    options: dict             # name -> Compiled; evaluate with {"settings": ...}


@dataclass(frozen=True)
class Trigger:
    every: timedelta | None
    cron: str | None
    webhook: bool
    manual: bool              # True when the recipe gives no trigger: runs only on demand


@dataclass(frozen=True)
class Step:
    name: str
    connection: str
    action: str
    input: Mapping
    when: Compiled | None
    on_change: str | Compiled  # "update" | "ignore", or a template over settings giving one of them


@dataclass(frozen=True)
class Flow:
    name: str
    description: str
    source: Source
    trigger: Trigger
    filter: Compiled | None
    key: Selector
    refs: dict[str, Compiled]
    concurrency_key: Compiled | None
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Recipe:
    name: str
    version: str
    path: Path
    description: str
    settings_schema: dict     # JSON Schema of the customer settings (closed object)
    connections: dict[str, ConnectionDecl]
    flows: dict[str, Flow]
    digest: str               # sha256 over the recipe and its mapping files, first 12 hex digits


def load_recipe(path: str | Path) -> Recipe:
    """Validate the recipe (and its mapping files), then build it. Raises ConfigError listing
    every located problem."""
    from engine.validate import CannotRun, validate_as
    from engine.validate.problems import raise_if_errors

    path = Path(path)
    try:
        problems = validate_as("recipe", path)
    except CannotRun as exc:
        raise ConfigError(str(exc), location=Location(file=str(path))) from None
    raise_if_errors(problems, f"recipe {path}")
    return build_recipe(path)


def build_recipe(path: Path) -> Recipe:
    """Build a recipe that has already been validated (``load_instance`` validates the whole
    instance first, then builds each recipe once)."""
    doc = yamlpos.load(path)
    data = doc.data
    base_dir = path.parent
    mapping_files: set[Path] = set()
    connections = {
        name: ConnectionDecl(name, conn["connector"], dict(conn.get("settings") or {}))
        for name, conn in data["connections"].items()
    }
    flows = {
        name: _flow(name, flow, base_dir, doc.name, mapping_files)
        for name, flow in data["flows"].items()
    }
    return Recipe(
        name=data["name"],
        version=data["version"],
        path=path,
        description=data.get("description", ""),
        settings_schema=customer_schema(data.get("settings")) or {"type": "object"},
        connections=connections,
        flows=flows,
        digest=_digest(path, mapping_files),
    )


def apply_settings(recipe: Recipe, settings: dict) -> dict:
    """The customer's settings with defaults filled in, checked against the recipe's settings
    schema. Raises ConfigError naming every wrong setting."""
    from engine.validate.schema_check import check

    values = with_defaults({"properties": recipe.settings_schema.get("properties", {})}, settings or {})
    doc = yamlpos.Document("settings", "", values, {}, {})
    problems = check(doc, recipe.settings_schema, what="setting")
    if problems:
        listing = "; ".join(f"{p.path.replace('$', 'settings', 1)}: {p.message}"
                            + (f" (did you mean {p.suggestion!r}?)" if p.suggestion else "") for p in problems)
        raise ConfigError(f"settings for recipe {recipe.name} are not valid: {listing}")
    for flow in recipe.flows.values():
        for step in flow.steps:
            change_policy(step.on_change, values, where=f"{recipe.path}: flows.{flow.name} step {step.name} on_change")
    return values


def parse_interval(text: str) -> timedelta:
    """``5m``, ``1h30m``, ``30s``, ``1d`` -> timedelta."""
    parts = re.findall(r"(\d+)([smhd])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not an interval: {text!r}")
    return sum((timedelta(**{_INTERVAL_UNITS[unit]: int(n)}) for n, unit in parts), timedelta())


def _flow(name: str, flow: dict, base_dir: Path, origin: str, mapping_files: set[Path]) -> Flow:
    source = flow["source"]
    trigger = flow.get("trigger") or {"manual": True}
    return Flow(
        name=name,
        description=flow.get("description", ""),
        source=Source(
            connection=source["connection"],
            stream=source["stream"],
            options={k: compile_value(v) for k, v in (source.get("options") or {}).items()},
        ),
        trigger=Trigger(
            every=parse_interval(trigger["every"]) if "every" in trigger else None,
            cron=trigger.get("cron"),
            webhook=bool(trigger.get("webhook", False)),
            manual=bool(trigger.get("manual", False)),
        ),
        filter=compile_condition(flow["filter"]) if "filter" in flow else None,
        key=compile_selector(flow["key"]),
        refs={k: compile_value(v) for k, v in (flow.get("refs") or {}).items()},
        concurrency_key=compile_value(flow["concurrency_key"]) if "concurrency_key" in flow else None,
        steps=tuple(_step(step, i, name, base_dir, origin, mapping_files) for i, step in enumerate(flow["steps"])),
    )


def _step(step: dict, index: int, flow: str, base_dir: Path, origin: str, mapping_files: set[Path]) -> Step:
    connection, action = step["action"].split(".")
    raw = step.get("input")
    if isinstance(raw, str):
        target = (base_dir / raw).resolve()
        mapping = _mapping_file(target, mapping_files)
    else:
        body = raw if raw is not None else {"fields": {}}
        where = f"{origin}:flows.{flow}.steps[{index}].input"
        mapping = compile_mapping(body, origin=where, base_dir=base_dir)
        _collect_uses(body, base_dir, mapping_files)
    return Step(
        name=step["name"],
        connection=connection,
        action=action,
        input=mapping,
        when=compile_condition(step["when"]) if "when" in step else None,
        on_change=_on_change(step.get("on_change", "ignore")),
    )


CHANGE_POLICIES = ("update", "ignore")


def _on_change(value: str) -> str | Compiled:
    compiled = compile_value(value)
    return compiled if compiled.is_template else value


def change_policy(on_change: Any, settings: dict, *, where: str = "on_change") -> str:
    """What a step does when its input changed after it succeeded, for one integration:
    ``update`` or ``ignore``. A template (``"{{ 'update' if settings.update_drafts else
    'ignore' }}"``) is evaluated over the integration's settings only; anything else it gives is
    a ConfigError naming ``where``."""
    if not hasattr(on_change, "evaluate"):
        return str(on_change)
    try:
        value = on_change.evaluate({"settings": settings}, field_path=where)
    except IexError as exc:
        raise ConfigError(f"{where}: {exc.message}") from None
    if isinstance(value, str):
        value = value.strip()
    if value not in CHANGE_POLICIES:
        shown = repr(value) if isinstance(value, str | bool | int | None) else type(value).__name__
        raise ConfigError(f"{where} gave {shown[:60]}; it must give update or ignore")
    return value


def _mapping_file(path: Path, mapping_files: set[Path]) -> Mapping:
    """Compile a mapping file read with iex's YAML rules (Decimal numbers, YAML 1.2 types)."""
    doc = yamlpos.load(path)
    mapping_files.add(path)
    _collect_uses(doc.data, path.parent, mapping_files)
    return compile_mapping(doc.data, origin=doc.name, base_dir=path.parent)


def _collect_uses(node: Any, base_dir: Path, found: set[Path]) -> None:
    """Every file reached through ``$use`` (for the digest)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$use" and isinstance(value, str):
                target = (base_dir / value).resolve()
                if target not in found and target.is_file():
                    found.add(target)
                    _collect_uses(yamlpos.load(target).data, target.parent, found)
            else:
                _collect_uses(value, base_dir, found)
    elif isinstance(node, list):
        for item in node:
            _collect_uses(item, base_dir, found)


def _digest(path: Path, mapping_files: set[Path]) -> str:
    """Changes when the recipe or any mapping it uses changes; stored with ledger entries."""
    h = hashlib.sha256()
    for file in [path.resolve(), *sorted(mapping_files)]:
        h.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return h.hexdigest()[:DIGEST_LENGTH]


__all__ = [
    "ConnectionDecl", "Flow", "Recipe", "Source", "Step", "Trigger",
    "apply_settings", "build_recipe", "change_policy", "load_recipe", "parse_interval",
]
