"""Recipes: schema, templates, and the checks that need more than one file or the connectors.

Each check works on whatever part of the recipe is well formed, so one run reports every
problem the schema check found *and* every cross-check problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine import schemas
from engine.validate import plugins, schema_check, templates
from engine.validate.cross_check import check_references
from engine.validate.mapping_check import check_body
from engine.validate.problems import Problem, at
from engine.validate.session import file_problem
from engine.validate.settings import declared, with_shipped
from engine.validate.suggest import did_you_mean
from engine.validate.templates import TemplateUse, is_full_body
from engine.yamlpos import Document, JsonPath

if TYPE_CHECKING:
    from engine.validate.session import RecipeInfo, Session


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def check_recipe(session: Session, path: Path, doc: Document) -> RecipeInfo:
    from engine.validate.session import RecipeInfo

    problems = session.problems
    schema_problems = schema_check.check(doc, schemas.load("recipe"))
    problems.extend(schema_problems)
    data = _dict(doc.data)
    _check_settings_decl(doc, problems)
    connections = {
        name: _check_connection(doc, name, problems)
        for name, conn in _dict(data.get("connections")).items()
        if isinstance(conn, dict)
    }
    flow_check = _FlowCheck(session, doc, path.parent, connections, schema_ok=not schema_problems)
    for flow_name, flow in _dict(data.get("flows")).items():
        if isinstance(flow, dict):
            flow_check.run(flow_name)
    return RecipeInfo(doc, data.get("settings"), connections)


def _check_settings_decl(doc: Document, problems: list[Problem]) -> None:
    """The settings schema is a schema, its defaults fit it, and required names exist."""
    decl = doc.get(("settings",))
    props = declared(decl)
    for name, prop in props.items():
        path = ("settings", "properties", name)
        try:
            Draft202012Validator.check_schema(prop)
        except SchemaError:
            continue  # the recipe schema check has said what is wrong with it
        if "default" in prop:
            problems.extend(schema_check.check(doc, with_shipped(prop), base=path + ("default",), instance=prop["default"],
                                               what="default"))
    required = _dict(decl).get("required")
    for i, name in enumerate(required if isinstance(required, list) else []):
        if isinstance(name, str) and name not in props:
            problems.append(at(doc, ("settings", "required", i), f"required setting {name!r} is not declared under properties",
                               suggestion=did_you_mean(name, props)))


def _check_connection(doc: Document, name: str, problems: list[Problem]) -> Any:
    """The connector exists; the recipe's default settings are known, well typed and not secret."""
    cls = plugins.find(doc, ("connections", name, "connector"), problems)
    settings = doc.get(("connections", name, "settings"))
    if cls is None or not isinstance(settings, dict):
        return cls
    base = ("connections", name, "settings")
    secret = plugins.secret_fields(cls)
    for key in sorted(secret & set(settings)):
        problems.append(at(doc, base + (key,), f"{key!r} is a secret: it belongs in the instance file as a "
                           "${env:NAME} or ${file:path} reference, not in the recipe", key=True))
    visible = {k: v for k, v in settings.items() if k not in secret}
    problems.extend(schema_check.check(doc, plugins.relaxed_schema(cls, drop_required=True), base=base,
                                       instance=visible, what="setting"))
    return cls


