"""The connector contract.

A connector is a plugin for one system. It declares, as class attributes, what it needs
(``settings_schema``), what it can read (``@stream`` methods), what it can do (``@action``
methods, each with an input schema) and its capabilities. Connectors register through the
entry-point group ``iex.connectors``; ``engine.registry`` finds them, validation reads their
declarations, and the runner calls them.

Every action must be safe to call again for the same ``ctx.idempotency_key``. The runner's ledger
prevents repeats in normal operation; after a crash, a step left ``pending`` is settled by the
action's *finder* (``@create_invoice.finder``), which asks the target system whether the effect
already exists (e-conomic: search ``references.other``) before the action is sent again.

Example::

    class EconomicConnector(Connector):
        name = "economic"
        settings_schema = {...}

        @action(input_schema={...}, description="Create (and book) an invoice")
        def create_invoice(self, data: dict, ctx: ActionContext) -> dict: ...

        @create_invoice.finder
        def find_invoice(self, data: dict, ctx: ActionContext) -> dict | None: ...

        @stream(description="Booked invoices, oldest first")
        def booked_invoices(self, state: dict | None, options: dict) -> Iterator[Record]: ...
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from engine.errors import IexError

JSON = dict[str, Any]


@dataclass
class Record:
    """One source record. ``key`` is its identity (the idempotency key of the flow), ``cursor``
    the stream state to store once this record and all before it are settled.

    A record whose ``data`` is None is a *checkpoint*: nothing is processed, but its cursor is
    stored once every record before it is settled (a stream that read pages with nothing new)."""

    key: str
    data: JSON | None
    cursor: JSON | None = None
    #: set when the source could not read this record (a malformed CSV row): the runner
    #: dead-letters it under step "(read)" and goes on, so one bad row never stops a file
    error: "IexError | None" = None
    #: the source's version of this record (WooCommerce: ``date_modified_gmt``), or None. Versions
    #: of one source compare as text, so they need a fixed-width sortable form (ISO 8601 UTC). The
    #: runner keeps the newest version it settled per record and skips an older one as stale (a
    #: webhook delivered late or replayed must not roll a document back).
    version: str | None = None


@dataclass
class ActionContext:
    """What an action knows about the call besides its input."""

    idempotency_key: str                 # stable for (integration, flow, record key, step)
    record_key: str
    previous: JSON | None = None         # last successful result when the input changed (update mode)
    dry_run: bool = False                # plan: GETs are real, writes are echoed, nothing is sent


@dataclass
class WebhookResult:
    """What a connector makes of one webhook delivery."""

    status: int = 200                    # what to answer the sender
    records: list[Record] = field(default_factory=list)
    stream: str | None = None            # the stream these records belong to
    message: str = ""


class Runtime:
    """Services the engine lends a connector: the shared HTTP client, a per-run cache, counters
    and a logger. One Runtime per run; connectors must not keep module-level state."""

    def __init__(self, *, dry_run: bool = False, logger: logging.Logger | None = None) -> None:
        self.dry_run = dry_run
        self.cache: dict[str, Any] = {}
        self.metrics: Counter[str] = Counter()
        self.log = logger or logging.getLogger("iex")
        self._clients: list[Any] = []

    def http(self, base_url: str, **options: Any) -> Any:
        """A configured ``engine.http.HttpClient`` (timeouts, retries, Retry-After, rate budget,
        secret masking, plan mode). Every HTTP call a connector makes goes through it. Keep the
        client for the connector's lifetime: each one holds a connection pool, closed by close()."""
        from engine.http import HttpClient

        client = HttpClient(base_url, runtime=self, **options)
        self._clients.append(client)
        return client

    def close(self) -> None:
        """Close every HTTP client lent during the run."""
        while self._clients:
            self._clients.pop().close()


class _Declared:
    """Shared machinery of @action and @stream: remember the function, register on the class."""

    kind: ClassVar[str]

    def __init__(self, fn: Callable[..., Any], **meta: Any) -> None:
        self.fn = fn
        self.name: str = meta.pop("name", None) or fn.__name__
        self.description: str = meta.pop("description", "") or (fn.__doc__ or "").strip().split("\n")[0]
        self.meta = meta

    def __set_name__(self, owner: type, attr: str) -> None:
        registry = owner.__dict__.get(f"_{self.kind}s")
        if registry is None:
            inherited = {}
            for base in reversed(owner.__mro__[1:]):
                inherited.update(getattr(base, f"_{self.kind}s", {}))
            registry = dict(inherited)
            setattr(owner, f"_{self.kind}s", registry)
        registry[self.name] = self

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else self.fn.__get__(obj, owner)


