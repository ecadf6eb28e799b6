"""The collection envelope: ``collection``, ``pagination``, ``metaData``, ``self`` (reference §5).

``skippages`` is the 0-based page index, ``pagesize`` defaults to 20 and may not exceed 1000.
``nextPage`` is left out on the last page; page links keep the filter and sort.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from connectors.economic.sandbox.errors import error
from connectors.economic.sandbox.filters import FilterError, candidates, matches, parse_filter, sort_docs
from connectors.economic.sandbox.links import Links
from connectors.economic.sandbox.table import Table

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000

Doc = dict[str, Any]


def _int_param(params: Any, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise error(400, f"The query parameter {name} must be an integer, not '{raw}'.",
                    "Use skippages (0-based page index) and pagesize (1-1000).") from None


def _key_order(key: Any) -> tuple[int, Any]:
    return (0, key) if isinstance(key, int) else (1, str(key).lower())


def page_params(params: Any) -> tuple[int, int]:
    skip = _int_param(params, "skippages", 0)
    size = _int_param(params, "pagesize", DEFAULT_PAGE_SIZE)
    if skip < 0:
        raise error(400, "skippages cannot be negative.", "skippages is the 0-based index of the page.")
    if size < 1 or size > MAX_PAGE_SIZE:
        raise error(400, f"pagesize must be between 1 and {MAX_PAGE_SIZE}, not {size}.",
                    f"The maximum page size allowed is {MAX_PAGE_SIZE}.")
    return skip, size


def select(source: Table | Iterable[Doc], params: Any, fields: dict[str, str]) -> tuple[list[Doc], int]:
    """Filtered and sorted documents plus the unfiltered count; filter/sort errors become 400."""
    filter_text = params.get("filter")
    sort_text = params.get("sort")
    try:
        node = parse_filter(filter_text, fields) if filter_text is not None else None
        if isinstance(source, Table):
            total = len(source)
            docs = candidates(source, node)
            docs.sort(key=lambda d: _key_order(d[source.key_field]))  # e-conomic's default: by number
        else:
            docs = list(source)
            total = len(docs)
        if node is not None:
            docs = [d for d in docs if matches(node, d, fields)]
        if sort_text:
            docs = sort_docs(docs, sort_text, fields)
    except FilterError as exc:
        raise error(400, str(exc), "See the filterable and sortable properties in the schema of this collection.") from None
    return docs, total


def envelope(
    links: Links,
    path: str,
    params: Any,
    source: Table | Iterable[Doc],
    fields: dict[str, str],
    render: Callable[[Doc], Doc],
    meta: dict[str, Any] | None = None,
) -> Doc:
    """One page of a collection, rendered, in e-conomic's envelope."""
    skip, size = page_params(params)
    docs, total = select(source, params, fields)
    results = len(docs)
    last = max(0, (results - 1) // size) if results else 0
    keep = [(k, params[k]) for k in ("filter", "sort") if params.get(k) is not None]

    def page(n: int) -> str:
        return links.url(path, urlencode([("skippages", n), ("pagesize", size), *keep]))

    pagination: Doc = {
        "maxPageSizeAllowed": MAX_PAGE_SIZE,
        "skipPages": skip,
        "pageSize": size,
        "results": results,
        "resultsWithoutFilter": total,
        "firstPage": page(0),
    }
    if skip < last:
        pagination["nextPage"] = page(skip + 1)
    pagination["lastPage"] = page(last)
    own = [(k, params[k]) for k in ("skippages", "pagesize", "filter", "sort") if params.get(k) is not None]
    return {
        "collection": [render(d) for d in docs[skip * size: (skip + 1) * size]],
        "pagination": pagination,
        "metaData": meta or {},
        "self": links.url(path, urlencode(own)),
    }


def create_meta(links: Links, path: str, description: str) -> Doc:
    """``metaData.create`` of a collection that takes POST."""
    return {"create": {"description": description, "href": links.url(path), "httpMethod": "post"}}

