"""One run's index of an agreement's customers: one paged listing instead of a filtered GET per buyer.

Why: a bulk run (a shop's first run, a backfill) meets hundreds of new buyers, and a
``GET /customers?filter=email$eq:..`` before each create doubles what they cost. The listing
costs ceil(customers / 1000) calls for all of them. The rules that keep it correct:

* Per run: the index lives in the run's cache (``api.bucket``), never longer, so a customer made
  in e-conomic between two runs is in the next run's listing.
* Lazy, and only when cheaper: lookups go one by one until the run has spent as many filtered
  GETs as the listing costs (each filtered answer tells the agreement's customer count as
  ``pagination.resultsWithoutFilter``); then the listing is read once. A run that meets one buyer
  never lists, and no run pays more than twice the cheaper way.
* Before the listing only answers of filtered lookups (and our own creates) are trusted: another
  field of a known customer may belong to an older one too. After it, a miss means "absent".
* Matching compares as e-conomic's filter does (``normal``); of several customers with one value
  the oldest (lowest number) wins, as the filtered lookup sorted by number does.
* A create or update whose answer was lost makes its key uncertain: the next lookup asks e-conomic.
* Changes made by others during a long run: a miss more than ``REFRESH_SECONDS`` after the last
  listing first reads the customers changed since (``lastUpdated$gte:``, usually one call).
* Agreements above ``MAX_INDEXED`` customers are never listed (memory; it would rarely pay off).

Crash recovery (the finder) never answers from here: it asks e-conomic for real.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from connectors.economic.client import MAX_PAGE_SIZE, EconomicApi, filter_eq, filter_gte

Doc = dict[str, Any]
Key = tuple[str, Any]

MATCH_FIELDS = ("email", "corporateIdentificationNumber", "ean", "customerNumber", "vatNumber",
                "telephoneAndFaxNumber", "name")
# Link-only properties: not worth keeping for thousands of customers (a PUT leaves them out anyway).
LINKS = ("contacts", "deliveryLocations", "invoices", "templates", "totals", "self", "metaData")
MAX_INDEXED = 50_000
REFRESH_SECONDS = 60.0
LOOKUPS_WITHOUT_COUNT = 10  # lookups before listing when e-conomic did not tell the customer count
UNKNOWN: Any = object()     # the index cannot tell: ask e-conomic


def normal(field: str, value: Any) -> Any:
    """A match value as e-conomic's filter compares it: numbers as numbers, text case-insensitively.
    (The reference only says "case-insensitive"; whether e-conomic's collation also ignores accents
    or trailing blanks is unsure, so only case is folded, as the sandbox does.)"""
    if field == "customerNumber":
        return int(value)
    return str(value).lower()


def keys_of(doc: Doc) -> set[Key]:
    keys = set()
    for field in MATCH_FIELDS:
        value = doc.get(field)
        if value is None or (isinstance(value, str) and not value):
            continue
        keys.add((field, normal(field, value)))
    return keys


class CustomerIndex:
    """Customers by number and by every match key; see the module docstring for the rules."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.listing_lock = threading.Lock()   # one listing or refresh at a time
        self._lock = threading.RLock()
        self._docs: dict[int, Doc] = {}
        self._keys: dict[Key, set[int]] = {}
        self._uncertain: set[Key] = set()
        self.complete = False
        self.too_big = False
        self.lookups = 0                       # calls spent on single lookups in this run
        self.total: int | None = None          # the agreement's customer count, once told
        self.watermark: str | None = None      # newest lastUpdated seen in a listing
        self.listed_at = 0.0

    # -- answers --------------------------------------------------------------------------
    def find(self, key: Key) -> Doc | None:
        """The customer with this key, None when it provably does not exist, else UNKNOWN."""
        with self._lock:
            if key in self._uncertain:
                return UNKNOWN
            numbers = self._keys.get(key)
            if numbers:
                return self._docs[min(numbers)]
            return None if self.complete else UNKNOWN

    def wants_listing(self) -> bool:
        """True once the single lookups spent in this run reach what the listing costs."""
        if self.complete or self.too_big:
            return False
        if self.total is None:      # resultsWithoutFilter not told: the first page will tell
            return self.lookups >= LOOKUPS_WITHOUT_COUNT
        if self.total > MAX_INDEXED:
            return False
        return self.lookups >= max(1, math.ceil(self.total / MAX_PAGE_SIZE))

    def wants_refresh(self, key: Key) -> bool:
        return (self.complete and key not in self._keys and key not in self._uncertain
                and self.clock() - self.listed_at > REFRESH_SECONDS)

    # -- learning -------------------------------------------------------------------------
    def remember(self, doc: Doc, *, key: Key | None = None) -> None:
        """A customer as e-conomic holds it now (a lookup's answer, our create or update). ``key``:
        the match key this answers (before the listing, only such keys are trusted)."""
        number = doc.get("customerNumber")
        if number is None:
            return
        number = int(number)
        slim = {k: v for k, v in doc.items() if k not in LINKS}
        with self._lock:
            old = self._docs.get(number)
            self._docs[number] = slim
            new_keys = keys_of(slim)
            for stale in keys_of(old or {}) - new_keys:
                self._keys.get(stale, set()).discard(number)
            trusted = new_keys if self.complete else {("customerNumber", number)} | ({key} if key else set())
            for k in trusted:
                self._keys.setdefault(k, set()).add(number)
            if key is not None:
                self._uncertain.discard(key)

    def absent(self, key: Key) -> None:
        """e-conomic itself said no customer has this key (a filtered lookup found none)."""
        with self._lock:
            self._uncertain.discard(key)

    def doubt(self, key: Key) -> None:
        """A write failed, perhaps after it happened (its answer was lost): the next lookup of
        ``key`` asks e-conomic what it holds now."""
        with self._lock:
            self._uncertain.add(key)

    def count_lookup(self) -> None:
        with self._lock:
            self.lookups += 1

    def told_total(self, pagination: Doc) -> None:
        total = pagination.get("resultsWithoutFilter")
        if total is not None:
            self.total = int(total)

    def load(self, docs: Iterable[Doc]) -> None:
        """Merge a whole listing (or the customers changed since it); the newer ``lastUpdated``
        wins over what this run remembered. From now on every key of every customer is trusted."""
        with self._lock:
            for doc in docs:
                number = int(doc["customerNumber"])
                mine = self._docs.get(number)
                if mine is not None and str(mine.get("lastUpdated") or "") > str(doc.get("lastUpdated") or ""):
                    continue
                self.remember(doc)
                stamp = doc.get("lastUpdated")
                if stamp and (self.watermark is None or str(stamp) > self.watermark):
                    self.watermark = str(stamp)
            if not self.complete:
                self.complete = True
                self._keys = {}
                for number, doc in self._docs.items():
                    for k in keys_of(doc):
                        self._keys.setdefault(k, set()).add(number)
            self.listed_at = self.clock()


