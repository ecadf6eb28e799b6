"""The loaded instance file: integrations with their recipes, settings and resolved connections.

``load_instance`` is the only place secrets are resolved (``engine.secrets.resolve``): the
validator checks that they are references, the loader reads them. Relative paths (recipes,
state file, ``${file:..}`` secrets) are relative to the instance file's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import registry, secrets, yamlpos
from engine.errors import ConfigError, Location
from engine.recipe import Recipe, apply_settings, build_recipe

DEFAULT_STATE = ".iex/state.sqlite"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8088


@dataclass(frozen=True)
class ResolvedConnection:
    name: str
    connector: str
    settings: dict            # recipe defaults overlaid by the instance; secret fields are Secret


@dataclass(frozen=True)
class Integration:
    name: str
    recipe: Recipe
    settings: dict            # the customer's settings with defaults applied
    connections: dict[str, ResolvedConnection]
    enabled: bool
    concurrency: int | None = None   # records worked on at once; None: the runner's default


@dataclass(frozen=True)
class Instance:
    path: Path
    state_path: Path
    integrations: dict[str, Integration]
    serve_host: str
    serve_port: int


def load_instance(path: str | Path, *, resolve_secrets: bool = True) -> Instance:
    """Validate the instance file with everything it pulls in, then build it and resolve the
    secrets of enabled integrations. Raises ConfigError listing every located problem (or
    every secret that cannot be resolved). ``resolve_secrets=False`` is for commands that only
    read the state (``iex dlq list|show``): every reference stays unresolved, so they work on a
    machine (or in a shell) without the credentials."""
    from engine.validate import CannotRun, validate_as
    from engine.validate.problems import raise_if_errors

    path = Path(path)
    try:
        problems = validate_as("instance", path)
    except CannotRun as exc:
        raise ConfigError(str(exc), location=Location(file=str(path))) from None
    raise_if_errors(problems, f"instance file {path}")
    doc = yamlpos.load(path)
    data, base_dir = doc.data, path.parent
    recipes: dict[Path, Recipe] = {}
    unresolved: list[str] = []
    integrations = {}
    for name, raw in data["integrations"].items():
        target = (base_dir / raw["recipe"]).resolve()
        if target not in recipes:
            recipes[target] = build_recipe(target)
        recipe = recipes[target]
        enabled = bool(raw.get("enabled", True))
        connections = {
            conn: _connection(doc, name, recipe, conn, raw, base_dir, unresolved if enabled and resolve_secrets else None)
            for conn in recipe.connections
        }
        integrations[name] = Integration(name, recipe, apply_settings(recipe, raw.get("settings") or {}), connections,
                                         enabled, raw.get("concurrency"))
    if unresolved:
        raise ConfigError("cannot resolve the secrets of the instance file:\n" + "\n".join(f"  {u}" for u in unresolved),
                          location=Location(file=doc.name))
    state = (data.get("state") or {}).get("path", DEFAULT_STATE)
    serve = data.get("serve") or {}
    return Instance(
        path=path,
        state_path=base_dir / state,
        integrations=integrations,
        serve_host=serve.get("host", DEFAULT_HOST),
        serve_port=serve.get("port", DEFAULT_PORT),
    )


def _connection(doc: yamlpos.Document, integration: str, recipe: Recipe, name: str, raw: dict, base_dir: Path,
                unresolved: list[str] | None) -> ResolvedConnection:
    """Recipe defaults overlaid by the instance. References are resolved when ``unresolved``
    is given (enabled integrations): secret fields become ``Secret``, other fields plain text.
    A disabled integration keeps its references unresolved, so its missing variables do not
    stop the others."""
    decl = recipe.connections[name]
    given = (raw.get("connections") or {}).get(name) or {}
    settings: dict[str, Any] = {**decl.settings, **given}
    if unresolved is not None:
        secret = registry.get(decl.connector).secret_fields()
        for key, value in settings.items():
            if not secrets.is_reference(value):
                continue
            try:
                resolved = secrets.resolve(value, base_dir=base_dir)
            except ConfigError as exc:
                line, col = doc.position(("integrations", integration, "connections", name, key))
                unresolved.append(f"{doc.name}:{line}:{col}: {exc.message}")
                continue
            settings[key] = resolved if key in secret else resolved.reveal()
    return ResolvedConnection(name, decl.connector, settings)
