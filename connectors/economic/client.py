"""HTTP access to e-conomic: the two hosts, paging over ``nextPage``, filter strings, key encoding.

Everything else in this package talks to e-conomic through ``EconomicApi``; it never builds a
URL, a filter or a header by itself, so the escaping rules live in exactly one place.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

from engine.connector import Runtime
from engine.secrets import Secret

from connectors.economic.errors import NotFoundError, parse_error

REAL_REST_URL = "https://restapi.e-conomic.com"
REAL_JOURNALS_URL = "https://apis.e-conomic.com/journalsapi/v5.0.0"
JOURNALS_PATH = "/journalsapi/v5.0.0"
MAX_PAGE_SIZE = 1000  # e-conomic's maxPageSizeAllowed on legacy REST collections

# e-conomic's escapes inside a filter value; "$" first so the others are not escaped twice.
_FILTER_ESCAPES = [("$", "$$"), ("(", "$("), (")", "$)"), ("*", "$*"), (",", "$,"), ("[", "$["), ("]", "$]")]

# Self-link encoding of string keys (productNumber); "_" first, the rest then URL-encoded.
_KEY_ESCAPES = [
    ("_", "_8_"), ("<", "_0_"), (">", "_1_"), ("*", "_2_"), ("%", "_3_"), (":", "_4_"), ("&", "_5_"),
    ("/", "_6_"), ("\\", "_7_"), (" ", "_9_"), ("?", "_10_"), (".", "_11_"), ("#", "_12_"), ("+", "_13_"),
]

_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def escape_filter_value(value: str) -> str:
    """Escape a literal for e-conomic's filter syntax (the HTTP layer URL-encodes it after)."""
    for raw, escaped in _FILTER_ESCAPES:
        value = value.replace(raw, escaped)
    return value


def filter_eq(field: str, value: Any) -> str:
    """``field$eq:value`` with the value escaped; None becomes e-conomic's ``$null:``."""
    if value is None:
        return f"{field}$eq:$null:"
    if isinstance(value, bool):
        return f"{field}$eq:{str(value).lower()}"
    return f"{field}$eq:{escape_filter_value(str(value))}"


def filter_gte(field: str, value: str) -> str:
    return f"{field}$gte:{escape_filter_value(value)}"


def encode_key(number: str) -> str:
    """A string key (productNumber) as it appears in a self link, e.g. ``SKU/1 2`` -> ``SKU_6_1_9_2``."""
    for raw, escaped in _KEY_ESCAPES:
        number = number.replace(raw, escaped)
    return quote(number, safe="")


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in _LOOPBACK_HOSTS or host.startswith("127.")


def journals_url_for(settings: Mapping[str, Any]) -> str:
    """The Journals API base: the explicit setting, else the sandbox's mount on a loopback
    ``base_url`` (the sandbox serves both APIs on one host), else the real host."""
    explicit = settings.get("journals_url")
    if explicit:
        return str(explicit).rstrip("/")
    base = str(settings.get("base_url") or REAL_REST_URL).rstrip("/")
    if is_loopback(base):
        return base + JOURNALS_PATH
    return REAL_JOURNALS_URL


def _as_secret(value: Any, field: str) -> Secret:
    if isinstance(value, Secret):
        return value
    from engine.errors import ConfigError

    if not value:
        raise ConfigError(f"economic connection: {field} is not set")
    return Secret(str(value))


def agreement_fingerprint(grant: Secret) -> str:
    """A short, non-reversible name for the agreement, used for the shared rate budget and the
    per-run cache. The grant token identifies one agreement for this app; the number itself
    would cost a /self call before the budget exists."""
    return hashlib.sha256(grant.reveal().encode()).hexdigest()[:12]


class EconomicApi:
    """One agreement's REST and Journals API clients plus this run's cache namespace."""

    def __init__(self, settings: Mapping[str, Any], runtime: Runtime) -> None:
        from engine import ratelimit

        self.runtime = runtime
        app = _as_secret(settings.get("app_secret_token"), "app_secret_token")
        grant = _as_secret(settings.get("agreement_grant_token"), "agreement_grant_token")
        base_url = str(settings.get("base_url") or REAL_REST_URL).rstrip("/")
        fingerprint = agreement_fingerprint(grant)
        limits = dict(settings.get("rate_limit") or {})
        # One budget per agreement (and per host: each sandbox on loopback is its own agreement).
        budget = ratelimit.budget(
            f"economic:{fingerprint}" if not is_loopback(base_url) else f"economic:{fingerprint}@{base_url}",
            rate=float(limits.get("requests_per_second", 10)),
            burst=int(limits.get("burst", 20)),
            daily_limit=int(limits.get("daily_limit", 50000)),
            max_concurrency=int(settings.get("max_concurrency", 4)),
        )
        headers = {"X-AppSecretToken": app, "X-AgreementGrantToken": grant}
        self.rest = runtime.http(base_url, name="economic", headers=headers, budget=budget, error_parser=parse_error)
        self.journals = runtime.http(
            journals_url_for(settings), name="economic", headers=headers, budget=budget, error_parser=parse_error
        )
        self.dry_run = runtime.dry_run
        self.cache: dict[str, Any] = runtime.cache.setdefault(f"economic:{fingerprint}:{base_url}", {})
        self._lock = threading.Lock()

    # -- cache helpers ------------------------------------------------------------------
    def bucket(self, name: str) -> dict[Any, Any]:
        """A named per-run cache dict (customers by match, products by number...)."""
        with self._lock:
            return self.cache.setdefault(name, {})

    def lock_for(self, *key: Any) -> threading.Lock:
        """One lock per logical key, so two workers don't create the same customer twice."""
        with self._lock:
            locks = self.cache.setdefault("_locks", {})
            return locks.setdefault(key, threading.Lock())

    # -- requests -----------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.rest.get(path, params=dict(params) if params else None).json()

    def get_or_none(self, path: str, params: Mapping[str, Any] | None = None) -> Any | None:
        """GET a single resource; None when e-conomic answers 404."""
        try:
            return self.get(path, params)
        except NotFoundError:
            return None

    def post(self, path: str, body: Any) -> Any:
        return self.rest.post(path, json=body).json()

    def put(self, path: str, body: Any) -> Any:
        return self.rest.put(path, json=body).json()

    def pdf(self, path: str) -> bytes:
        return self.rest.get(path).content

    def iterate(self, path: str, *, filter: str | None = None, sort: str | None = None,
                pagesize: int = MAX_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following ``pagination.nextPage`` until it is absent."""
        params: dict[str, Any] = {"pagesize": pagesize}
        if filter:
            params["filter"] = filter
        if sort:
            params["sort"] = sort
        page = self.get(path, params)
        while True:
            yield from page.get("collection", [])
            next_page = (page.get("pagination") or {}).get("nextPage")
            if not next_page:
                return
            page = self.rest.get(next_page).json()

    def first(self, path: str, *, filter: str, sort: str | None = None) -> dict[str, Any] | None:
        """The first item matching a filter, in one call (a small page: only the first is used)."""
        params: dict[str, Any] = {"pagesize": 20, "filter": filter}
        if sort:
            params["sort"] = sort
        items = self.get(path, params).get("collection", [])
        return items[0] if items else None

    def close(self) -> None:
        for client in (self.rest, self.journals):
            client.close()


def to_decimal(value: Any) -> Decimal | None:
    """Money from an input or an answer as Decimal (floats go through str, never binary)."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(str(value).strip())


CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    """A Decimal rounded to cents the way e-conomic rounds (half up)."""
    from decimal import ROUND_HALF_UP

    d = to_decimal(value)
    return (d if d is not None else Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)
