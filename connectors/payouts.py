"""What the payout connectors (``stripe``, ``clearhaus``, ``vipps``, ``zettle``,
``shopify_payments``) share: an HTTP client made on first use, so declaring and validating need no
credentials; the settings it needs; the ``payouts`` cursor; the ``payout_lines`` option."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.connector import Connector, Record, Runtime
from engine.errors import ConfigError
from engine.http import HttpClient
from engine.oauth import BearerToken
from engine.secrets import Secret

JSON = dict[str, Any]


class PayoutConnector(Connector):
    """A payout connector: ``connect()`` makes its API client (and ``token``, if the API wants one)."""

    capabilities = frozenset({"poll"})

    def __init__(self, settings: Mapping[str, Any], runtime: Runtime) -> None:
        super().__init__(settings, runtime)
        self._client: HttpClient | None = None
        self.token: BearerToken | None = None

    def connect(self) -> HttpClient:
        raise NotImplementedError

    @property
    def client(self) -> HttpClient:
        """Made on first use, so declaring and validating need no credentials."""
        if self._client is None:
            self._client = self.connect()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self.token is not None:
            self.token.close()

    def required(self, *names: str) -> list[str]:
        """The named settings as plain text (wrap a secret in ``Secret`` again where it is sent),
        or the ConfigError that says the connection needs them."""
        values = [self.settings.get(name) for name in names]
        if not all(values):
            listed = " and ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} and {names[-1]}"
            raise ConfigError(f"the {self.name} connection needs {listed} (a ${{env:...}} reference)")
        return [value.reveal() if isinstance(value, Secret) else str(value) for value in values]

    def get_with_token(self, target: str, params: JSON | None = None) -> Any:
        """GET with the bearer token ``connect()`` made (see ``BearerToken.get_json``)."""
        client = self.client
        assert self.token is not None
        return self.token.get_json(client, target, params)


@dataclass(frozen=True)
class PayoutCursor:
    """Where the ``payouts`` stream stopped: the newest moment read (``field``: a date, a
    timestamp, unix seconds) and the ids read on it, so payouts sharing a moment are never lost."""

    field: str
    since: Any
    seen: frozenset[str]

    @classmethod
    def read(cls, state: JSON | None, field: str) -> PayoutCursor:
        return cls(field, (state or {}).get(field), frozenset((state or {}).get("ids") or []))

    def records(self, payouts: Iterable[tuple[Any, str, JSON]]) -> Iterator[Record]:
        """Records of ``(moment, id, data)`` given oldest first, leaving out those read on the
        cursor's moment before; each record carries the cursor after it."""
        boundary, boundary_ids = self.since, list(self.seen)
        for moment, key, data in payouts:
            if moment == self.since and key in self.seen:
                continue
            if moment != boundary:
                boundary, boundary_ids = moment, []
            boundary_ids.append(key)
            yield Record(key=key, data=data, cursor={self.field: boundary, "ids": list(boundary_ids)})


def payout_option(options: JSON, what: str, valid: Callable[[str], Any] = bool) -> str:
    """The ``payout_lines`` option ``payout`` as text, or the ConfigError that says what it must be."""
    wanted = str(options.get("payout") or "")
    if not valid(wanted):
        raise ConfigError(f"payout_lines needs option payout ({what})" + (f", not {wanted!r}" if wanted else ""))
    return wanted
