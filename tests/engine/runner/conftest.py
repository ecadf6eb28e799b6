"""A fake target system and hand-built flows, so the runner is tested without recipes on disk.

``Box`` is the target system: what it holds (effects by idempotency key), how often it was
sent to, and switches that make the next calls fail in a given way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

import engine.registry
from engine.connector import ActionContext, Connector, Record, action, stream
from engine.expressions import compile_condition, compile_selector, compile_value
from engine.state import open_store


@dataclass
class Box:
    source: list[dict[str, Any]] = field(default_factory=list)   # what the source stream holds
    effects: dict[str, Any] = field(default_factory=dict)        # what the target holds
    sends: int = 0
    updates: list[tuple[Any, Any]] = field(default_factory=list)  # (previous, new)
    fail: dict[Any, Exception] = field(default_factory=dict)      # record id -> error to raise (once if in once)
    once: set[Any] = field(default_factory=set)
    order: list[Any] = field(default_factory=list)
    ignore_cursor: bool = False
    checkpoint: dict[str, Any] | None = None                      # a cursor the stream ends on, without a record


class FakeConnector(Connector):
    name = "fake"

    @property
    def box(self) -> Box:
        return self.settings["box"]

    @stream
    def orders(self, state, options):
        start = 0 if self.box.ignore_cursor or not state else state["next"]
        for index, row in enumerate(self.box.source[start:], start=start):
            yield Record(key=str(row["id"]), data=dict(row), cursor={"next": index + 1}, version=row.get("modified"))
        if self.box.checkpoint is not None:
            yield Record(key="(checkpoint)", data=None, cursor=self.box.checkpoint)

    def _maybe_fail(self, data):
        error = self.box.fail.get(data.get("id"))
        if error is not None:
            if data.get("id") in self.box.once:
                del self.box.fail[data["id"]]
            raise error

    @action(updatable=True)
    def create(self, data, ctx: ActionContext):
        self._maybe_fail(data)
        if ctx.dry_run:
            self.runtime.cache.setdefault("plan", []).append({"method": "POST", "url": "/things", "body": data})
            return {"number": 0}
        self.box.sends += 1
        self.box.order.append(data.get("id"))
        if ctx.previous is not None:
            self.box.updates.append((ctx.previous, data))
        number = len(self.box.effects) + 1 if ctx.idempotency_key not in self.box.effects else self.box.effects[ctx.idempotency_key]["number"]
        self.box.effects[ctx.idempotency_key] = {"number": number, "data": data}
        self.runtime.metrics["fake.calls"] += 1
        return {"number": number}

    @create.finder
    def find(self, data, ctx):
        found = self.box.effects.get(ctx.idempotency_key)
        return {"number": found["number"]} if found else None

    @action
    def blind(self, data, ctx):
        """An action with an effect and no finder."""
        self._maybe_fail(data)
        self.box.sends += 1
        self.box.effects[ctx.idempotency_key] = {"data": data}
        return {"ok": True}


class InlineMapping:
    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = {name: compile_value(source) for name, source in fields.items()}

    def evaluate(self, context):
        return {name: value.evaluate(context, field_path=name) for name, value in self.fields.items()}


@dataclass
class Step:
    name: str
    connection: str
    action: str
    input: Any = None
    when: Any = None
    on_change: str = "ignore"


@dataclass
class Source:
    connection: str
    stream: str
    options: dict = field(default_factory=dict)


@dataclass
class Flow:
    name: str
    source: Source
    steps: tuple
    key: Any = None
    filter: Any = None
    refs: dict = field(default_factory=dict)
    concurrency_key: Any = None
    trigger: Any = None
    description: str = ""


@dataclass
class Recipe:
    name: str
    flows: dict
    version: str = "1.0.0"
    digest: str = "digest-1"


@dataclass
class Conn:
    name: str
    connector: str
    settings: dict


@dataclass
class Integration:
    name: str
    recipe: Recipe
    settings: dict
    connections: dict
    enabled: bool = True


@dataclass
class Instance:
    integrations: dict


def make_step(name="send", action="create", fields=None, when=None, on_change="ignore"):
    fields = fields or {"id": "{{ record.id }}", "total": "{{ record.total }}"}
    return Step(name, "target", action, InlineMapping(fields), compile_condition(when) if when else None, on_change)


def make_flow(steps=None, *, name="orders", filter=None, refs=None, concurrency_key=None):
    return Flow(
        name=name, source=Source("shop", "orders"),
        steps=tuple(steps or [make_step()]), key=compile_selector("to_string(id)"),
        filter=compile_condition(filter) if filter else None,
        refs={k: compile_value(v) for k, v in (refs or {}).items()},
        concurrency_key=compile_value(concurrency_key) if concurrency_key else None,
    )


def make_instance(box, flows=None, settings=None, name="webshop"):
    flows = flows or [make_flow()]
    recipe = Recipe("fake-recipe", {f.name: f for f in flows})
    conns = {"shop": Conn("shop", "fake", {"box": box}), "target": Conn("target", "fake", {"box": box})}
    return Instance({name: Integration(name, recipe, settings or {}, conns)})


@pytest.fixture(autouse=True)
def fake_connector():
    available = engine.registry.connectors()
    available["fake"] = FakeConnector
    yield
    available.pop("fake", None)


@pytest.fixture
def box():
    return Box()


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "state.sqlite")
    yield s
    s.close()


@pytest.fixture
def kit():
    """The builders, for tests that shape their own flows."""
    return type("Kit", (), {"step": staticmethod(make_step), "flow": staticmethod(make_flow),
                            "instance": staticmethod(make_instance)})