class ActionSpec(_Declared):
    kind = "action"

    def __init__(self, fn: Callable[..., JSON], **meta: Any) -> None:
        self.input_schema: JSON = meta.pop("input_schema", {"type": "object"})
        self.effect: bool = meta.pop("effect", True)        # False: a pure lookup, safe to repeat
        self.updatable: bool = meta.pop("updatable", False)  # may be called again with ctx.previous
        super().__init__(fn, **meta)
        self.find: Callable[..., JSON | None] | None = None

    def finder(self, fn: Callable[..., JSON | None]) -> Callable[..., JSON | None]:
        """Register the method that finds this action's effect after a crash."""
        self.find = fn
        return fn


class StreamSpec(_Declared):
    kind = "stream"

    def __init__(self, fn: Callable[..., Iterator[Record]], **meta: Any) -> None:
        self.options_schema: JSON = meta.pop("options_schema", {"type": "object"})
        super().__init__(fn, **meta)


def action(
    fn: Callable[..., JSON] | None = None,
    *,
    input_schema: JSON | None = None,
    description: str = "",
    name: str | None = None,
    effect: bool = True,
    updatable: bool = False,
) -> Any:
    """Declare a connector action. ``input_schema`` is JSON Schema for the mapped input."""

    def wrap(f: Callable[..., JSON]) -> ActionSpec:
        return ActionSpec(
            f,
            input_schema=input_schema or {"type": "object"},
            description=description,
            name=name,
            effect=effect,
            updatable=updatable,
        )

    return wrap(fn) if fn is not None else wrap


def stream(
    fn: Callable[..., Iterator[Record]] | None = None,
    *,
    description: str = "",
    name: str | None = None,
    options_schema: JSON | None = None,
) -> Any:
    """Declare a readable stream: ``method(self, state, options) -> Iterator[Record]``."""

    def wrap(f: Callable[..., Iterator[Record]]) -> StreamSpec:
        return StreamSpec(f, description=description, name=name, options_schema=options_schema or {"type": "object"})

    return wrap(fn) if fn is not None else wrap


class Connector:
    """Base class of every connector plugin."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    #: JSON Schema (draft 2020-12) of the connection settings. Secret properties carry
    #: ``"x-secret": true``: validation then accepts only ``${env:..}``/``${file:..}`` references.
    settings_schema: ClassVar[JSON] = {"type": "object", "properties": {}, "additionalProperties": False}
    #: e.g. {"poll", "webhook", "idempotent_actions", "batch"}
    capabilities: ClassVar[frozenset[str]] = frozenset()
    #: "module:function" returning the sandbox's ASGI app, or None
    sandbox: ClassVar[str | None] = None
    #: a payout connector (streams ``payouts`` and ``payout_lines``) names the PayMatch format
    #: its ``payout_lines`` records are read with, e.g. "stripe_balance"
    payout_format: ClassVar[str | None] = None

    _actions: ClassVar[dict[str, ActionSpec]] = {}
    _streams: ClassVar[dict[str, StreamSpec]] = {}

    def __init__(self, settings: Mapping[str, Any], runtime: Runtime) -> None:
        self.settings = dict(settings)
        self.runtime = runtime

    # -- declarations -------------------------------------------------------------------
    @classmethod
    def actions(cls) -> dict[str, ActionSpec]:
        return dict(cls._actions)

    @classmethod
    def streams(cls) -> dict[str, StreamSpec]:
        return dict(cls._streams)

    @classmethod
    def secret_fields(cls) -> set[str]:
        props = cls.settings_schema.get("properties", {})
        return {k for k, v in props.items() if isinstance(v, dict) and v.get("x-secret")}

    # -- calls the runner makes ------------------------------------------------------------
    def read(self, stream_name: str, state: JSON | None, options: JSON) -> Iterator[Record]:
        spec = self._streams[stream_name]
        return spec.fn(self, state, options)

    def run_action(self, action_name: str, data: JSON, ctx: ActionContext) -> JSON:
        return self._actions[action_name].fn(self, data, ctx)

    def find_effect(self, action_name: str, data: JSON, ctx: ActionContext) -> JSON | None:
        """After a crash: the effect of this action if it already exists, else None. Raises
        LookupError when the action cannot tell (no finder and it has an effect)."""
        spec = self._actions[action_name]
        if spec.find is None:
            if not spec.effect:
                return None
            raise LookupError(f"action {self.name}.{action_name} cannot look up its own effect")
        return spec.find(self, data, ctx)

    def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookResult:
        """Verify (on the raw bytes, before parsing) and parse one webhook delivery."""
        raise NotImplementedError(f"connector {self.name} takes no webhooks")

    def close(self) -> None:
        """Release clients and files at the end of a run."""