class _FlowCheck:
    """Checks one flow at a time against the recipe's connections and settings."""

    def __init__(self, session: Session, doc: Document, base_dir: Path, connections: dict[str, Any], *, schema_ok: bool) -> None:
        self.session, self.doc, self.base_dir = session, doc, base_dir
        self.connections = connections
        self.problems = session.problems
        self.schema_ok = schema_ok
        self.settings = declared(doc.get(("settings",)))

    def run(self, name: str) -> None:
        base: JsonPath = ("flows", name)
        flow = _dict(self.doc.get(base))
        self._source(base)
        self._trigger(base + ("trigger",))
        recipe_uses: list[tuple[TemplateUse, str]] = []
        if "filter" in flow:
            recipe_uses += self._compiled(base + ("filter",), "condition", "filter")
        if "key" in flow:
            templates.compile_at(self.doc, base + ("key",), "selector", self.problems)
        for ref in _dict(flow.get("refs")):
            recipe_uses += self._compiled(base + ("refs", ref), "value", "refs")
        if "concurrency_key" in flow:
            recipe_uses += self._compiled(base + ("concurrency_key",), "value", "concurrency_key")
        for use, where in recipe_uses:
            check_references(use, where, self.settings, earlier=None, recipe=self.doc, flow=name, problems=self.problems)
        steps = flow.get("steps")
        self._steps(base, name, steps if isinstance(steps, list) else [])

    def _compiled(self, path: JsonPath, kind: templates.Kind, where: str) -> list[tuple[TemplateUse, str]]:
        use = templates.use_of(self.doc, path, templates.compile_at(self.doc, path, kind, self.problems))
        return [(use, where)] if use else []

    def _connector(self, path: JsonPath, connection: Any) -> Any:
        """The connector of a named connection, or None (with a problem if the name is unknown)."""
        if not isinstance(connection, str):
            return None
        if connection not in self.connections:
            self.problems.append(at(self.doc, path, f"no connection named {connection!r} in this recipe's connections",
                                    suggestion=did_you_mean(connection, self.connections)))
            return None
        if self.doc.get(("connections", connection, "optional")) is True:
            self.problems.append(at(self.doc, path, f"connection {connection!r} is optional (an instance may leave it "
                                    "out), so no flow may use it"))
        return self.connections[connection]

    def _source(self, base: JsonPath) -> None:
        path = base + ("source",)
        source = _dict(self.doc.get(path))
        cls = self._connector(path + ("connection",), source.get("connection"))
        stream = source.get("stream")
        spec = None
        if cls is not None and isinstance(stream, str):
            streams = cls.streams()
            spec = streams.get(stream)
            if spec is None:
                self.problems.append(at(self.doc, path + ("stream",), f"connector {cls.name!r} has no stream {stream!r} "
                                        f"(it has: {', '.join(sorted(streams)) or 'none'})", suggestion=did_you_mean(stream, streams)))
        options_path = path + ("options",)
        for use in templates.check_strings(self.doc, options_path, self.problems):
            check_references(use, "source options", self.settings, earlier=None, recipe=self.doc, flow=base[1], problems=self.problems)
        for sub in templates.strings_below(self.doc.data, options_path):
            if len(sub) > len(options_path) + 1 and "{{" in self.doc.get(sub):
                self.problems.append(at(self.doc, sub, "a template in source options must be a whole option value, "
                                        "not inside a list or mapping"))
        options = self.doc.get(options_path)
        if spec is not None and isinstance(options, dict):
            fixed = {k: v for k, v in options.items() if not (isinstance(v, str) and "{{" in v)}
            schema = dict(getattr(spec, "options_schema", None) or {"type": "object"})
            if isinstance(schema.get("required"), list):
                schema["required"] = [r for r in schema["required"] if r in fixed or r not in options]
            self.problems.extend(schema_check.check(self.doc, schema, base=options_path, instance=fixed, what="option"))

    def _trigger(self, path: JsonPath) -> None:
        trigger = _dict(self.doc.get(path))
        if "every" in trigger and "cron" in trigger:
            self.problems.append(at(self.doc, path + ("cron",), "a trigger has either every or cron, not both", key=True))

    def _steps(self, base: JsonPath, flow: str, steps: list) -> None:
        earlier: list[str] = []
        for i, step in enumerate(steps):
            path = base + ("steps", i)
            if not isinstance(step, dict):
                continue
            name = step.get("name")
            if isinstance(name, str) and name in earlier:
                self.problems.append(at(self.doc, path + ("name",), f"another step of flow {flow!r} is already named {name!r}"))
            spec = self._action(path + ("action",), step.get("action"))
            uses: list[TemplateUse] = []
            if "when" in step:
                uses += [u for u, _ in self._compiled(path + ("when",), "condition", "when")]
            uses += self._input(path + ("input",), step.get("input"), spec)
            on_change = step.get("on_change")
            templated = isinstance(on_change, str) and "{{" in on_change
            if (on_change == "update" or templated) and spec is not None and not getattr(spec, "updatable", False):
                self.problems.append(at(self.doc, path + ("on_change",), f"action {step.get('action')} cannot update what it "
                                        "created; use on_change: ignore"))
            if templated:
                # evaluated once per integration over its settings (engine.recipe.change_policy)
                for use, where in self._compiled(path + ("on_change",), "value", "on_change"):
                    check_references(use, where, self.settings, earlier=None, recipe=self.doc, flow=flow,
                                     problems=self.problems)
            for use in uses:
                where = "when" if use.doc is self.doc and use.path == path + ("when",) else "input"
                check_references(use, where, self.settings, earlier=list(earlier), recipe=self.doc, flow=flow,
                                 problems=self.problems, step=name if isinstance(name, str) else None)
            if isinstance(name, str):
                earlier.append(name)

    def _action(self, path: JsonPath, action: Any) -> Any:
        if not isinstance(action, str) or action.count(".") != 1:
            return None
        connection, name = action.split(".")
        cls = self._connector(path, connection)
        if cls is None:
            return None
        actions = cls.actions()
        if name not in actions:
            position = self.doc.text_position(path, 1, len(connection) + 2)
            self.problems.append(at(self.doc, path, f"connector {cls.name!r} has no action {name!r} "
                                    f"(it has: {', '.join(sorted(actions)) or 'none'})",
                                    suggestion=did_you_mean(name, actions), position=position))
            return None
        return actions[name]

    def _input(self, path: JsonPath, value: Any, spec: Any) -> list[TemplateUse]:
        """The step input: a mapping file (must exist) or an inline mapping."""
        if isinstance(value, str):
            target = self.base_dir / value
            problem = file_problem(target, value, "mapping file")
            if problem is not None:
                self.problems.append(at(self.doc, path, problem))
                return []
            info = self.session.mapping(target)
            if info is None:
                return []
            self._fields_known(info.doc, ("fields",), spec, target.parent)
            return list(info.uses)
        if isinstance(value, dict):
            self._fields_known(self.doc, path + ("fields",) if is_full_body(value) else path, spec, self.base_dir)
            return check_body(self.session, self.doc, path, self.base_dir, schema_ok=self.schema_ok)
        return []

    def _fields_known(self, doc: Document, path: JsonPath, spec: Any, base_dir: Path, depth: int = 0) -> None:
        """Top-level target fields must be inputs the action accepts (when its schema is closed),
        including those of a mapping used at the top of fields (``fields: {$use: ...}``)."""
        schema = getattr(spec, "input_schema", None)
        fields = doc.get(path)
        if not isinstance(schema, dict) or schema.get("additionalProperties") is not False or not isinstance(fields, dict):
            return
        used = fields.get("$use")
        if isinstance(used, str) and depth < 10 and file_problem(base_dir / used, used, "mapping file") is None:
            info = self.session.mapping(base_dir / used)
            if info is not None:
                self._fields_known(info.doc, ("fields",), spec, (base_dir / used).parent, depth + 1)
        accepted = _dict(schema.get("properties"))
        for key in fields:
            if not key.startswith("$") and key not in accepted:
                self.problems.append(at(doc, path + (key,), f"action {spec.name} takes no field {key!r}", key=True,
                                        suggestion=did_you_mean(key, accepted)))