def index_of(api: EconomicApi) -> CustomerIndex:
    """This run's index for the agreement (made on first use)."""
    bucket = api.bucket("customer_index")
    return bucket.get("index") or bucket.setdefault("index", CustomerIndex())


def lookup(api: EconomicApi, field: str, value: Any) -> Doc | None:
    """The customer whose ``field`` equals ``value`` (the oldest of several), or None; from the
    index when it can tell, else from e-conomic (which may first make the index complete)."""
    index = index_of(api)
    key = (field, normal(field, value))
    found = index.find(key)
    if (found is UNKNOWN and index.wants_listing()) or (found is None and index.wants_refresh(key)):
        with index.listing_lock:       # the others wait: the listing answers them too
            if index.wants_listing():
                _list(api, index)
            elif index.wants_refresh(key):
                _refresh(api, index)
        found = index.find(key)
    return ask(api, field, value) if found is UNKNOWN else found


def ask(api: EconomicApi, field: str, value: Any) -> Doc | None:
    """e-conomic's own answer (one call), never the index's; the index learns from it."""
    index = index_of(api)
    key = (field, normal(field, value))
    index.count_lookup()
    if field == "customerNumber":
        found = api.get_or_none(f"/customers/{int(value)}")
    else:
        # sorted by number: of customers sharing a value (e.g. a name) the oldest wins
        page = api.get("/customers", {"pagesize": 20, "filter": filter_eq(field, value), "sort": "customerNumber"})
        index.told_total(page.get("pagination") or {})
        items = page.get("collection") or []
        found = items[0] if items else None
    if found is None:
        index.absent(key)
    else:
        index.remember(found, key=key)
    return found


def _list(api: EconomicApi, index: CustomerIndex) -> None:
    """Every customer, 1000 a page; stops (and never tries again) when the agreement is too large."""
    first = api.get("/customers", {"pagesize": MAX_PAGE_SIZE, "skippages": 0})
    results = int((first.get("pagination") or {}).get("results") or 0)
    if results > MAX_INDEXED:
        index.too_big = True
        return
    docs = list(first.get("collection") or [])
    next_page = (first.get("pagination") or {}).get("nextPage")
    while next_page:
        page = api.rest.get(next_page).json()
        docs.extend(page.get("collection") or [])
        next_page = (page.get("pagination") or {}).get("nextPage")
    index.load(docs)


def _refresh(api: EconomicApi, index: CustomerIndex) -> None:
    """The customers changed since the listing (by others, during a long run). e-conomic's
    ``lastUpdated`` is compared with its own newest value, so no clock needs to agree with ours."""
    if index.watermark is None:
        docs = list(api.iterate("/customers"))
    else:
        docs = list(api.iterate("/customers", filter=filter_gte("lastUpdated", index.watermark)))
    index.load(docs)
